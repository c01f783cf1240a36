"""Real bugs that pass a checker whose upstream gradient equals its first input (one seed for both).

Each is right exactly when ``upstream_grad`` is the op's input (or a symmetric product), which is what a shared
seed makes happen; independent streams catch them, on the right node, with the right diagnosis.
"""

from __future__ import annotations

import numpy as np

from graphviz_autodiff import Differentiable, Parameter

from . import Case
from .activations import ReLURef, SigmoidRef
from .lecture import LinearRef, SquaredRef, SumRef


class ReLUMaskOnUpstream(ReLURef):
    """The mask is taken of upstream_grad instead of the input."""

    def backward(self, upstream_grad):
        return upstream_grad * (upstream_grad > 0)


class SquaredUpstreamForMu(SquaredRef):
    """upstream_grad and mu swapped in the formula: right only when upstream_grad == mu."""

    def backward(self, upstream_grad):
        return 2 * (upstream_grad - self.y) * self.mu, -2 * (upstream_grad - self.y) * self.mu


class SquaredSwappedOrder(SquaredRef):
    """Returns (∂L/∂y, ∂L/∂μ): the arguments' gradients in swapped order."""

    def backward(self, upstream_grad):
        d_mu = 2 * (self.mu - self.y) * upstream_grad
        return -d_mu, d_mu


class SquareLinearRef(Differentiable):
    """z = X·Θ with X and Θ square: ∂L/∂Θ = Xᵀ·G, ∂L/∂X = G·Θᵀ."""

    def __init__(self) -> None:
        self.theta = Parameter(np.arange(16.0).reshape(4, 4) / 16 - 0.4, name="Θ")

    def forward(self, x):
        self.x = x
        return x @ self.theta

    def backward(self, upstream_grad):
        self.theta.grad = self.x.T @ upstream_grad
        return upstream_grad @ self.theta.T


class SquareLinearThetaNoTranspose(SquareLinearRef):
    """∂L/∂Θ = X·G: the transpose of X is missing (same shape, other values)."""

    def backward(self, upstream_grad):
        self.theta.grad = self.x @ upstream_grad
        return upstream_grad @ self.theta.T


class SquareLinearInputNoTranspose(SquareLinearRef):
    """∂L/∂X = G·Θ: the transpose of Θ is missing."""

    def backward(self, upstream_grad):
        self.theta.grad = self.x.T @ upstream_grad
        return upstream_grad @ self.theta


class SigmoidIgnoresUpstream(SigmoidRef):
    """Returns the local derivative σ(1 − σ) and never multiplies by upstream_grad."""

    def backward(self, upstream_grad):
        return self.out * (1 - self.out)


class SumIgnoresUpstream(SumRef):
    """Returns ones: right only for the loss itself, whose upstream is 1."""

    def backward(self, upstream_grad):
        return np.ones_like(self.x)


class LinearBroadcastTheta(LinearRef):
    """∂L/∂X returned as θ (shape (4,)) for X of shape (8, 4): the outer product with upstream_grad is missing."""

    def backward(self, upstream_grad):
        self.theta.grad = self.x.T @ upstream_grad
        return self.theta.data


def _x(rng):
    return (rng.standard_normal((6, 4)),)


def _square(rng):
    return (rng.standard_normal((4, 4)),)


def _mu_y(rng):
    return rng.standard_normal(8), rng.standard_normal(8)


def _vector(rng):
    return (rng.standard_normal(8),)


def _x84(rng):
    return (rng.standard_normal((8, 4)),)


CASES = [
    Case("relu_mask_on_upstream", ReLUMaskOnUpstream, ReLURef, _x, "wrong_gradient", "wrong_mask", "x"),
    Case("squared_upstream_for_mu", SquaredUpstreamForMu, SquaredRef, _mu_y, "wrong_gradient", None, "mu"),
    Case("squared_swapped_order", SquaredSwappedOrder, SquaredRef, _mu_y, "wrong_gradient", "swapped", "mu"),
    Case(
        "square_theta_no_transpose",
        SquareLinearThetaNoTranspose,
        SquareLinearRef,
        _square,
        "wrong_gradient",
        "transpose",
        "theta",
    ),
    Case(
        "square_input_no_transpose",
        SquareLinearInputNoTranspose,
        SquareLinearRef,
        _square,
        "wrong_gradient",
        "transpose",
        "x",
    ),
    Case("sigmoid_ignores_upstream", SigmoidIgnoresUpstream, SigmoidRef, _x, "wrong_gradient", "ignores_upstream", "x"),
    Case("sum_ignores_upstream", SumIgnoresUpstream, SumRef, _vector, "wrong_gradient", "ignores_upstream", "x"),
    Case("linear_broadcast_theta", LinearBroadcastTheta, LinearRef, _x84, "shape", "missing_outer", "x"),
]
