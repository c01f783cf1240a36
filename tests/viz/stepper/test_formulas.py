"""viz.stepper.formulas: every formula and text of every step uses only names shown on the graph.

Three graphs: the lecture's (named as in the lecture, and unnamed), the two-layer network of the MLP
lectures with CrossEntropy, and notebook 01's own ops (Linear, Identity, Squared, Sum as a student
writes them, taken from the notebook itself), walked backward and forward in both languages.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff import Differentiable, Parameter
from graphviz_autodiff.ops import Identity, Linear, Squared, Sum
from tests.viz.conftest import LECTURE_THETA, LECTURE_X, LECTURE_Y, lecture5, parse_svg, svg_nodes, svg_text
from tests.viz.stepper.graphs import mlp_loss
from viz.stepper.formulas import GENERIC, chain_lines, forward_line

NOTEBOOK = Path(__file__).parents[3] / "notebooks" / "01_lecture5_linear_regression.ipynb"
# Words of mathematics, not names of values: functions, and the ops' own constants (n, N, α, p, m, low, high).
MATH = {"softmax", "onehot", "log", "ln", "exp", "max", "min", "σ", "tanh", "broadcast", "shape", "reshape"}
MATH |= {"split", "concat", "n", "N", "m", "p", "α", "low", "high", "𝕀", "Σ"}
_INDEX = str.maketrans("", "", "ᵢⱼₙᵀ²")  # element indices, the transpose sign, squares
_TOKEN = re.compile(r"[^\W\d_][^\W_]*")  # a word: letters, then letters or (subscript) digits
_PARTIAL = re.compile(r"∂([^/\s]+)/∂([^\s=:,()·⊙\[\]]+)")


def notebook_ops() -> dict[str, type]:
    """The op classes notebook 01 defines, executed from the notebook's own cells."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    namespace = {"np": np, "Differentiable": Differentiable, "Parameter": Parameter}
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and re.search(r"^class \w+\(Differentiable\)", source, re.MULTILINE):
            exec(compile(source, str(NOTEBOOK), "exec"), namespace)
    return {name: namespace[name] for name in ("Linear", "Identity", "Squared", "Sum")}


def notebook_graph():
    """The notebook's forward pass: its own ops on the lecture's data; no output is named."""
    own = notebook_ops()
    X = gad.Tensor(LECTURE_X[:, :3].copy(), name="X")
    y = gad.Tensor(LECTURE_Y.copy(), name="y")
    linear = own["Linear"](3)
    return own["Sum"]()(own["Squared"]()(own["Identity"]()(linear(X)), y))


def unnamed_lecture():
    """The lecture's graph with the library's ops and no output named."""
    X, y = gad.Tensor(LECTURE_X.copy(), name="X"), gad.Tensor(LECTURE_Y.copy(), name="y")
    return Sum()(Squared()(Identity()(Linear(4, theta=LECTURE_THETA.copy())(X)), y))


GRAPHS = {"lecture": lecture5, "lecture-unnamed": unnamed_lecture, "mlp": mlp_loss, "notebook01": notebook_graph}


def words(line: str) -> set[str]:
    return set(_TOKEN.findall(line.translate(_INDEX)))


def partials(line: str) -> set[str]:
    return {name.translate(_INDEX) for pair in _PARTIAL.findall(line) for name in pair}


def formula_parts(model: viz.StepperModel, k: int) -> list[str]:
    """The mathematical parts of step k's text: chain-rule lines, the forward formula, the output line."""
    out, inside = [], False
    for line in model.lines(k):
        if inside and line.startswith("  "):
            out.append(line.strip())
            continue
        inside = line.startswith(("Chain rule", "Цепное правило"))
        if line.startswith(("Computes ", "Вычисляет ", "Output ", "Выход ")):
            out.append(line.split(" ", 1)[1].split(":")[0])
        elif line.startswith("Вычислено: "):  # "Вычислено: μ = …": the output's name
            out.append(line.removeprefix("Вычислено: ").split(" =")[0])
    return out


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("direction", ["backward", "forward"])
@pytest.mark.parametrize("graph", list(GRAPHS))
def test_every_text_uses_only_the_graphs_names(graph, direction, lang):
    model = viz.StepperModel(GRAPHS[graph](), direction=direction, lang=lang)
    shown = set(model.names.names.values())
    seen_formulas = 0
    for k in range(model.n_steps + 1):
        text = model.describe(k)
        assert partials(text) <= shown, (k, partials(text) - shown, text)  # ∂L/∂z₂: both names on the graph
        for part in formula_parts(model, k):
            assert words(part) - MATH <= shown, (k, part, words(part) - MATH - shown)
            seen_formulas += 1
        for title in re.findall(r"\w+ \(([^()]+)\)", text.splitlines()[0]):
            assert title in shown, (k, title)  # "Linear (z₁)": the output's name
        assert "∂L/∂out" not in text and "выход" not in text.lower().split(":")[0]
    assert seen_formulas >= model.n_steps  # every step has its formula (the general one for a student's op)


@pytest.mark.dot
@pytest.mark.parametrize("graph", list(GRAPHS))
def test_the_picture_shows_the_same_names(graph):
    model = viz.StepperModel(GRAPHS[graph]())
    nodes = svg_nodes(parse_svg(model.svg(model.n_steps)))
    for node, name in model.names.names.items():
        assert f"{name} =" in " ".join(svg_text(nodes[f"n{node}"]).split()) or model.graph.nx.nodes[node]["kind"] in (
            "constant",
        ), (node, name)
    assert "out =" not in " ".join(svg_text(g) for g in nodes.values())


def test_the_lectures_names_and_formulas():
    model = viz.StepperModel(unnamed_lecture())
    assert [model.names.name(s.node) for s in model.steps] == ["L", "s", "μ", "z"]
    assert chain_lines(model.steps[0], model.names) == ["∂L/∂s = ∂L/∂L · 𝟙"]
    assert chain_lines(model.steps[1], model.names) == ["∂L/∂μ = 2(μ − y) ⊙ ∂L/∂s", "∂L/∂y = −2(μ − y) ⊙ ∂L/∂s"]
    assert chain_lines(model.steps[3], model.names) == ["∂L/∂X = ∂L/∂z·θᵀ", "∂L/∂θ = Xᵀ·∂L/∂z"]
    assert forward_line(model.steps[3], model.names) == "z = X·θ"  # no bias: not in the formula
    text = model.describe(2)
    assert "Upstream gradient ∂L/∂s" in text and "∂L/∂out" not in text


def test_a_named_loss_is_used_in_every_formula():
    loss = mlp_loss()
    loss.name = "ℓ"
    model = viz.StepperModel(loss)
    assert model.names.loss == "ℓ"
    assert "∂ℓ/∂z₂ = ∂ℓ/∂ℓ · (softmax(z₂) − onehot(y)) / n" in model.describe(1)
    assert "The pass starts here: ∂ℓ/∂ℓ = 1" in model.describe(1)
    assert "  ∂ℓ/∂θ₁ = Xᵀ·∂ℓ/∂z₁" in model.lines(4)


def test_a_students_op_gets_the_general_chain_rule_with_the_graphs_names():
    model = viz.StepperModel(notebook_graph())
    assert [model.names.name(s.node) for s in model.steps] == ["L", "s", "μ", "z"]  # the lecture's own letters
    assert GENERIC == "∂{L}/∂{x} = ∂{L}/∂{out} · ∂{out}/∂{x}"
    squared = model.lines(2)
    assert "Chain rule, in general (Squared records no formula of its own):" in squared
    assert "  ∂L/∂μ = ∂L/∂s · ∂s/∂μ" in squared and "  ∂L/∂y = ∂L/∂s · ∂s/∂y" in squared
    linear = model.lines(4)
    assert "  ∂L/∂X = ∂L/∂z · ∂z/∂X" in linear and "  ∂L/∂θ = ∂L/∂z · ∂z/∂θ" in linear
    ru = viz.StepperModel(notebook_graph(), lang="ru").lines(2)
    assert "Цепное правило в общем виде (у Squared нет своей формулы):" in ru


def test_repeated_symbols_are_numbered_and_plain_dicts_still_work():
    class Double(Differentiable):
        formula: ClassVar[dict] = {"forward": "y = 2x", "backward": {"x": "∂L/∂x = 2·∂L/∂y"}}  # a plain dict

        def forward(self, x):
            return 2 * x

        def backward(self, upstream_grad):
            return 2 * upstream_grad

    x = gad.Tensor(np.array([1.0, 2.0]), name="x")
    L = Sum()(Double()(Identity()(Identity()(x))))
    model = viz.StepperModel(L)
    assert [model.names.name(s.node) for s in model.steps] == ["L", "v", "μ₂", "μ₁"]
    assert chain_lines(model.steps[1], model.names) == ["∂L/∂x = 2·∂L/∂y"]  # written as given
