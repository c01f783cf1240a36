"""Element-wise arithmetic with NumPy broadcasting: Add, Sub, Mul, Div, Neg, Pow.

Each backward sums its gradients back to the shape of its argument with
:func:`unbroadcast`, so ``x + b`` with ``x`` of shape (n, k) and ``b`` of
shape (k,) gives ``b`` a gradient of shape (k,).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..differentiable import Differentiable
from ._broadcast import unbroadcast

__all__ = ["Add", "Div", "Mul", "Neg", "Pow", "Sub"]

_BOTH = (True, True)


class Add(Differentiable):
    r"""z = a + b.

    Backward: ∂L/∂a = ∂L/∂z, ∂L/∂b = ∂L/∂z (each summed over broadcast axes).
    """

    formula: ClassVar[dict[str, Any]] = {
        "forward": "z = a + b",
        "backward": {
            "a": "∂L/∂a = ∂L/∂z",
            "b": "∂L/∂b = ∂L/∂z",
        },
    }

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a_shape, self.b_shape = np.shape(a), np.shape(b)
        return np.add(a, b)

    def backward(self, upstream_grad: np.ndarray) -> tuple:
        need_a, need_b = self.needs_input_grad or _BOTH
        return (
            unbroadcast(upstream_grad, self.a_shape) if need_a else None,
            unbroadcast(upstream_grad, self.b_shape) if need_b else None,
        )


class Sub(Differentiable):
    r"""z = a − b.

    Backward: ∂L/∂a = ∂L/∂z, ∂L/∂b = −∂L/∂z (each summed over broadcast axes).
    """

    formula: ClassVar[dict[str, Any]] = {
        "forward": "z = a − b",
        "backward": {
            "a": "∂L/∂a = ∂L/∂z",
            "b": "∂L/∂b = −∂L/∂z",
        },
    }

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a_shape, self.b_shape = np.shape(a), np.shape(b)
        return np.subtract(a, b)

    def backward(self, upstream_grad: np.ndarray) -> tuple:
        need_a, need_b = self.needs_input_grad or _BOTH
        return (
            unbroadcast(upstream_grad, self.a_shape) if need_a else None,
            unbroadcast(-upstream_grad, self.b_shape) if need_b else None,
        )


class Mul(Differentiable):
    r"""z = a ⊙ b (element-wise product).

    Backward: ∂L/∂a = ∂L/∂z ⊙ b, ∂L/∂b = ∂L/∂z ⊙ a.
    """

    formula: ClassVar[dict[str, Any]] = {
        "forward": "z = a ⊙ b",
        "backward": {
            "a": "∂L/∂a = ∂L/∂z ⊙ b",
            "b": "∂L/∂b = ∂L/∂z ⊙ a",
        },
    }

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return np.multiply(a, b)

    def backward(self, upstream_grad: np.ndarray) -> tuple:
        need_a, need_b = self.needs_input_grad or _BOTH
        return (
            unbroadcast(upstream_grad * self.b, np.shape(self.a)) if need_a else None,
            unbroadcast(upstream_grad * self.a, np.shape(self.b)) if need_b else None,
        )


class Div(Differentiable):
    r"""z = a / b (element-wise).

    Backward: ∂L/∂a = ∂L/∂z / b, ∂L/∂b = −∂L/∂z ⊙ a / b².
    """

    formula: ClassVar[dict[str, Any]] = {
        "forward": "z = a / b",
        "backward": {
            "a": "∂L/∂a = ∂L/∂z / b",
            "b": "∂L/∂b = −∂L/∂z ⊙ a / b²",
        },
    }

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return np.divide(a, b)

    def backward(self, upstream_grad: np.ndarray) -> tuple:
        need_a, need_b = self.needs_input_grad or _BOTH
        return (
            unbroadcast(upstream_grad / self.b, np.shape(self.a)) if need_a else None,
            unbroadcast(-upstream_grad * self.a / (self.b * self.b), np.shape(self.b)) if need_b else None,
        )


class Neg(Differentiable):
    r"""z = −x.

    Backward: ∂L/∂x = −∂L/∂z.
    """

    formula: ClassVar[dict[str, Any]] = {
        "forward": "z = −x",
        "backward": {
            "x": "∂L/∂x = −∂L/∂z",
        },
    }

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.negative(x)

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return -np.asarray(upstream_grad)


class Pow(Differentiable):
    r"""z = a ** b (element-wise power).

    Backward: ∂L/∂a = ∂L/∂z ⊙ b·a^(b−1), ∂L/∂b = ∂L/∂z ⊙ a^b·ln a (0 where
    a = 0; NaN where a < 0, as in PyTorch). With a constant exponent
    (``x ** 2``) the second gradient is not computed.
    """

    formula: ClassVar[dict[str, Any]] = {
        "forward": "z = aᵇ",
        "backward": {
            "a": "∂L/∂a = ∂L/∂z ⊙ b·aᵇ⁻¹",
            "b": "∂L/∂b = ∂L/∂z ⊙ aᵇ·ln a",
        },
    }

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        self.out = np.power(a, b)
        return self.out

    def backward(self, upstream_grad: np.ndarray) -> tuple:
        need_a, need_b = self.needs_input_grad or _BOTH
        grad_a = grad_b = None
        if need_a:
            grad_a = unbroadcast(upstream_grad * self.b * np.power(self.a, self.b - 1), np.shape(self.a))
        if need_b:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.where(self.a == 0, 0.0, np.log(np.where(self.a == 0, 1.0, self.a)))
            grad_b = unbroadcast(upstream_grad * self.out * log_a, np.shape(self.b))
        return grad_a, grad_b
