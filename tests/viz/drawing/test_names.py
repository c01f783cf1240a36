"""viz.drawing.names: default names of op outputs (the lecture's letters, numbered when repeated), kept user names."""

from __future__ import annotations

import re

import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff import Differentiable
from graphviz_autodiff.ops import Identity, Linear, ReLU, Squared, Sum
from viz.drawing.names import FALLBACK_SYMBOL, LOSS_SYMBOL, GraphNames, default_names, op_symbol, subscript


class Halve(Differentiable):
    def forward(self, x):
        return x / 2

    def backward(self, upstream_grad):
        return upstream_grad / 2


class Squared2(Squared):
    symbol = "q"


def test_the_lectures_letters():
    X, y = gad.Tensor(np.ones((3, 2)), name="X"), gad.Tensor(np.zeros(3), name="y")
    L = Sum()(Squared()(Identity()(Linear(2)(X)), y))
    names = default_names(L.graph.nx, root=L.node)
    assert list(names.values()) == ["X", "θ", "z", "μ", "y", "s", "L"]
    assert default_names(L.graph.nx)[L.node] == "L"  # Sum's own symbol, also when it is not the walk's root


def test_repeated_symbols_are_numbered_in_recording_order_and_names_are_kept():
    x = gad.Tensor(np.ones((2, 3)), name="X")
    h = ReLU()(Linear(3, 3, seed=0)(x))
    h.name = "hidden"
    out = Linear(3, 2, seed=1)(h)
    L = Sum()(ReLU()(out))
    names = default_names(L.graph.nx, root=L.node)
    assert [names[n] for n in sorted(names) if L.graph.nx.nodes[n]["kind"] == "op"] == ["z₁", "hidden", "z₂", "h", "L"]


def test_a_symbol_taken_by_a_leaf_is_numbered():
    z = gad.Tensor(np.ones(2), name="z")
    a = Linear(2)(np.ones((3, 2)))
    L = Sum()(Squared()(a, np.zeros(3)) + Sum()(z))
    names = default_names(L.graph.nx, root=L.node)
    assert names[a.node] == "z₁" and "z" in names.values()
    assert sorted(n for n in names.values() if n.startswith("L")) == ["L", "L₁"]  # the inner Sum


def test_symbols_of_user_ops():
    assert op_symbol(Halve()) == FALLBACK_SYMBOL == "v"
    assert op_symbol(Squared2()) == "q"
    own_linear = type("Linear", (Differentiable,), {"forward": lambda self, x: x, "backward": lambda self, g: g})
    assert op_symbol(own_linear()) == "z"  # a student's Linear: the library's letter
    assert op_symbol(None, "Identity") == "μ" and op_symbol(None, None) == "v"
    assert subscript(10) == "₁₀" and LOSS_SYMBOL == "L"


def test_constants_are_called_by_their_value_and_titles():
    x = gad.Tensor(np.array([1.0, 2.0]), name="x")
    L = Sum()(Halve()(x * 2.0))
    G = L.graph.nx
    names = GraphNames(G, G, root=L.node)
    constant = next(n for n in G if G.nodes[n]["kind"] == "constant")
    assert names.name(constant) == "2" and names.name(None) == "?"
    assert [names.title(n) for n in sorted(G) if G.nodes[n]["kind"] == "op"] == ["Mul (v₁)", "Halve (v₂)", "Sum (L)"]
    assert names.title(0) == "x" and names.loss == "L"


# -- the names in drawings ------------------------------------------------------------------------------------
def _keys(svg: str) -> set[str]:
    """The ``name =`` and ``∂a/∂b =`` keys of the value rows of a drawing."""
    return {t.rstrip(" =") for t in re.findall(r">([^<>]{1,12} =)<", svg)}


@pytest.mark.dot
def test_a_drawing_names_unnamed_outputs_by_their_symbols():
    X, y = gad.Tensor(np.ones((3, 2)), name="X"), gad.Tensor(np.zeros(3), name="y")
    L = Sum()(Squared()(Identity()(Linear(2)(X)), y))
    L.backward()
    svg = viz.to_svg(L)
    assert _keys(svg) == {"X", "θ", "z", "μ", "y", "s", "L", *(f"∂L/∂{v}" for v in "Xθzμys"), "∂L/∂L"}
    assert "out =" not in svg and "∂L/∂out" not in svg
    assert "← ∂L/∂μ" in svg  # an edge carrying the producer's whole gradient names it too


@pytest.mark.dot
def test_a_drawing_writes_the_loss_by_its_name_also_for_an_inner_tensor():
    X = gad.Tensor(np.ones((3, 2)), name="X")
    mu = Identity()(Linear(2)(X))
    loss = Sum()(Squared()(mu, np.zeros(3)))
    loss.name = "ℓ"
    loss.backward()
    whole = viz.to_svg(loss)
    assert "∂ℓ/∂z =" in whole and "∂ℓ/∂ℓ =" in whole and "∂L/" not in whole
    inner = viz.to_svg(mu)  # the loss is not drawn, but the gradients are still ∂ℓ/∂·
    assert "∂ℓ/∂μ =" in inner and "∂ℓ/∂θ =" in inner and "∂L/" not in inner
    assert GraphNames(loss.graph.nx, [mu.node], root=loss.node).loss == "ℓ"


@pytest.mark.dot
def test_a_drawing_and_the_stepper_use_the_same_names():
    x = gad.Tensor(np.ones((2, 3)), name="X")
    loss = Sum()(ReLU()(Linear(3, 2, seed=1)(ReLU()(Linear(3, 3, seed=0)(x)))))
    loss.name = "ℓ"
    stepper = viz.StepperModel(loss)
    drawing = viz.to_svg(loss)
    assert _keys(stepper.svg(stepper.n_steps)) == _keys(drawing)
    assert {"z₁", "z₂", "h₁", "h₂", "∂ℓ/∂z₂"} <= _keys(drawing)
    assert all(line.startswith("∂ℓ/∂") for k in range(1, stepper.n_steps + 1) for line in stepper.chain_lines(k))
