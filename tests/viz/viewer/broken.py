"""A graph with problems: a backward that returns NaN and one that raises, as a student's might."""

from __future__ import annotations

import numpy as np

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable
from graphviz_autodiff.ops import Identity, Sum


class Broken(Differentiable):
    """An op whose backward raises, as a student's might."""

    def forward(self, x):
        return x

    def backward(self, upstream_grad):
        raise ValueError("student forgot to return the gradient")


class NaNGrad(Differentiable):
    """An op whose backward returns NaN."""

    def forward(self, x):
        return x * 1.0

    def backward(self, upstream_grad):
        return np.full_like(upstream_grad, np.nan)


def broken_loss() -> gad.Tensor:
    """x → Broken → NaNGrad → Identity → Sum: steps 1 Sum, 2 Identity, 3 NaNGrad (NaN), 4 Broken (raises)."""
    x = gad.Tensor(np.array([1.0, 2.0, 3.0]), name="x")
    b = Broken()(x)
    b.name = "b"
    return Sum()(Identity()(NaNGrad()(b)))
