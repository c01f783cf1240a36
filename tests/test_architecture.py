"""The layers are enforced by import-linter (.importlinter): these tests show the contracts bite.

Each test copies the two packages into a temporary folder, adds one forbidden import and runs the real
``lint-imports`` on the copy: it must fail and name the import. The untouched copy must pass.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy_project(tmp_path: Path) -> Path:
    for package in ("graphviz_autodiff", "viz"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _add_import(path: Path, line: str) -> None:
    text = path.read_text()
    head, sep, rest = text.partition("from __future__ import annotations\n")
    path.write_text(head + sep + line + "\n" + rest if sep else line + "\n" + text)


def test_the_project_keeps_its_contracts(tmp_path):
    result = _lint(_copy_project(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("graphviz_autodiff/graph.py", "import viz", "The core needs NumPy and networkx only"),
        ("graphviz_autodiff/tensor.py", "import matplotlib", "The core needs NumPy and networkx only"),
        ("graphviz_autodiff/engine.py", "from graphviz_autodiff import course", "Layers of the package"),
        ("graphviz_autodiff/course/analysis.py", "import viz", "The core needs NumPy and networkx only"),
        ("viz/export.py", "from graphviz_autodiff.cli import main", "viz draws for the command line"),
    ],
)
def test_a_forbidden_import_breaks_the_build(tmp_path, module, line, contract):
    root = _copy_project(tmp_path)
    _add_import(root / module, line)
    result = _lint(root)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in " ".join(broken.split()), result.stdout
