"""Piecewise-linear selections: Maximum (element-wise max of two arrays) and Clip (clamp to a range).

Their gradients follow PyTorch's conventions at the kinks, so a graph
compared with ``torch.maximum`` / ``torch.clamp`` matches exactly even where
values tie.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..differentiable import Differentiable
from ._broadcast import unbroadcast
from .formula import Formula, documented

__all__ = ["Clip", "Maximum"]


@documented
class Maximum(Differentiable):
    r"""The element-wise maximum, with NumPy broadcasting (``torch.maximum``).

    Where a = b each argument gets half the gradient (PyTorch's rule). Both
    gradients are summed over broadcast axes back to their argument's shape.

    Examples
    --------
    >>> import numpy as np
    >>> Maximum()(np.array([1.0, 5.0]), np.array([3.0, 2.0])).data
    array([3., 5.])
    """

    symbol: ClassVar[str] = "v"
    formula: ClassVar[Formula] = Formula(
        "{out} = max({a}, {b})",
        {
            "a": "∂{L}/∂{a} = ∂{L}/∂{out} ⊙ (𝟙[{a} > {b}] + ½·𝟙[{a} = {b}])",
            "b": "∂{L}/∂{b} = ∂{L}/∂{out} ⊙ (𝟙[{b} > {a}] + ½·𝟙[{a} = {b}])",
        },
    )

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a_shape, self.b_shape = np.shape(a), np.shape(b)
        self.weight_a = np.where(np.greater(a, b), 1.0, np.where(np.equal(a, b), 0.5, 0.0))
        return np.maximum(a, b)

    def backward(self, upstream_grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        need_a, need_b = self.needs_input_grad or (True, True)
        return (
            unbroadcast(upstream_grad * self.weight_a, self.a_shape) if need_a else None,
            unbroadcast(upstream_grad * (1.0 - self.weight_a), self.b_shape) if need_b else None,
        )


@documented
class Clip(Differentiable):
    r"""Clipping to [low, high], element-wise (``numpy.clip``, ``torch.clamp``).

    The bounds are included, as in PyTorch; a missing bound is no constraint.

    Parameters
    ----------
    low, high : float, optional
        The bounds; at least one must be given. ``Clip(low=0)`` is ReLU.
    name : str, optional
        Label in drawings.

    Examples
    --------
    >>> import numpy as np
    >>> Clip(-1, 1)(np.array([-3.0, 0.5, 3.0])).data
    array([-1. ,  0.5,  1. ])
    """

    symbol: ClassVar[str] = "v"
    formula: ClassVar[Formula] = Formula(
        "{out} = min(max({x}, a), b)",
        {
            "x": "∂{L}/∂{x} = ∂{L}/∂{out} ⊙ 𝟙[a ≤ {x} ≤ b]",
        },
    )

    def __init__(self, low: float | None = None, high: float | None = None, name: str | None = None) -> None:
        super().__init__(name)
        if low is None and high is None:
            raise ValueError("Clip: give at least one bound, low or high (e.g. Clip(low=0.0))")
        for which, bound in (("low", low), ("high", high)):
            if bound is not None and (
                isinstance(bound, bool) or not isinstance(bound, (int, float, np.number)) or np.isnan(bound)
            ):
                raise ValueError(f"Clip: {which} must be a number or None, got {bound!r}")
        self.low = None if low is None else float(low)
        self.high = None if high is None else float(high)

    def forward(self, x: np.ndarray) -> np.ndarray:
        inside = np.ones(np.shape(x), dtype=bool)
        if self.low is not None:
            inside &= np.greater_equal(x, self.low)
        if self.high is not None:
            inside &= np.less_equal(x, self.high)
        self.inside = inside
        return np.clip(x, self.low, self.high)

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return np.where(self.inside, upstream_grad, 0.0)
