"""Mistakes in the lecture's ops: Linear, Squared, Sum, Mean."""

from __future__ import annotations

import numpy as np

from graphviz_autodiff import Differentiable, Parameter

from . import Case


# -- Linear -------------------------------------------------------------------------------------
class LinearRef(Differentiable):
    """z = X·θ with θ a vector (the lecture's): ∂L/∂θ = Xᵀ·∂L/∂z, ∂L/∂X = ∂L/∂z ⊗ θ."""

    def __init__(self, n_features: int = 4) -> None:
        self.theta = Parameter(np.linspace(-1.0, 1.5, n_features), name="θ")

    def forward(self, x):
        self.x = x
        return x @ self.theta

    def backward(self, upstream_grad):
        self.theta.grad = self.x.T @ upstream_grad
        return np.outer(upstream_grad, self.theta)


class LinearVectorNoTranspose(LinearRef):
    """Forgot the transpose in ∂L/∂θ: X (8, 4) @ g (8,) does not even multiply."""

    def backward(self, upstream_grad):
        self.theta.grad = self.x @ upstream_grad
        return np.outer(upstream_grad, self.theta)


class LinearForgotThetaGrad(LinearRef):
    """Returns ∂L/∂X but never sets θ.grad."""

    def backward(self, upstream_grad):
        return np.outer(upstream_grad, self.theta)


class LinearMatrixRef(Differentiable):
    """z = X·Θ with Θ of shape (d, k): ∂L/∂Θ = Xᵀ·G, ∂L/∂X = G·Θᵀ."""

    def __init__(self, d: int = 4, k: int = 3) -> None:
        self.theta = Parameter(np.arange(d * k, dtype=float).reshape(d, k) / (d * k) - 0.4, name="Θ")

    def forward(self, x):
        self.x = x
        return x @ self.theta

    def backward(self, upstream_grad):
        self.theta.grad = self.x.T @ upstream_grad
        return upstream_grad @ self.theta.T


class LinearMatrixNoTranspose(LinearMatrixRef):
    """∂L/∂Θ computed as Gᵀ·X: shape (k, d) instead of (d, k)."""

    def backward(self, upstream_grad):
        self.theta.grad = upstream_grad.T @ self.x
        return upstream_grad @ self.theta.T


class LinearSquareNoTranspose(LinearMatrixRef):
    """Same mistake with d == k: the shape is right, the values are the transpose."""

    def __init__(self) -> None:
        super().__init__(4, 4)

    def backward(self, upstream_grad):
        self.theta.grad = upstream_grad.T @ self.x
        return upstream_grad @ self.theta.T


def _square_ref() -> LinearMatrixRef:
    return LinearMatrixRef(4, 4)


# -- Squared --------------------------------------------------------------------------------------
class SquaredRef(Differentiable):
    """s = (μ − y)²: ∂L/∂μ = 2(μ − y)·g, ∂L/∂y = −2(μ − y)·g."""

    def forward(self, mu, y):
        self.mu, self.y = mu, y
        return (mu - y) ** 2

    def backward(self, upstream_grad):
        return 2 * (self.mu - self.y) * upstream_grad, -2 * (self.mu - self.y) * upstream_grad


class SquaredYWrongSign(SquaredRef):
    """∂L/∂y with the sign of ∂L/∂μ."""

    def backward(self, upstream_grad):
        return 2 * (self.mu - self.y) * upstream_grad, 2 * (self.mu - self.y) * upstream_grad


class SquaredForgotTwo(SquaredRef):
    """d(u²)/du = u: the factor 2 is missing."""

    def backward(self, upstream_grad):
        return (self.mu - self.y) * upstream_grad, -(self.mu - self.y) * upstream_grad


class SquaredOneGradient(SquaredRef):
    """Only ∂L/∂μ returned: the lecture asks for both."""

    def backward(self, upstream_grad):
        return 2 * (self.mu - self.y) * upstream_grad


class SquaredNoneForMu(SquaredRef):
    """Returns None for μ, which needs a gradient."""

    def backward(self, upstream_grad):
        return None, -2 * (self.mu - self.y) * upstream_grad


# -- Sum and Mean -----------------------------------------------------------------------------------
class SumRef(Differentiable):
    """L = Σ x: ∂L/∂x = g broadcast to the shape of x."""

    def forward(self, x):
        self.x = x
        return np.sum(x)

    def backward(self, upstream_grad):
        return upstream_grad * np.ones_like(self.x)


class SumReturnsUpstream(SumRef):
    """Returns the scalar upstream gradient for an (8,) input."""

    def backward(self, upstream_grad):
        return upstream_grad


class MeanRef(Differentiable):
    """m = (1/N) Σ x: ∂L/∂x = g / N."""

    def forward(self, x):
        self.x = x
        return np.mean(x)

    def backward(self, upstream_grad):
        return upstream_grad * np.ones_like(self.x) / self.x.size


class MeanForgotDivide(MeanRef):
    """The 1/N is missing: off by a factor N."""

    def backward(self, upstream_grad):
        return upstream_grad * np.ones_like(self.x)


def _x84(rng):
    return (rng.standard_normal((8, 4)),)


def _mu_y(rng):
    return rng.standard_normal(8), rng.standard_normal(8)


def _vector(rng):
    return (rng.standard_normal(8),)


CASES = [
    Case("linear_vector_no_transpose", LinearVectorNoTranspose, LinearRef, _x84, "exception"),
    Case("linear_forgot_theta_grad", LinearForgotThetaGrad, LinearRef, _x84, "no_gradient", None, "theta"),
    Case("linear_matrix_no_transpose", LinearMatrixNoTranspose, LinearMatrixRef, _x84, "shape", "transpose", "theta"),
    Case(
        "linear_square_no_transpose", LinearSquareNoTranspose, _square_ref, _x84, "wrong_gradient", "transpose", "theta"
    ),
    Case("squared_y_wrong_sign", SquaredYWrongSign, SquaredRef, _mu_y, "wrong_gradient", "sign", "y"),
    Case("squared_forgot_two", SquaredForgotTwo, SquaredRef, _mu_y, "wrong_gradient", "factor", "mu"),
    Case("squared_one_gradient", SquaredOneGradient, SquaredRef, _mu_y, "exception", "gradient_count"),
    Case("squared_none_for_mu", SquaredNoneForMu, SquaredRef, _mu_y, "no_gradient", None, "mu"),
    Case("sum_returns_upstream", SumReturnsUpstream, SumRef, _vector, "shape", "missing_broadcast", "x"),
    Case("mean_forgot_divide", MeanForgotDivide, MeanRef, _vector, "wrong_gradient", "factor", "x"),
]
