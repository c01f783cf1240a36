"""Matrix product and transpose."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..differentiable import Differentiable
from ._broadcast import unbroadcast
from .formula import Formula, documented

__all__ = ["MatMul", "Transpose"]


@documented
class MatMul(Differentiable):
    r"""The matrix product ``a @ b`` (``numpy.matmul`` semantics, including 1-D and batched operands).

    The gradients are written for 2-D operands. A 1-D operand is treated as a
    row (a) or column (b) vector and the extra axis removed again; batch axes
    are summed back by broadcasting rules.
    """

    symbol: ClassVar[str] = "z"
    formula: ClassVar[Formula] = Formula(
        "{out} = {a}·{b}",
        {
            "a": "∂{L}/∂{a} = ∂{L}/∂{out}·{b}ᵀ",
            "b": "∂{L}/∂{b} = {a}ᵀ·∂{L}/∂{out}",
        },
    )

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return np.matmul(a, b)

    def backward(self, upstream_grad: np.ndarray) -> tuple:
        need_a, need_b = self.needs_input_grad or (True, True)
        a, b = np.asarray(self.a), np.asarray(self.b)
        # Promote 1-D operands to matrices as matmul does, and the gradient with them.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = np.asarray(upstream_grad)
        if b.ndim == 1:
            g = g[..., None]
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        grad_a = unbroadcast(g @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape) if need_a else None
        grad_b = unbroadcast(np.swapaxes(a2, -1, -2) @ g, b2.shape).reshape(b.shape) if need_b else None
        return grad_a, grad_b


@documented
class Transpose(Differentiable):
    r"""The transpose: axes reversed, or permuted by ``axes`` (the gradient is permuted back)."""

    symbol: ClassVar[str] = "v"
    formula: ClassVar[Formula] = Formula(
        "{out} = {x}ᵀ",
        {
            "x": "∂{L}/∂{x} = (∂{L}/∂{out})ᵀ",
        },
    )

    def __init__(self, axes: tuple[int, ...] | None = None, name: str | None = None):
        super().__init__(name)
        self.axes = axes

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.ndim = np.ndim(x)
        return np.transpose(x, self.axes)

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        if self.axes is None:
            return np.transpose(upstream_grad)
        ndim = np.ndim(upstream_grad)
        return np.transpose(upstream_grad, np.argsort([axis % ndim for axis in self.axes]))  # negative axes too
