"""Mistakes with state: class-level caches, in-place writes into inputs, a cache that is never refreshed."""

from __future__ import annotations

import numpy as np

from graphviz_autodiff import Differentiable, Parameter

from . import Case
from .activations import TanhRef


class TanhClassState(Differentiable):
    """Keeps the output in a class attribute: the second call overwrites the first call's."""

    _out = None

    def forward(self, x):
        TanhClassState._out = np.tanh(x)
        return TanhClassState._out

    def backward(self, upstream_grad):
        return upstream_grad * (1 - TanhClassState._out**2)


class TanhBufferState(Differentiable):
    """Writes every output into one preallocated buffer: the saved arrays alias each other."""

    def __init__(self) -> None:
        self.buffer = np.zeros((6, 4))

    def forward(self, x):
        self.buffer[...] = np.tanh(x)
        return self.buffer.copy()

    def backward(self, upstream_grad):
        return upstream_grad * (1 - self.buffer**2)


class AddBiasParamRef(Differentiable):
    """z = x + b with a parameter b: ∂L/∂x = g, ∂L/∂b = Σₙ g."""

    def __init__(self) -> None:
        self.b = Parameter(np.array([0.5, -1.0, 2.0, 0.25]), name="b")

    def forward(self, x):
        return x + self.b

    def backward(self, upstream_grad):
        self.b.grad = upstream_grad.sum(axis=0)
        return upstream_grad


class AddBiasInPlace(AddBiasParamRef):
    """Adds the bias into the input array (x += b) to "save memory": the producer's value is destroyed."""

    def forward(self, x):
        x += self.b.data
        return x


class LinearStaleCache(Differentiable):
    """Saves x only on the first call ("cache"): every later call's backward uses the first input."""

    def __init__(self) -> None:
        self.theta = Parameter(np.array([[0.5, -1.0, 0.25, 1.0]] * 4), name="Θ")

    def forward(self, x):
        if not hasattr(self, "x"):
            self.x = x
        return x @ self.theta

    def backward(self, upstream_grad):
        self.theta.grad = self.x.T @ upstream_grad
        return upstream_grad @ self.theta.T


class LinearRefSquare(Differentiable):
    """The correct version of LinearStaleCache."""

    def __init__(self) -> None:
        self.theta = Parameter(np.array([[0.5, -1.0, 0.25, 1.0]] * 4), name="Θ")

    def forward(self, x):
        self.x = x
        return x @ self.theta

    def backward(self, upstream_grad):
        self.theta.grad = self.x.T @ upstream_grad
        return upstream_grad @ self.theta.T


def _x(rng):
    return (rng.standard_normal((6, 4)),)


CASES = [
    Case("tanh_class_state", TanhClassState, TanhRef, _x, "reuse", "shared_state", None, calls=2),
    Case("tanh_buffer_state", TanhBufferState, TanhRef, _x, "reuse", "shared_state", None, calls=2),
    Case("add_bias_in_place", AddBiasInPlace, AddBiasParamRef, _x, "reuse", "mutates_input", "x"),
    Case("linear_stale_cache", LinearStaleCache, LinearRefSquare, _x, "wrong_gradient", None, "theta", 2, 1),
]
