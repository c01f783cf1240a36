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


class ReLU(Differentiable):
    r"""Rectified linear unit: y = max(x, 0), element-wise.

    Forward: y = max(x, 0)

    Backward: ∂L/∂x = ∂L/∂y ⊙ 𝟙[x > 0]  (0 at x = 0, as in PyTorch)

    Examples
    --------
    >>> ReLU()(np.array([-2.0, 0.0, 3.0])).data
    array([0., 0., 3.])
    """

    formula: ClassVar[dict[str, Any]] = {
        "forward": "y = max(x, 0)",
        "backward": {"x": "∂L/∂x = ∂L/∂y ⊙ 𝟙[x > 0]"},
    }

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.positive = np.asarray(x) > 0
        return np.where(self.positive, x, 0.0)

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return np.where(self.positive, upstream_grad, 0.0)


class LeakyReLU(Differentiable):
    r"""Leaky ReLU: y = x for x > 0, else α·x.

    Forward: y = x if x > 0 else α·x

    Backward: ∂L/∂x = ∂L/∂y ⊙ (1 if x > 0 else α)

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

    formula: ClassVar[dict[str, Any]] = {
        "forward": "y = x·𝟙[x > 0] + α·x·𝟙[x ≤ 0]",
        "backward": {"x": "∂L/∂x = ∂L/∂y ⊙ (𝟙[x > 0] + α·𝟙[x ≤ 0])"},
    }

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


class Sigmoid(Differentiable):
    r"""Logistic sigmoid: y = σ(x) = 1 / (1 + e⁻ˣ), element-wise (overflow-free).

    Forward: y = σ(x) = 1 / (1 + e⁻ˣ)

    Backward: ∂L/∂x = ∂L/∂y ⊙ σ(x)(1 − σ(x)) = ∂L/∂y ⊙ y(1 − y)

    Examples
    --------
    >>> Sigmoid()(np.array([0.0])).data
    array([0.5])
    """

    formula: ClassVar[dict[str, Any]] = {
        "forward": "y = σ(x) = 1 / (1 + e⁻ˣ)",
        "backward": {"x": "∂L/∂x = ∂L/∂y ⊙ σ(x)(1 − σ(x))"},
    }

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = sigmoid(x)
        return self.y

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return upstream_grad * self.y * (1.0 - self.y)


class Tanh(Differentiable):
    r"""Hyperbolic tangent: y = tanh(x), element-wise.

    Forward: y = tanh(x)

    Backward: ∂L/∂x = ∂L/∂y ⊙ (1 − tanh²(x)) = ∂L/∂y ⊙ (1 − y²)

    Examples
    --------
    >>> Tanh()(np.array([0.0])).data
    array([0.])
    """

    formula: ClassVar[dict[str, Any]] = {
        "forward": "y = tanh(x)",
        "backward": {"x": "∂L/∂x = ∂L/∂y ⊙ (1 − tanh²(x))"},
    }

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.tanh(x)
        return self.y

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return upstream_grad * (1.0 - self.y * self.y)


class Exp(Differentiable):
    r"""Exponential: y = eˣ, element-wise.

    Forward: y = eˣ

    Backward: ∂L/∂x = ∂L/∂y ⊙ eˣ = ∂L/∂y ⊙ y

    Examples
    --------
    >>> Exp()(np.array([0.0])).data
    array([1.])
    """

    formula: ClassVar[dict[str, Any]] = {
        "forward": "y = eˣ",
        "backward": {"x": "∂L/∂x = ∂L/∂y ⊙ eˣ"},
    }

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.exp(x)
        return self.y

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return upstream_grad * self.y


class Log(Differentiable):
    r"""Natural logarithm: y = ln x, element-wise (NaN for x < 0 and −∞ at 0, as in NumPy and PyTorch).

    Forward: y = ln x

    Backward: ∂L/∂x = ∂L/∂y / x

    Examples
    --------
    >>> Log()(np.array([1.0])).data
    array([0.])
    """

    formula: ClassVar[dict[str, Any]] = {
        "forward": "y = ln x",
        "backward": {"x": "∂L/∂x = ∂L/∂y / x"},
    }

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.log(x)

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return upstream_grad / self.x


class Softmax(Differentiable):
    r"""Softmax along an axis: yᵢ = e^{xᵢ} / Σⱼ e^{xⱼ} (stable: the maximum is subtracted first).

    Forward: yᵢ = exp(xᵢ − max x) / Σⱼ exp(xⱼ − max x)

    Backward: ∂L/∂x = y ⊙ (∂L/∂y − Σⱼ ∂L/∂yⱼ·yⱼ), the sum along ``axis``
    (the Jacobian ∂yᵢ/∂xⱼ = yᵢ(δᵢⱼ − yⱼ) applied to ∂L/∂y).

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

    formula: ClassVar[dict[str, Any]] = {
        "forward": "yᵢ = e^{xᵢ} / Σⱼ e^{xⱼ}",
        "backward": {"x": "∂L/∂x = y ⊙ (∂L/∂y − Σⱼ ∂L/∂yⱼ·yⱼ)"},
    }

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


class LogSoftmax(Differentiable):
    r"""Log of the softmax along an axis: yᵢ = xᵢ − log Σⱼ e^{xⱼ} (stable log-sum-exp).

    Forward: yᵢ = xᵢ − m − log Σⱼ exp(xⱼ − m), with m = max x

    Backward: ∂L/∂x = ∂L/∂y − softmax(x) ⊙ Σⱼ ∂L/∂yⱼ, the sum along ``axis``.

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

    formula: ClassVar[dict[str, Any]] = {
        "forward": "yᵢ = xᵢ − log Σⱼ e^{xⱼ}",
        "backward": {"x": "∂L/∂x = ∂L/∂y − softmax(x) ⊙ Σⱼ ∂L/∂yⱼ"},
    }

    def __init__(self, axis: int = -1, name: str | None = None) -> None:
        super().__init__(name)
        self.axis = _check_axis("LogSoftmax", axis)

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_forward_axis("LogSoftmax", self.axis, x)
        self.y = log_softmax(x, self.axis)
        return self.y

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return upstream_grad - np.exp(self.y) * np.sum(upstream_grad, axis=self.axis, keepdims=True)
