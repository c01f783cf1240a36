"""Ops that move values around without changing them: Reshape and Concat.

Their backward passes only move the gradient back: Reshape reshapes it to
the input's shape, Concat cuts it into the pieces each input contributed.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..differentiable import Differentiable
from .formula import Formula, documented

__all__ = ["Concat", "Reshape"]


@documented
class Reshape(Differentiable):
    r"""The same values with another ``shape``, read in C order.

    Parameters
    ----------
    shape : int or tuple of int
        The new shape; one entry may be -1 (inferred), as in NumPy.
    name : str, optional
        Label in drawings.

    Raises
    ------
    ValueError
        In forward, when the input's size does not fit ``shape``.

    Examples
    --------
    >>> import numpy as np
    >>> Reshape((2, 3))(np.arange(6.0)).shape
    (2, 3)
    """

    symbol: ClassVar[str] = "v"
    formula: ClassVar[Formula] = Formula(
        "{out} = reshape({x})",
        {
            "x": "∂{L}/∂{x} = reshape⁻¹(∂{L}/∂{out})",
        },
    )

    def __init__(self, shape: int | tuple[int, ...], name: str | None = None) -> None:
        super().__init__(name)
        dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in dims):
            raise TypeError(f"Reshape: shape must be an int or a tuple of ints, got {shape!r}")
        if sum(d == -1 for d in dims) > 1 or any(d < -1 for d in dims):
            raise ValueError(f"Reshape: shape may hold non-negative sizes and at most one -1, got {shape!r}")
        self.shape = tuple(int(d) for d in dims)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x_shape = np.shape(x)
        try:
            return np.reshape(x, self.shape)
        except ValueError:
            raise ValueError(
                f"Reshape: cannot reshape an input of shape {self.x_shape} ({np.size(x)} elements) to {self.shape}"
            ) from None

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return np.reshape(upstream_grad, self.x_shape)


@documented
class Concat(Differentiable):
    r"""Arguments joined along ``axis`` (``numpy.concatenate``).

    Each input gets back exactly the gradient of its own entries: the i-th
    block of the upstream gradient split along ``axis``.

    Called with any number of arguments (at least one): ``Concat(axis=1)(a, b)``.

    Parameters
    ----------
    axis : int, default 0
        The axis to join along; all other axes must match.
    name : str, optional
        Label in drawings.

    Raises
    ------
    ValueError
        In forward, for no input, a 0-d input, or shapes that differ off ``axis``.

    Examples
    --------
    >>> import numpy as np
    >>> Concat(axis=1)(np.ones((2, 1)), np.zeros((2, 3))).shape
    (2, 4)
    """

    symbol: ClassVar[str] = "v"
    formula: ClassVar[Formula] = Formula(
        "{out} = concat({xs})",
        {
            "xs": "∂{L}/∂{xs} = split(∂{L}/∂{out})[{i}]",
        },
        symbols={"xs": "xᵢ", "i": "i"},
    )

    def __init__(self, axis: int = 0, name: str | None = None) -> None:
        super().__init__(name)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"Concat: axis must be an int, got {axis!r}")
        self.axis = int(axis)

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        if not xs:
            raise ValueError("Concat: needs at least one input, got none")
        shapes = [np.shape(x) for x in xs]
        ndim = len(shapes[0])
        if ndim == 0 or not -ndim <= self.axis < ndim:
            raise ValueError(f"Concat: axis={self.axis} is out of range for inputs of shape {shapes[0]}")
        axis = self.axis % ndim
        for i, s in enumerate(shapes):
            if len(s) != ndim or s[:axis] + s[axis + 1 :] != shapes[0][:axis] + shapes[0][axis + 1 :]:
                raise ValueError(
                    f"Concat: input {i} has shape {s}, which does not match input 0 of shape {shapes[0]} "
                    f"on every axis except axis={self.axis}"
                )
        self.sizes = [s[axis] for s in shapes]
        return np.concatenate(xs, axis=axis)

    def backward(self, upstream_grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        needs = self.needs_input_grad or (True,) * len(self.sizes)
        pieces = np.split(np.asarray(upstream_grad), np.cumsum(self.sizes)[:-1], axis=self.axis)
        return tuple(piece if need else None for piece, need in zip(pieces, needs))
