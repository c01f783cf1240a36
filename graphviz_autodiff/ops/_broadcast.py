"""Helpers shared by the built-in ops."""

from __future__ import annotations

import numpy as np

__all__ = ["unbroadcast", "unbroadcast_like"]


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` back to ``shape`` after NumPy broadcasting.

    When ``a`` of shape ``shape`` was broadcast to ``grad.shape`` in forward,
    each element of ``a`` was used several times, so its gradient is the sum
    of the gradients of all its copies: over the leading axes broadcasting
    added, and over the axes where ``a`` had length 1.

    >>> unbroadcast(np.ones((4, 3)), (3,))
    array([4., 4., 4.])
    >>> unbroadcast(np.ones((4, 3)), (4, 1)).shape
    (4, 1)
    """
    if type(grad) is not np.ndarray:
        grad = np.asarray(grad)
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def unbroadcast_like(grad: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Sum ``grad`` back to the shape of ``x`` (what ``unbroadcast(grad, np.shape(x))`` gives).

    Reads an ndarray's shape directly: ``np.shape`` is a dispatched Python
    function, about 2,000 instructions per call, and the element-wise ops
    call this once per backward (see benchmarks/PROFILE.md).

    >>> unbroadcast_like(np.ones((4, 3)), np.zeros(3))
    array([4., 4., 4.])
    >>> unbroadcast_like(np.ones(2), 5.0)
    array(2.)
    """
    shape = x.shape if type(x) is np.ndarray else np.shape(x)
    if type(grad) is not np.ndarray:
        grad = np.asarray(grad)
    if grad.shape == shape:
        return grad
    return unbroadcast(grad, shape)
