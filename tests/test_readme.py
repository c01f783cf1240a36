"""The README's lecture example runs as written and does what it says."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def _lecture_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## The lecture, in code", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_lecture_example_runs_and_trains_to_least_squares(capsys):
    blocks = _lecture_blocks()
    assert len(blocks) == 2
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    X, y, linear = namespace["X"], namespace["y"], namespace["linear"]
    printed = np.array(capsys.readouterr().out.strip().strip("[]").split(), dtype=float)
    np.testing.assert_allclose(printed, -2 * X.T @ y, rtol=1e-6)  # ∂L/∂θ at θ = 0, from the manual chain
    assert namespace["d_x"].shape == X.shape
    exec(compile(blocks[1], "README.md", "exec"), namespace)
    expected = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(linear.theta.data, expected, rtol=1e-6)
