"""Mistakes in activations: output used for input (and back), upstream returned or mutated, stale input."""

from __future__ import annotations

import numpy as np

from graphviz_autodiff import Differentiable

from . import Case


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class SigmoidRef(Differentiable):
    """y = σ(x): ∂L/∂x = g·y(1 − y)."""

    def forward(self, x):
        self.out = _sigmoid(x)
        return self.out

    def backward(self, upstream_grad):
        return upstream_grad * self.out * (1 - self.out)


class SigmoidUsesOutput(SigmoidRef):
    """σ'(x) = σ(x)(1 − σ(x)) evaluated at the output: σ(y)(1 − σ(y))."""

    def backward(self, upstream_grad):
        s = _sigmoid(self.out)
        return upstream_grad * s * (1 - s)


class SigmoidReturnsUpstream(SigmoidRef):
    """Forgot the local derivative."""

    def backward(self, upstream_grad):
        return upstream_grad


class SigmoidForgotSaveX(Differentiable):
    """forward never saves x, so backward reads the class default (0)."""

    x = 0.0

    def forward(self, x):
        return _sigmoid(x)

    def backward(self, upstream_grad):
        s = _sigmoid(self.x)
        return upstream_grad * s * (1 - s)


class TanhRef(Differentiable):
    """y = tanh(x): ∂L/∂x = g·(1 − y²)."""

    def forward(self, x):
        self.x = x
        self.out = np.tanh(x)
        return self.out

    def backward(self, upstream_grad):
        return upstream_grad * (1 - self.out**2)


class TanhUsesInput(TanhRef):
    """1 − y² written with the input: 1 − x²."""

    def backward(self, upstream_grad):
        return upstream_grad * (1 - self.x**2)


class TanhForgotSaveX(Differentiable):
    """backward reads self.x, which forward never set: AttributeError."""

    def forward(self, x):
        return np.tanh(x)

    def backward(self, upstream_grad):
        return upstream_grad * (1 - np.tanh(self.x) ** 2)


class ReLURef(Differentiable):
    """y = max(x, 0): ∂L/∂x = g·𝟙[x > 0]."""

    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, upstream_grad):
        return upstream_grad * self.mask


class ReLUMutatesUpstream(ReLURef):
    """Zeroes upstream_grad in place: right values, but the caller's array is changed."""

    def backward(self, upstream_grad):
        upstream_grad[~self.mask] = 0.0
        return upstream_grad


def _x(rng):
    return (rng.standard_normal((6, 4)),)


CASES = [
    Case("sigmoid_uses_output", SigmoidUsesOutput, SigmoidRef, _x, "wrong_gradient", None, "x"),
    Case("sigmoid_returns_upstream", SigmoidReturnsUpstream, SigmoidRef, _x, "wrong_gradient", "passthrough", "x"),
    Case("sigmoid_forgot_save_x", SigmoidForgotSaveX, SigmoidRef, _x, "wrong_gradient", None, "x"),
    Case("tanh_uses_input", TanhUsesInput, TanhRef, _x, "wrong_gradient", None, "x"),
    Case("tanh_forgot_save_x", TanhForgotSaveX, TanhRef, _x, "exception"),
    Case("relu_mutates_upstream", ReLUMutatesUpstream, ReLURef, _x, "wrong_gradient", "mutates_upstream"),
]
