"""The lecture notebooks: committed clean, and executed on a real kernel with their numbers checked.

Every notebook under ``notebooks/`` is executed once per test module (a
module-scoped cache), top to bottom, on a fresh ``python3`` kernel that runs
this test's own interpreter (a temporary kernelspec put first on
``JUPYTER_PATH``). A cell error fails the test. Each notebook ends with a
line ``SUMMARY {json}``; the tests parse it and check the lecture's claims
against numbers computed here independently (least squares, the generator's
correlated pair, the files written).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from graphviz_autodiff.course.analysis import drop_features
from graphviz_autodiff.course.datasets import lecture5

pytestmark = pytest.mark.kernel

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
OURS = (
    "01_lecture5_linear_regression.ipynb",
    "03_debugging_student_graphs.ipynb",
    "04_lecture_diagrams.ipynb",
)
CELL_TIMEOUT = 120  # seconds per cell
SUMMARY = re.compile(r"^SUMMARY (\{.*\})\s*$", re.MULTILINE)


# -- running notebooks -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python3``, resolved to a kernelspec that runs ``sys.executable`` (this venv's Python)."""
    root = tmp_path_factory.mktemp("jupyter")
    spec_dir = root / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (tests)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    patch = pytest.MonkeyPatch()
    previous = os.environ.get("JUPYTER_PATH")
    patch.setenv("JUPYTER_PATH", str(root) if not previous else os.pathsep.join([str(root), previous]))
    yield "python3"
    patch.undo()


class Executed:
    """One executed notebook: the notebook with its outputs, its stdout, and its summary (or ``None``)."""

    def __init__(self, nb: nbformat.NotebookNode) -> None:
        self.nb = nb
        self.stdout = "".join(
            output.get("text", "")
            for cell in nb.cells
            if cell.cell_type == "code"
            for output in cell.outputs
            if output.output_type == "stream" and output.name == "stdout"
        )
        found = SUMMARY.findall(self.stdout)
        self.summary: dict[str, Any] | None = json.loads(found[-1]) if found else None


@pytest.fixture(scope="module")
def run_notebook(kernel_name: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``run_notebook(name) -> Executed``: each notebook executed at most once per module.

    The notebooks run from a temporary copy of ``notebooks/``, so anything
    they write relative to their folder stays out of the repository.
    """
    workdir = tmp_path_factory.mktemp("notebooks")
    shutil.copytree(NOTEBOOK_DIR, workdir, dirs_exist_ok=True)
    cache: dict[str, Executed | Exception] = {}

    def run(name: str) -> Executed:
        if name not in cache:
            nb = nbformat.read(workdir / name, as_version=4)
            client = NotebookClient(
                nb,
                kernel_name=kernel_name,
                timeout=CELL_TIMEOUT,
                store_widget_state=True,
                resources={"metadata": {"path": str(workdir)}},
            )
            try:
                client.execute()
                cache[name] = Executed(nb)
            except Exception as error:  # a cell error: every test of this notebook reports it
                cache[name] = error
        result = cache[name]
        if isinstance(result, Exception):
            raise result
        return result

    return run


def _summary(executed: Executed, name: str) -> dict[str, Any]:
    assert executed.summary is not None, f"{name} printed no 'SUMMARY {{...}}' line; its stdout:\n{executed.stdout}"
    return executed.summary


def _remove_later(path: str, request: pytest.FixtureRequest) -> Path:
    """A directory a notebook made under the system temp dir, removed when the test ends."""
    directory = Path(path)
    assert directory.is_dir(), directory
    assert Path(tempfile.gettempdir()).resolve() in directory.resolve().parents, f"{directory} is not a temp dir"
    request.addfinalizer(lambda: shutil.rmtree(directory, ignore_errors=True))
    return directory


# -- the notebooks are committed clean ---------------------------------------------------------------------
def test_our_notebooks_are_there() -> None:
    names = {path.name for path in NOTEBOOKS}
    assert set(OURS) <= names, f"missing notebooks: {sorted(set(OURS) - names)}"


def _dirty_cells(nb: nbformat.NotebookNode) -> list[int]:
    """Indices of the code cells that hold outputs or an execution count."""
    return [
        index
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_is_clean(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    assert "widgets" not in nb.metadata, "saved widget state: clear it before committing"
    dirty = _dirty_cells(nb)
    assert dirty == [], f"{path.name}: cells {dirty} have outputs or execution counts; strip them"


def test_dirty_cells_are_found() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# title"),
        nbformat.v4.new_code_cell("1 + 1"),
        nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", name="stdout", text="1\n")]),
        nbformat.v4.new_code_cell("x = 1", execution_count=3),
    ]
    assert _dirty_cells(nb) == [2, 3]


# -- the kernel ---------------------------------------------------------------------------------------
def test_kernel_runs_this_interpreter(kernel_name: str, tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.prefix)"))
    NotebookClient(
        nb, kernel_name=kernel_name, timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    assert nb.cells[0].outputs[0]["text"].strip() == sys.prefix


# -- every notebook runs top to bottom -----------------------------------------------------------------------
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, run_notebook: Any) -> None:
    executed = run_notebook(path.name)
    code_cells = [cell for cell in executed.nb.cells if cell.cell_type == "code"]
    assert code_cells, f"{path.name} has no code"
    assert all(cell.execution_count is not None for cell in code_cells), "a cell was not executed"
    errors = [out for cell in code_cells for out in cell.outputs if out.output_type == "error"]
    assert errors == []
    if path.name in OURS:
        _summary(executed, path.name)  # ours must end with a summary


# -- notebook 01: the lecture's numbers --------------------------------------------------------------
def test_lecture_notebook_numbers(run_notebook: Any) -> None:
    name = OURS[0]
    summary = _summary(run_notebook(name), name)
    data = lecture5()
    # the correlated pair the analysis flags is the one the generator made
    assert tuple(summary["flagged_pair"]) == data.correlated_pair
    assert summary["dropped"] in data.correlated_pair
    # trained θ (fit and the explicit loop) = least squares on the remaining features, computed here
    X_small, _ = drop_features(data.X, summary["dropped"])
    theta_star = np.linalg.lstsq(X_small, data.y, rcond=None)[0]
    np.testing.assert_allclose(summary["theta_lstsq"], theta_star, rtol=1e-12)
    np.testing.assert_allclose(summary["theta_fit"], theta_star, rtol=1e-6)
    np.testing.assert_allclose(summary["theta_loop"], theta_star, rtol=1e-6)
    assert summary["final_loss"] == pytest.approx(float(np.sum((X_small @ theta_star - data.y) ** 2)), rel=1e-9)
    # without the correlated feature: better conditioned, fewer epochs to the same target loss
    assert summary["cond_without"] < summary["cond_with"]
    assert summary["epochs_with"] is not None and summary["epochs_without"] is not None
    assert summary["epochs_without"] < summary["epochs_with"]
    # the manual chain gives the automatic ∂L/∂θ, which is Xᵀ·2(Xθ − y) at θ = 0 on the first 5 objects
    np.testing.assert_allclose(summary["grad_manual"], summary["grad_auto"], rtol=1e-12)
    np.testing.assert_allclose(summary["grad_auto"], X_small[:5].T @ (-2.0 * data.y[:5]), rtol=1e-12)
    assert summary["shape_rule_ok"] is True
    assert summary["stepper_steps"] >= 4  # Sum, Squared, Identity, Linear


# -- notebook 02 (the stepper's): its summary, when it prints one ---------------------------------------------
@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.name.startswith("02_")], ids=lambda p: p.name)
def test_stepper_notebook_summary(path: Path, run_notebook: Any, request: pytest.FixtureRequest) -> None:
    summary = run_notebook(path.name).summary
    if summary is None:  # nothing to check beyond test_notebook_runs
        return
    if "out" in summary:
        _remove_later(summary["out"], request)
    if "lecture_labels" in summary:  # the lecture graph's backward order
        assert summary["lecture_labels"] == ["Sum", "Squared", "Identity", "Linear"]
    if "lecture_steps" in summary:
        assert summary["lecture_steps"] == 4
        if "frames" in summary:  # one frame per step plus the graph before the pass
            assert summary["frames"] == summary["lecture_steps"] + 1
    if "student_failed" in summary:
        assert summary["student_failed"], "the broken op's step should be marked failed"
    if "wrong_culprit" in summary:  # next problem stops at the culprit; the nodes before it inherit its error
        assert summary["wrong_culprit"] == "Halve"
        assert summary["wrong_inherited"] == ["Identity (μ)", "Linear (z)", "θ"]


# -- notebook 03: the debugger finds the student's bugs -----------------------------------------------------
def test_debugging_notebook_finds_the_bugs(run_notebook: Any, request: pytest.FixtureRequest) -> None:
    name = OURS[1]
    summary = _summary(run_notebook(name), name)
    _remove_later(summary["workdir"], request)
    # the failing nodes are exactly the two buggy ops, with the right verdicts
    assert summary["failures"] == [
        ["Squared", "wrong_gradient", "factor"],
        ["Linear", "shape", "missing_reduction"],
    ]
    assert summary["culprit"] == "Squared"
    assert summary["red_nodes"] == 2
    assert summary["stepper_problems"] == ["Squared", "Linear"]
    # fixed: every node passes
    assert summary["fixed_ok"] is True
    assert summary["fixed_red_nodes"] == 0
    # the engine's shape-rule message names the op, the parameter and both shapes
    message = summary["shape_error"]
    assert "Linear" in message and "(6, 4)" in message and "(4,)" in message
    assert summary["shape_error_ru"].startswith("Linear.backward записал в theta.grad массив формы (6, 4)")
    # gradcheck on one op
    assert summary["gradcheck_buggy"] == ["wrong_gradient", "factor"]
    assert summary["gradcheck_fixed_ok"] is True
    assert summary["gradcheck_transpose"] == "transpose"
    # detect_anomaly names the op, the node and the line
    assert re.search(r"Log\.forward produced \d+ NaN", summary["anomaly_message"])
    assert re.search(r"graph node \d+", summary["anomaly_message"])
    assert re.search(r"\.py:\d+", summary["anomaly_message"])
    # the command line: exit status 1 and the same two failing ops
    assert summary["cli_exit"] == 1
    assert summary["cli_failing"] == ["Linear", "Squared"]
    assert summary["cli_svg_bytes"] > 0


# -- notebook 04: the diagrams are written ----------------------------------------------------------------
def _check_file(path: Path) -> None:
    assert path.is_file(), path
    data = path.read_bytes()
    assert data, f"{path} is empty"
    suffix = path.suffix
    if suffix == ".svg":
        root = ET.fromstring(data)
        assert root.tag.endswith("svg"), path
    elif suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), path
    elif suffix == ".pdf":
        assert data.startswith(b"%PDF"), path
    elif suffix in (".dot", ".gv"):
        assert data.lstrip().startswith(b"digraph"), path
    elif suffix == ".html":  # the viewer's page: its frames are in the embedded payload
        found = re.search(rb'<script type="application/json" id="gad-payload">(.*?)</script>', data, flags=re.DOTALL)
        assert found, path
        assert json.loads(found.group(1))["svg"]["skeleton"][0].startswith("<svg"), path


def test_diagrams_notebook_writes_files(run_notebook: Any, request: pytest.FixtureRequest) -> None:
    name = OURS[2]
    summary = _summary(run_notebook(name), name)
    out = _remove_later(summary["out"], request)
    files = [Path(p) for p in summary["files"]]
    assert all(out in path.parents for path in files)
    suffixes = {path.suffix for path in files}
    assert {".svg", ".pdf", ".png", ".dot", ".html"} <= suffixes
    for path in files:
        _check_file(path)
    # every theme in both directions, each as SVG, PDF and PNG
    for theme in ("lecture", "compact", "dark", "print"):
        for rankdir in ("LR", "TB"):
            for fmt in ("svg", "pdf", "png"):
                assert out / theme / f"lecture5_{rankdir}.{fmt}" in files
    assert summary["n_steps"] == 4  # Sum, Squared, Identity, Linear
    assert summary["n_frames"] == summary["n_steps"] + 1  # step_000 is the graph before the pass
    assert len([p for p in files if p.parent.name == "frames"]) == summary["n_frames"]
    # Russian labels reached the drawing
    assert "Легенда" in (out / "lecture5_ru.svg").read_text(encoding="utf-8")
