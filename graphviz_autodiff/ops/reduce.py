"""Reductions: Sum and Mean over all elements or over axes."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..differentiable import Differentiable
from .formula import Formula, documented

__all__ = ["Mean", "Sum"]


def _expand(upstream_grad: Any, shape: tuple[int, ...], axis: Any, keepdims: bool) -> np.ndarray:
    """Broadcast a reduced gradient back to ``shape`` (undoing the lost axes)."""
    g = np.asarray(upstream_grad)
    if axis is None:
        # A fresh contiguous array: a read-only broadcast view would slow down every later op.
        return np.full(shape, g.reshape(()), dtype=g.dtype if g.dtype.kind in "fc" else np.float64)
    if not keepdims:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return np.broadcast_to(g, shape).copy()


class _Reduction(Differentiable):
    """A reduction over all elements or over ``axis`` (the shared constructor of Sum and Mean)."""

    def __init__(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, name: str | None = None):
        super().__init__(name)
        self.axis = axis
        self.keepdims = keepdims


@documented
class Sum(_Reduction):
    r"""The sum of all elements, or over ``axis``.

    The lecture's loss is ``Sum()(Squared()(mu, y))``. Every element of the
    input contributed once to the sum, so each gets the same gradient.

    Parameters
    ----------
    axis : int or tuple of int, optional
        Axes to sum over; all of them by default.
    keepdims : bool, default False
        Keep the summed axes with length 1.
    """

    symbol: ClassVar[str] = "L"
    formula: ClassVar[Formula] = Formula(
        "{out} = Σ {x}",
        {
            "x": "∂{L}/∂{x} = ∂{L}/∂{out} · 𝟙",
        },
        symbols={"x": "s"},
    )

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x_shape = np.shape(x)
        return np.sum(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return _expand(upstream_grad, self.x_shape, self.axis, self.keepdims)


@documented
class Mean(_Reduction):
    r"""The mean of all elements, or over ``axis`` (N elements averaged).

    Parameters
    ----------
    axis : int or tuple of int, optional
        Axes to average over; all of them by default.
    keepdims : bool, default False
        Keep the averaged axes with length 1.
    """

    symbol: ClassVar[str] = "m"
    formula: ClassVar[Formula] = Formula(
        "{out} = (1/N) Σ {x}",
        {
            "x": "∂{L}/∂{x} = ∂{L}/∂{out} · 𝟙 / N",
        },
    )

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x_shape = np.shape(x)
        out = np.mean(x, axis=self.axis, keepdims=self.keepdims)
        self.count = x.size // max(np.size(out), 1) if x.size else 1
        return out

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return _expand(np.asarray(upstream_grad) / self.count, self.x_shape, self.axis, self.keepdims)
