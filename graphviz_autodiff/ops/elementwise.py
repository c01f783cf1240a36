"""Element-wise arithmetic with NumPy broadcasting: Add, Sub, Mul, Div, Neg, Pow.

Each backward sums its gradients back to the shape of its argument with
:func:`unbroadcast`, so ``x + b`` with ``x`` of shape (n, k) and ``b`` of
shape (k,) gives ``b`` a gradient of shape (k,).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..differentiable import Differentiable
from ._broadcast import unbroadcast, unbroadcast_like
from .formula import Formula, documented

__all__ = ["Add", "Div", "Mul", "Neg", "Pow", "Sub"]

_BOTH = (True, True)


@documented
class Add(Differentiable):
    r"""Addition, element-wise with broadcasting (each gradient summed over broadcast axes)."""

    symbol: ClassVar[str] = "v"
    formula: ClassVar[Formula] = Formula(
        "{out} = {a} + {b}",
        {
            "a": "∂{L}/∂{a} = ∂{L}/∂{out}",
            "b": "∂{L}/∂{b} = ∂{L}/∂{out}",
        },
    )

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a_shape, self.b_shape = np.shape(a), np.shape(b)
        return np.add(a, b)

    def backward(self, upstream_grad: np.ndarray) -> tuple:
        need_a, need_b = self.needs_input_grad or _BOTH
        return (
            unbroadcast(upstream_grad, self.a_shape) if need_a else None,
            unbroadcast(upstream_grad, self.b_shape) if need_b else None,
        )


@documented
class Sub(Differentiable):
    r"""Subtraction, element-wise with broadcasting (each gradient summed over broadcast axes)."""

    symbol: ClassVar[str] = "v"
    formula: ClassVar[Formula] = Formula(
        "{out} = {a} − {b}",
        {
            "a": "∂{L}/∂{a} = ∂{L}/∂{out}",
            "b": "∂{L}/∂{b} = −∂{L}/∂{out}",
        },
    )

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a_shape, self.b_shape = np.shape(a), np.shape(b)
        return np.subtract(a, b)

    def backward(self, upstream_grad: np.ndarray) -> tuple:
        need_a, need_b = self.needs_input_grad or _BOTH
        return (
            unbroadcast(upstream_grad, self.a_shape) if need_a else None,
            unbroadcast(-upstream_grad, self.b_shape) if need_b else None,
        )


@documented
class Mul(Differentiable):
    r"""The element-wise product, with broadcasting."""

    symbol: ClassVar[str] = "v"
    formula: ClassVar[Formula] = Formula(
        "{out} = {a} ⊙ {b}",
        {
            "a": "∂{L}/∂{a} = ∂{L}/∂{out} ⊙ {b}",
            "b": "∂{L}/∂{b} = ∂{L}/∂{out} ⊙ {a}",
        },
    )

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return np.multiply(a, b)

    def backward(self, upstream_grad: np.ndarray) -> tuple:
        need_a, need_b = self.needs_input_grad or _BOTH
        return (
            unbroadcast_like(upstream_grad * self.b, self.a) if need_a else None,
            unbroadcast_like(upstream_grad * self.a, self.b) if need_b else None,
        )


@documented
class Div(Differentiable):
    r"""Division, element-wise with broadcasting."""

    symbol: ClassVar[str] = "v"
    formula: ClassVar[Formula] = Formula(
        "{out} = {a} / {b}",
        {
            "a": "∂{L}/∂{a} = ∂{L}/∂{out} / {b}",
            "b": "∂{L}/∂{b} = −∂{L}/∂{out} ⊙ {a} / {b}²",
        },
    )

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return np.divide(a, b)

    def backward(self, upstream_grad: np.ndarray) -> tuple:
        need_a, need_b = self.needs_input_grad or _BOTH
        return (
            unbroadcast_like(upstream_grad / self.b, self.a) if need_a else None,
            unbroadcast_like(-upstream_grad * self.a / (self.b * self.b), self.b) if need_b else None,
        )


@documented
class Neg(Differentiable):
    r"""Negation."""

    symbol: ClassVar[str] = "v"
    formula: ClassVar[Formula] = Formula(
        "{out} = −{x}",
        {
            "x": "∂{L}/∂{x} = −∂{L}/∂{out}",
        },
    )

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.negative(x)

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return -np.asarray(upstream_grad)


@documented
class Pow(Differentiable):
    r"""The element-wise power ``a ** b``.

    The gradient of the exponent is 0 where a = 0 and NaN where a < 0, as in
    PyTorch. With a constant exponent (``x ** 2``) it is not computed.
    """

    symbol: ClassVar[str] = "v"
    formula: ClassVar[Formula] = Formula(
        "{out} = {a}^{b}",
        {
            "a": "∂{L}/∂{a} = ∂{L}/∂{out} ⊙ {b}·{a}^({b} − 1)",
            "b": "∂{L}/∂{b} = ∂{L}/∂{out} ⊙ {a}^{b}·ln {a}",
        },
    )

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        self.out = np.power(a, b)
        return self.out

    def backward(self, upstream_grad: np.ndarray) -> tuple:
        need_a, need_b = self.needs_input_grad or _BOTH
        grad_a = grad_b = None
        if need_a:
            grad_a = unbroadcast_like(upstream_grad * self.b * np.power(self.a, self.b - 1), self.a)
        if need_b:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.where(self.a == 0, 0.0, np.log(np.where(self.a == 0, 1.0, self.a)))
            grad_b = unbroadcast_like(upstream_grad * self.out * log_a, self.b)
        return grad_a, grad_b
