"""debug.truth: the true gradient each node should have received, and the inherits_wrong verdict built on it."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from graphviz_autodiff import Differentiable, Tensor
from graphviz_autodiff.debug import check
from graphviz_autodiff.debug.truth import received_errors
from graphviz_autodiff.ops import Identity, Linear, Squared, Sum

X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
Y = np.array([1.0, 0.0, 2.0])
MU, T = np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 1.0])
S = (MU - T) ** 2
SETTINGS = {"eps": 1e-6, "rtol": 1e-5, "atol": 1e-8, "seed": 0}


class HalfSquared(Differentiable):
    """(μ − y)² with both gradients half the right size."""

    def forward(self, mu, y):
        self.d = mu - y
        return self.d**2

    def backward(self, upstream_grad):
        return self.d * upstream_grad, -self.d * upstream_grad


def call(op, key, arrays, needs, output, upstream, sources):
    return SimpleNamespace(
        op=op, key=key, arrays=arrays, needs=needs, params={}, output=output, upstream=upstream,
        sources=sources, param_sources={}, seed_key=0, label=type(op).__name__,
    )  # fmt: skip


def chain(upstream_of_squared):
    """Sum(Squared(μ, t)) in backward order, μ a leaf keyed ("node", 0)."""
    return [
        call(Sum(), ("call", 2), [S], (True,), np.array(S.sum()), np.array(1.0), [("call", 1)]),
        call(Squared(), ("call", 1), [MU, T], (True, False), S, upstream_of_squared, [("node", 0), None]),
    ]


def test_nothing_is_reported_when_every_recorded_gradient_is_true():
    leaves = [SimpleNamespace(key=("node", 0), grad=2 * (MU - T))]
    assert received_errors(chain(np.ones(3)), [True, True], leaves, **SETTINGS) == {}


def test_a_failing_node_is_replaced_by_finite_differences_and_what_it_fed_downstream_is_measured():
    # The Sum failed and handed Squared 2·𝟙; the truth is 𝟙, so Squared and the leaf μ got twice the truth.
    leaves = [SimpleNamespace(key=("node", 0), grad=4 * (MU - T))]
    errors = received_errors(chain(2 * np.ones(3)), [False, True], leaves, **SETTINGS)
    assert errors.keys() == {("call", 1), ("node", 0)}
    assert errors[("call", 1)] == pytest.approx(1.0, rel=1e-6)
    assert errors[("node", 0)] == pytest.approx(1.0, rel=1e-6)


def test_a_small_difference_within_the_loosened_tolerance_is_not_reported():
    leaves = [SimpleNamespace(key=("node", 0), grad=2 * (MU - T) * (1 + 1e-6))]
    assert received_errors(chain(np.ones(3)), [False, True], leaves, **SETTINGS) == {}


def test_check_marks_nodes_below_a_wrong_op_as_inheriting_its_error():
    lin = Linear(2, theta=np.array([0.3, -0.2]))
    loss = Sum()(HalfSquared()(Identity()(lin(Tensor(X, name="X"))), Tensor(Y, name="y")))
    loss.backward()
    report = check(loss)
    kinds = {n.label: n.kind for n in report.nodes}
    assert kinds == {
        "Sum": "ok",
        "HalfSquared": "wrong_gradient",
        "Identity": "inherits_wrong",
        "Linear": "inherits_wrong",
        "y": "inherits_wrong",
        "θ": "inherits_wrong",
        "X": "inherits_wrong",
    }
    assert report.culprit.label == "HalfSquared"
    identity = next(n for n in report.nodes if n.label == "Identity")
    assert identity.inherits_from == report.culprit.node
    assert identity.received_error == pytest.approx(0.5, rel=1e-6)
    assert identity.message == (
        "this node's backward is right, but the gradient it received is already wrong (max rel. error 5.0e-01): "
        f"it comes from node {report.culprit.node} (HalfSquared)"
    )
