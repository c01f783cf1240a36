"""The architecture is enforced by tools, and these tests show the tools bite.

* Layers and cycles: import-linter (.importlinter). Each test copies the two packages into a temporary
  folder, adds one forbidden import and runs the real ``lint-imports`` on the copy: it must fail and name
  the import. The untouched copy must pass.
* No module reaches into another's private fields: ruff's SLF001 (pyproject.toml, run by ``make test``).
  The same way: a copy with one ``graph._attrs`` read must fail the real ``ruff check``; the untouched
  copy passes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
RUFF = Path(sys.executable).with_name("ruff")


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
    assert "Contracts: 4 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("graphviz_autodiff/graph.py", "import viz", "The core needs NumPy and networkx only"),
        ("graphviz_autodiff/tensor.py", "import matplotlib", "The core needs NumPy and networkx only"),
        ("graphviz_autodiff/engine.py", "from graphviz_autodiff import course", "Layers of the package"),
        ("graphviz_autodiff/course/analysis.py", "import viz", "The core needs NumPy and networkx only"),
        ("viz/export.py", "from graphviz_autodiff.cli import main", "viz draws for the command line"),
        ("graphviz_autodiff/tensor.py", "from graphviz_autodiff import engine", "Layers of the package"),
        ("graphviz_autodiff/graph.py", "from graphviz_autodiff.tensor import Tensor", "No import cycles"),
    ],
)
def test_a_forbidden_import_breaks_the_build(tmp_path, module, line, contract):
    root = _copy_project(tmp_path)
    _add_import(root / module, line)
    result = _lint(root)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in " ".join(broken.split()), result.stdout


def _ruff(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RUFF), "check", "--no-cache", "--output-format", "concise", "graphviz_autodiff", "viz"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _copy_for_ruff(tmp_path: Path) -> Path:
    root = _copy_project(tmp_path)
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_project_reaches_into_no_private_field(tmp_path):
    result = _ruff(_copy_for_ruff(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("graphviz_autodiff/engine.py", "def _peek(graph):\n    return graph._attrs\n"),
        ("viz/drawing/builder.py", "def _peek(tensor):\n    return tensor._graph\n"),
    ],
)
def test_a_private_access_breaks_the_build(tmp_path, module, line):
    root = _copy_for_ruff(tmp_path)
    path = root / module
    path.write_text(path.read_text() + "\n\n" + line)
    result = _ruff(root)
    assert result.returncode != 0
    assert f"{module}:" in result.stdout and "SLF001" in result.stdout, result.stdout
