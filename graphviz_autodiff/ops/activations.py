"""Activation functions and element-wise maps: ReLU, LeakyReLU, Sigmoid, Tanh, Exp, Log, Softmax, LogSoftmax.

Notation (the stepper's): the op maps ``x`` to ``y``; ``∂L/∂y`` is the
upstream gradient, ``⊙`` the element-wise product, ``𝟙[·]`` the indicator.
Every ``backward`` returns a gradient of the shape of ``x``.

Softmax and LogSoftmax subtract the maximum along ``axis`` before
exponentiating, so logits of ±1000 give finite values and gradients.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..differentiable import Differentiable
from .formula import Formula, documented

__all__ = ["Exp", "LeakyReLU", "Log", "LogSoftmax", "ReLU", "Sigmoid", "Softmax", "Tanh"]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e⁻ˣ), computed without overflow for large ``|x|``.

    Uses e^(−|x|), which never overflows: σ(x) = 1/(1 + e^(−|x|)) for x ≥ 0
    and e^(−|x|)/(1 + e^(−|x|)) for x < 0.

    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    x = np.asarray(x, dtype=np.result_type(x, np.float64))
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax(x) = x − max − log Σ exp(x − max), along ``axis`` (stable)."""
    x = np.asarray(x, dtype=np.result_type(x, np.float64))
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax(x) = exp(x − max) / Σ exp(x − max), along ``axis`` (stable)."""
    x = np.asarray(x, dtype=np.result_type(x, np.float64))
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _check_axis(op: str, axis: Any) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: axis must be an int (e.g. -1 for the last axis), got {axis!r}")
    return int(axis)


def _check_forward_axis(op: str, axis: int, x: np.ndarray) -> None:
    ndim = np.ndim(x)
    if ndim == 0 or not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis={axis} is out of range for an input of shape {np.shape(x)}")


@documented
class ReLU(Differentiable):
    r"""Rectified linear unit, element-wise (the gradient is 0 at x = 0, as in PyTorch).

    Examples
    --------
    >>> ReLU()(np.array([-2.0, 0.0, 3.0])).data
    array([0., 0., 3.])
    """

    symbol: ClassVar[str] = "h"
    formula: ClassVar[Formula] = Formula(
        "{out} = max({x}, 0)",
        {
            "x": "∂{L}/∂{x} = ∂{L}/∂{out} ⊙ 𝟙[{x} > 0]",
        },
    )

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.positive = np.asarray(x) > 0
        return np.where(self.positive, x, 0.0)

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return np.where(self.positive, upstream_grad, 0.0)


@documented
class LeakyReLU(Differentiable):
    r"""Leaky ReLU: x where x > 0, else α·x.

    Parameters
    ----------
    negative_slope : float, default 0.01
        α, the slope for negative inputs (PyTorch's default).
    name : str, optional
        Label in drawings.

    Examples
    --------
    >>> LeakyReLU(0.1)(np.array([-2.0, 3.0])).data
    array([-0.2,  3. ])
    """

    symbol: ClassVar[str] = "h"
    formula: ClassVar[Formula] = Formula(
        "{out} = {x} ⊙ (𝟙[{x} > 0] + α·𝟙[{x} ≤ 0])",
        {
            "x": "∂{L}/∂{x} = ∂{L}/∂{out} ⊙ (𝟙[{x} > 0] + α·𝟙[{x} ≤ 0])",
        },
    )

    def __init__(self, negative_slope: float = 0.01, name: str | None = None) -> None:
        super().__init__(name)
        if not np.isfinite(negative_slope):
            raise ValueError(f"LeakyReLU: negative_slope must be a finite number, got {negative_slope!r}")
        self.negative_slope = float(negative_slope)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.slope = np.where(np.asarray(x) > 0, 1.0, self.negative_slope)
        return x * self.slope

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return upstream_grad * self.slope


@documented
class Sigmoid(Differentiable):
    r"""Logistic sigmoid, element-wise (computed without overflow).

    Examples
    --------
    >>> Sigmoid()(np.array([0.0])).data
    array([0.5])
    """

    symbol: ClassVar[str] = "h"
    formula: ClassVar[Formula] = Formula(
        "{out} = σ({x}) = 1 / (1 + exp(−{x}))",
        {
            "x": "∂{L}/∂{x} = ∂{L}/∂{out} ⊙ {out}(1 − {out})",
        },
    )

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = sigmoid(x)
        return self.y

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return upstream_grad * self.y * (1.0 - self.y)


@documented
class Tanh(Differentiable):
    r"""Hyperbolic tangent, element-wise.

    Examples
    --------
    >>> Tanh()(np.array([0.0])).data
    array([0.])
    """

    symbol: ClassVar[str] = "h"
    formula: ClassVar[Formula] = Formula(
        "{out} = tanh({x})",
        {
            "x": "∂{L}/∂{x} = ∂{L}/∂{out} ⊙ (1 − {out}²)",
        },
    )

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.tanh(x)
        return self.y

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return upstream_grad * (1.0 - self.y * self.y)


@documented
class Exp(Differentiable):
    r"""Exponential, element-wise.

    Examples
    --------
    >>> Exp()(np.array([0.0])).data
    array([1.])
    """

    symbol: ClassVar[str] = "v"
    formula: ClassVar[Formula] = Formula(
        "{out} = exp({x})",
        {
            "x": "∂{L}/∂{x} = ∂{L}/∂{out} ⊙ {out}",
        },
    )

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.exp(x)
        return self.y

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return upstream_grad * self.y


@documented
class Log(Differentiable):
    r"""Natural logarithm, element-wise (NaN for x < 0 and −∞ at 0, as in NumPy and PyTorch).

    Examples
    --------
    >>> Log()(np.array([1.0])).data
    array([0.])
    """

    symbol: ClassVar[str] = "v"
    formula: ClassVar[Formula] = Formula(
        "{out} = ln {x}",
        {
            "x": "∂{L}/∂{x} = ∂{L}/∂{out} / {x}",
        },
    )

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.log(x)

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return upstream_grad / self.x


@documented
class Softmax(Differentiable):
    r"""Softmax along an axis (stable: the maximum is subtracted first).

    The sums run along ``axis``; the gradient is the Jacobian
    ∂pᵢ/∂xⱼ = pᵢ(δᵢⱼ − pⱼ) applied to the upstream gradient.

    Parameters
    ----------
    axis : int, default -1
        The axis whose entries sum to 1 (PyTorch's ``dim``): -1 for the
        classes of logits of shape (n, C).
    name : str, optional
        Label in drawings.

    Examples
    --------
    >>> Softmax()(np.array([[0.0, 0.0], [1000.0, -1000.0]])).data
    array([[0.5, 0.5],
           [1. , 0. ]])
    """

    symbol: ClassVar[str] = "p"
    formula: ClassVar[Formula] = Formula(
        "{out}ᵢ = exp({x}ᵢ) / Σⱼ exp({x}ⱼ)",
        {
            "x": "∂{L}/∂{x} = {out} ⊙ (∂{L}/∂{out} − Σⱼ ∂{L}/∂{out}ⱼ·{out}ⱼ)",
        },
    )

    def __init__(self, axis: int = -1, name: str | None = None) -> None:
        super().__init__(name)
        self.axis = _check_axis("Softmax", axis)

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_forward_axis("Softmax", self.axis, x)
        self.y = softmax(x, self.axis)
        return self.y

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        y = self.y
        return y * (upstream_grad - np.sum(upstream_grad * y, axis=self.axis, keepdims=True))


@documented
class LogSoftmax(Differentiable):
    r"""Log of the softmax along an axis (stable log-sum-exp: the maximum is subtracted first).

    The sums run along ``axis``.

    Parameters
    ----------
    axis : int, default -1
        The axis to normalise over (PyTorch's ``dim``).
    name : str, optional
        Label in drawings.

    Examples
    --------
    >>> LogSoftmax()(np.array([1000.0, -1000.0])).data
    array([    0., -2000.])
    """

    symbol: ClassVar[str] = "v"
    formula: ClassVar[Formula] = Formula(
        "{out}ᵢ = {x}ᵢ − log Σⱼ exp({x}ⱼ)",
        {
            "x": "∂{L}/∂{x} = ∂{L}/∂{out} − softmax({x}) ⊙ Σⱼ ∂{L}/∂{out}ⱼ",
        },
    )

    def __init__(self, axis: int = -1, name: str | None = None) -> None:
        super().__init__(name)
        self.axis = _check_axis("LogSoftmax", axis)

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_forward_axis("LogSoftmax", self.axis, x)
        self.y = log_softmax(x, self.axis)
        return self.y

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return upstream_grad - np.exp(self.y) * np.sum(upstream_grad, axis=self.axis, keepdims=True)
