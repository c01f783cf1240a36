"""What a backward returns instead of a gradient: a mask, a complex or string value, a dict, a bare generator."""

from __future__ import annotations

import numpy as np

from graphviz_autodiff import Differentiable, Parameter

from . import Case
from .activations import ReLURef
from .lecture import SquaredRef


class ReLUReturnsMask(ReLURef):
    """The most common ReLU mistake: the local derivative as a boolean mask, without upstream_grad."""

    def backward(self, upstream_grad):
        return self.mask


class ReLUComplex(ReLURef):
    """A complex gradient (an np.sqrt of a negative number somewhere)."""

    def backward(self, upstream_grad):
        return (upstream_grad * self.mask).astype(np.complex128)


class ReLUString(ReLURef):
    """A string where the gradient should be."""

    def backward(self, upstream_grad):
        return "upstream_grad * mask"


class ReLUDict(ReLURef):
    """The gradient wrapped in a dict."""

    def backward(self, upstream_grad):
        return {"x": upstream_grad * self.mask}


class SquaredObjectForY(SquaredRef):
    """∂L/∂y is a ragged list that NumPy turns into an object array."""

    def backward(self, upstream_grad):
        d_mu = 2 * (self.mu - self.y) * upstream_grad
        return d_mu, [d_mu, 1.0]


class SquaredStringForY(SquaredRef):
    """∂L/∂y given as a string array."""

    def backward(self, upstream_grad):
        d_mu = 2 * (self.mu - self.y) * upstream_grad
        return d_mu, (-d_mu).astype(str)


class SquaredThreeGradients(SquaredRef):
    """Three gradients for two arguments."""

    def backward(self, upstream_grad):
        d_mu = 2 * (self.mu - self.y) * upstream_grad
        return d_mu, -d_mu, d_mu


class ScaleRef(Differentiable):
    """z = x ⊙ w with a parameter w: ∂L/∂x = g ⊙ w, ∂L/∂w = Σₙ g ⊙ x."""

    def __init__(self) -> None:
        self.w = Parameter(np.array([0.5, -1.0, 2.0, 1.5]), name="w")

    def forward(self, x):
        self.x = x
        return x * self.w

    def backward(self, upstream_grad):
        self.w.grad = (upstream_grad * self.x).sum(axis=0)
        return upstream_grad * self.w


class ScaleBoolParamGrad(ScaleRef):
    """Sets the parameter's .grad to a boolean mask."""

    def backward(self, upstream_grad):
        self.w.grad = self.w.data > 0
        return upstream_grad * self.w


def _x(rng):
    return (rng.standard_normal((6, 4)),)


def _mu_y(rng):
    return rng.standard_normal(8), rng.standard_normal(8)


CASES = [
    Case("relu_returns_mask", ReLUReturnsMask, ReLURef, _x, "wrong_type", "boolean", "x"),
    Case("relu_complex", ReLUComplex, ReLURef, _x, "wrong_type", "complex", "x"),
    Case("relu_string", ReLUString, ReLURef, _x, "wrong_type", "string", "x"),
    Case("relu_dict", ReLUDict, ReLURef, _x, "wrong_type", "not_numeric", "x"),
    Case("squared_object_for_y", SquaredObjectForY, SquaredRef, _mu_y, "wrong_type", "not_numeric", "y"),
    Case("squared_string_for_y", SquaredStringForY, SquaredRef, _mu_y, "wrong_type", "string", "y"),
    Case("squared_three_gradients", SquaredThreeGradients, SquaredRef, _mu_y, "exception", "gradient_count"),
    Case("scale_bool_param_grad", ScaleBoolParamGrad, ScaleRef, _x, "wrong_type", "boolean", "w"),
]
