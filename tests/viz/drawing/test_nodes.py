"""viz.drawing.nodes: how nodes and edges look (kinds, shapes, edge gradients, folded constants)."""

from __future__ import annotations

import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff import Differentiable
from graphviz_autodiff.ops import Identity, Squared, Sum
from tests.viz.conftest import (
    lecture5,
)
from tests.viz.drawing.helpers import node_stmt
from viz.themes import THEMES

# Graphviz printing anything on stderr (an unknown colour, a bad attribute) fails the test.
pytestmark = pytest.mark.filterwarnings("error::viz.GraphvizWarning")


def test_parameters_inputs_and_ops_look_different():
    source = viz.to_dot(lecture5())
    x, theta, linear = node_stmt(source, "n0"), node_stmt(source, "n1"), node_stmt(source, "n2")
    t = THEMES["lecture"]
    assert f'fillcolor="{t.input_fill}"' in x and "peripheries" not in x
    assert f'fillcolor="{t.parameter_fill}"' in theta and "peripheries=2" in theta
    assert f'fillcolor="{t.op_fill}"' in linear and "rounded" in linear
    assert 'class="forward parameter"' in theta


def test_show_edge_grads():
    L = lecture5(backward=True)
    assert "← ∂L/∂θ" in viz.to_dot(L)
    assert "←" not in viz.to_dot(L, show_edge_grads=False)


def test_edge_shows_values_when_a_node_feeds_several_consumers():
    x = gad.Tensor(np.array([1.0, 2.0]), name="x")
    a = Identity()(x)
    a.name = "a"
    loss = Sum()(Squared()(a, np.zeros(2))) + Sum()(a)
    loss.backward()
    source = viz.to_dot(loss)
    node = a.node
    # a feeds Squared (gradient 2a = [2, 4]) and Sum (gradient [1, 1]); its own gradient is the sum.
    assert "← [2, 4]" in source and "← [1, 1]" in source
    assert "[3, 5]" in node_stmt(source, f"n{node}")


def test_show_shapes():
    L = lecture5(backward=True)
    assert "(5, 4)" in viz.to_dot(L)
    assert "(5, 4)" not in viz.to_dot(L, show_shapes=False)


def test_fold_constants():
    x = gad.Tensor(np.array([1.0, 2.0]), name="x")
    y = (2 * x - 1) / 4
    folded = viz.to_dot(y)
    assert "<B>×2</B>" in folded and "<B>−1</B>" in folded and "<B>÷4</B>" in folded
    assert "constant" not in folded
    plain = viz.to_dot(y, fold_constants=False)
    assert plain.count('class="forward constant"') == 3 and "×2" not in plain and "<B>Mul</B>" in plain
    reverse = viz.to_dot(1 - x)
    assert "<B>1−</B>" in reverse


def test_folded_constant_of_a_renamed_op_uses_call_notation():
    class Scale(Differentiable):
        def forward(self, x, factor):
            self.factor = factor
            return x * factor

        def backward(self, upstream_grad):
            return upstream_grad * self.factor, None

    out = Scale(name="scale")(gad.Tensor(np.ones(2), name="x"), 3.0)
    assert "<B>scale(·, 3)</B>" in viz.to_dot(out)
