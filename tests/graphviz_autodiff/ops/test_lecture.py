"""ops.lecture: Linear, Identity, Squared and MSE, against the lecture's closed forms, least squares and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Tensor
from graphviz_autodiff.errors import BroadcastWarning
from graphviz_autodiff.ops import MSE, Identity, Linear, Squared

from .helpers import TORCH_REASON, check_op

RNG = np.random.default_rng(5)
X = RNG.normal(size=(6, 3))
Y = RNG.normal(size=6)


def test_linear_gradients_are_x_transpose_g_and_g_theta_transpose():
    theta = np.array([0.5, -1.0, 2.0])
    lin = Linear(3, theta=theta)
    x = Tensor(X.copy())
    g = RNG.normal(size=6)
    out = lin(x)
    np.testing.assert_allclose(out.data, X @ theta)
    out.backward(g)
    np.testing.assert_allclose(lin.theta.grad, X.T @ g)
    np.testing.assert_allclose(x.grad, np.outer(g, theta))


def test_linear_matrix_theta_with_bias():
    lin = Linear(3, 2, bias=True, seed=0)
    g = RNG.normal(size=(6, 2))
    x = Tensor(X.copy())
    lin(x).backward(g)
    np.testing.assert_allclose(lin.theta.grad, X.T @ g)
    np.testing.assert_allclose(lin.bias.grad, g.sum(axis=0))
    np.testing.assert_allclose(x.grad, g @ lin.theta.data.T)
    bound = 1 / np.sqrt(3)
    assert lin.theta.data.shape == (3, 2) and np.all(np.abs(lin.theta.data) <= bound)
    np.testing.assert_array_equal(Linear(3, 2, seed=0).theta.data, lin.theta.data)
    np.testing.assert_array_equal(Linear(3).theta.data, np.zeros(3))  # the lecture's convex start


def test_the_lecture_loss_gradient_vanishes_at_the_least_squares_solution():
    theta_star, *_ = np.linalg.lstsq(X, Y, rcond=None)
    lin = Linear(3, theta=theta_star)
    loss = MSE()(Identity()(lin(X)), Y)
    np.testing.assert_allclose(loss.data, np.sum((X @ theta_star - Y) ** 2))
    loss.backward()
    np.testing.assert_allclose(lin.theta.grad, np.zeros(3), atol=1e-12)
    # Elsewhere it is 2Xᵀ(Xθ − y).
    theta = np.array([1.0, 0.0, -1.0])
    lin = Linear(3, theta=theta)
    MSE()(Identity()(lin(X)), Y).backward()
    np.testing.assert_allclose(lin.theta.grad, 2 * X.T @ (X @ theta - Y))


def test_mse_mean_divides_by_the_number_of_elements_and_records_one_group():
    mu = Tensor(np.array([1.0, 2.0, 4.0]))
    loss = MSE(reduction="mean")(mu, np.array([0.0, 2.0, 1.0]))
    np.testing.assert_allclose(loss.data, (1 + 0 + 9) / 3)
    loss.backward()
    np.testing.assert_allclose(mu.grad, 2 * np.array([1.0, 0.0, 3.0]) / 3)
    assert [g["label"] for g in loss.graph.groups.values()] == ["MSE"]


def test_squared_and_identity_match_finite_differences():
    check_op(Squared, None, [(4, 2), (4, 2)])
    check_op(Squared, None, [(4, 2), (2,)])
    check_op(Identity, None, [(3, 2)])
    check_op(lambda: Linear(3, 2, bias=True, seed=1), None, [(4, 3)])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Linear(3, theta=np.zeros(2)), r"Linear: theta must have shape \(3,\) for n_features=3, got \(2,\)"),
        (lambda: Linear(3)(np.ones((2, 4))), r"Linear: the input's last axis must have length n_features=3, got shape"),
        (lambda: MSE(reduction="max"), r"MSE: reduction must be 'sum' or 'mean', got 'max'"),
    ],
)
def test_errors_say_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_squared_warns_when_mu_and_y_broadcast_to_a_matrix():
    with pytest.warns(BroadcastWarning, match=r"mu of shape \(3,\) and y of shape \(3, 1\) broadcast to \(3, 3\)"):
        Squared()(np.zeros(3), np.zeros((3, 1)))


def test_linear_skips_the_input_gradient_when_x_needs_none():
    lin = Linear(3, theta=np.ones(3))
    out = lin(Tensor(X.copy(), requires_grad=False))
    (step,) = list(gad.iter_backward(out, np.ones(6)))
    assert step.grads[0] is None
    np.testing.assert_allclose(lin.theta.grad, X.sum(axis=0))


@pytest.mark.oracle
def test_lecture_ops_match_pytorch():
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    check_op(lambda: Linear(3, 2, bias=True, seed=2), lambda x, t, b: x @ t + b, [(5, 3)], fd=False)
    check_op(lambda: Linear(3, theta=np.array([1.0, 2.0, 3.0])), lambda x, t: x @ t, [(5, 3)], fd=False)
    check_op(Squared, lambda m, y: (m - y) ** 2, [(5,), (5,)], fd=False)
    check_op(MSE, lambda m, y: torch.nn.functional.mse_loss(m, y, reduction="sum"), [(5,), (5,)], fd=False)
    check_op(lambda: MSE("mean"), torch.nn.functional.mse_loss, [(5,), (5,)], fd=False)
