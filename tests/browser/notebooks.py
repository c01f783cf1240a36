"""The notebook the Voila and JupyterLab tests serve: the test graphs, each shown by a ``viz.Stepper``.

Its first cell is ``tests/viz/viewer/graphs.py`` itself (the lecture's graph and a two-layer network), so
the kernel's graphs are the tests' own. Then one stepper per graph, displayed as the last expression of
its cell, as a student would. Next to each stepper a Label shows the model's ``step_index`` as the kernel
sees it (a click's trip to Python is visible), and a Button calls ``stepper.goto(2)`` in Python (the trip
back). The viewers carry the classes ``gad-test-lecture`` and ``gad-test-mlp`` to be found.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

GRAPHS = Path(__file__).parents[1] / "viz" / "viewer" / "graphs.py"
NAMES = ("lecture", "mlp")

_MAKE = """\
import ipywidgets as widgets
from IPython.display import display

import viz

steppers = {"lecture": viz.Stepper(lecture_loss()), "mlp": viz.Stepper(mlp_loss())}


def controls(name):
    stepper = steppers[name]
    stepper.widget.add_class(f"gad-test-{name}")
    echo = widgets.Label(value=f"python step {stepper.step_index}")
    echo.add_class(f"gad-echo-{name}")
    stepper.observe(lambda change: setattr(echo, "value", f"python step {change['new']}"), names="step_index")
    goto = widgets.Button(description="python: goto(2)")
    goto.add_class(f"gad-goto-{name}")
    goto.on_click(lambda _: stepper.goto(2))
    return widgets.HBox([echo, goto])
"""

_SHOW = """\
display(controls({name!r}))
steppers[{name!r}]
"""


def viewer_notebook(folder: Path) -> Path:
    """Write ``folder/viewer.ipynb`` (no outputs) and return its path."""
    nb = nbformat.v4.new_notebook()
    cells = [GRAPHS.read_text(encoding="utf-8"), _MAKE, *(_SHOW.format(name=name) for name in NAMES)]
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = Path(folder) / "viewer.ipynb"
    nbformat.write(nb, path)
    return path
