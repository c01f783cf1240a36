"""Mistakes that make NaN or Inf: an unstable softmax in forward, a division by an input in backward."""

from __future__ import annotations

import numpy as np

from graphviz_autodiff import Differentiable

from . import Case
from .arithmetic import MulRef


class SoftmaxRef(Differentiable):
    """Row softmax, stable (max subtracted): ∂L/∂x = y ⊙ (g − Σ g ⊙ y)."""

    def forward(self, x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.out = e / e.sum(axis=1, keepdims=True)
        return self.out

    def backward(self, upstream_grad):
        y = self.out
        return y * (upstream_grad - (upstream_grad * y).sum(axis=1, keepdims=True))


class SoftmaxNaive(SoftmaxRef):
    """exp(x) overflows for logits of several hundreds: inf / inf = NaN."""

    def forward(self, x):
        with np.errstate(over="ignore", invalid="ignore"):  # keep the test log quiet; the NaN is the point
            e = np.exp(x)
            self.out = e / e.sum(axis=1, keepdims=True)
        return self.out


class MulDividesOutput(MulRef):
    """∂(ab)/∂a written as z / a: infinite where a = 0."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a * b
        return self.out

    def backward(self, upstream_grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            return upstream_grad * self.out / self.a, upstream_grad * self.a


def _logits(rng):
    x = rng.standard_normal((4, 5))
    x[1] = [1000.0, 998.0, -3.0, 0.0, 1.0]  # a confident row: exp(1000) overflows
    return (x,)


def _with_zero(rng):
    a = rng.standard_normal((5, 3))
    a[2, 1] = 0.0
    return a, rng.standard_normal((5, 3))


CASES = [
    Case("softmax_naive", SoftmaxNaive, SoftmaxRef, _logits, "nonfinite_forward"),
    Case("mul_divides_output", MulDividesOutput, MulRef, _with_zero, "nonfinite_backward", None, "a"),
]
