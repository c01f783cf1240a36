"""graphviz_autodiff.nn: a Module records its ops as one named group, collects parameters, trains through them."""

from __future__ import annotations

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff.nn import Module, Sequential
from graphviz_autodiff.ops import MSE, Dropout, Identity, Linear, ReLU


class Regression(Module):
    def __init__(self, theta):
        super().__init__()
        self.linear, self.act = Linear(len(theta), theta=theta), Identity()

    def forward(self, x):
        return self.act(self.linear(x))


def test_a_module_call_records_its_ops_in_one_group_named_after_the_class():
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    out = Regression(np.array([0.5, -1.0]))(x)
    np.testing.assert_allclose(out.data, x @ [0.5, -1.0])
    graph = out.graph
    (key,) = graph.groups
    assert graph.groups[key]["label"] == "Regression"
    assert graph.groups[key]["kind"] == "Regression"
    op_groups = {graph.nx.nodes[n]["label"]: graph.nx.nodes[n]["groups"] for n in graph.op_nodes()}
    assert op_groups == {"Linear": (key,), "Identity": (key,)}


def test_sequential_chains_layers_and_counts_each_parameter_once():
    first, second = Linear(2, 3, bias=True, seed=1), Linear(3, 1, bias=True, seed=2)
    mlp = Sequential(first, ReLU(), second, name="mlp")
    x = np.array([[1.0, -2.0], [0.5, 0.25]])
    out = mlp(x)
    expected = np.maximum(x @ first.theta.data + first.bias.data, 0) @ second.theta.data + second.bias.data
    np.testing.assert_allclose(out.data, expected)
    assert len(mlp) == 3 and mlp[1].__class__ is ReLU
    assert [p.name for p in mlp.parameters()] == ["θ", "b", "θ", "b"]
    assert mlp.n_params() == 2 * 3 + 3 + 3 * 1 + 1
    assert repr(mlp) == "Sequential(Linear, ReLU, Linear)"
    assert out.graph.groups["g0"]["label"] == "mlp"


def test_a_shared_op_is_counted_once():
    shared = Linear(2, 2, seed=0)
    assert Sequential(shared, shared).n_params() == 4


def test_gradients_flow_through_a_module_to_its_parameters():
    # L = Σ (Xθ − y)²  =>  ∂L/∂θ = 2 Xᵀ(Xθ − y)
    x = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, -1.0]])
    y = np.array([1.0, -1.0, 2.0])
    theta = np.array([0.2, -0.3])
    model = Regression(theta.copy())
    MSE()(model(x), y).backward()
    np.testing.assert_allclose(model.linear.theta.grad, 2 * x.T @ (x @ theta - y))


def test_eval_and_train_switch_every_child():
    drop = Dropout(0.5, seed=0)
    model = Sequential(Linear(3, 3, seed=0), drop)
    assert model.eval() is model
    assert not model.training and not drop.training
    x = np.ones((2, 3))
    np.testing.assert_allclose(model(x).data, x @ model[0].theta.data)  # dropout is the identity in eval
    model.train()
    assert model.training and drop.training
    assert model.modules() == [model, model[0], drop]


def test_without_recording_a_module_still_computes_but_records_no_group():
    with gad.no_record():
        out = Regression(np.array([1.0, 1.0]))(np.array([[1.0, 2.0]]))
    np.testing.assert_allclose(out.data, [3.0])
    assert out.graph is None


def test_forward_must_be_implemented():
    with pytest.raises(NotImplementedError, match=r"Empty must implement forward\(self, \*inputs\)"):
        type("Empty", (Module,), {})()(np.ones(2))
