"""The ops of lecture 5: linear regression as a network, and its loss.

The model is ``μ = Identity(Linear(X))`` with ``z = θᵀ·x`` for every row of
``X``, and the loss ``L = Σ (μ − y)²`` is ``Sum()(Squared()(μ, y))`` (or
``MSE()(μ, y)``, which records the two as one group).
"""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np

from ..differentiable import Differentiable
from ..errors import BroadcastWarning
from ..i18n import Message
from ..nn import Module
from ..rng import default_rng
from ..tensor import Parameter, Tensor
from ._broadcast import unbroadcast
from .formula import Formula, documented
from .reduce import Mean, Sum

__all__ = ["MSE", "Identity", "Linear", "Squared"]


@documented
class Linear(Differentiable):
    r"""The linear layer: z = θᵀ·x for every row x of X.

    Shapes: X (n, d), θ (d,) or (d, k), b () or (k,); each gradient has the
    shape of its value. ∂L/∂X is skipped when X needs no gradient.

    Parameters
    ----------
    n_features : int
        d, the length of each input row.
    n_outputs : int, optional
        k. Without it θ is a vector (d,) and z has one value per row, as in
        the lecture; with it θ is a (d, k) matrix.
    bias : bool, default False
        Add a bias ``b`` (a scalar, or a (k,) vector).
    theta : array_like, optional
        Initial θ. Default: zeros for a vector θ (linear regression is
        convex), else uniform in ±1/√d from the library's generator (see
        :func:`graphviz_autodiff.manual_seed`) or from ``seed``.
    seed : int, optional
        Seed for the initial θ.
    name : str, optional
        Label in drawings.

    Attributes
    ----------
    theta : Parameter
        θ, named "θ".
    bias : Parameter or None
        b, named "b".
    """

    symbol: ClassVar[str] = "z"
    formula: ClassVar[Formula] = Formula(
        (
            "{out} = {x}·{theta} + {bias}",
            "{out} = {x}·{theta}",
        ),
        {
            "x": "∂{L}/∂{x} = ∂{L}/∂{out}·{theta}ᵀ",
            "theta": "∂{L}/∂{theta} = {x}ᵀ·∂{L}/∂{out}",
            "bias": "∂{L}/∂{bias} = Σₙ ∂{L}/∂{out}",
        },
        symbols={"x": "X", "theta": "θ", "bias": "b"},
    )

    def __init__(
        self,
        n_features: int,
        n_outputs: int | None = None,
        bias: bool = False,
        theta: np.ndarray | None = None,
        *,
        seed: int | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        shape = (n_features,) if n_outputs is None else (n_features, n_outputs)
        if theta is None:
            if n_outputs is None:
                theta = np.zeros(shape)
            else:
                bound = 1.0 / np.sqrt(n_features)
                theta = default_rng(seed).uniform(-bound, bound, size=shape)
        theta = np.asarray(theta, dtype=float)
        if theta.shape != shape:
            raise ValueError(str(Message("exc.linear_theta", {"shape": shape, "n": n_features, "got": theta.shape})))
        self.theta = Parameter(theta, name="θ")
        self.bias = Parameter(np.zeros(shape[1:]), name="b") if bias else None

    def forward(self, x: np.ndarray) -> np.ndarray:
        d = self.theta.data.shape[0]
        if np.shape(x)[-1:] != (d,):
            raise ValueError(str(Message("exc.linear_input", {"n": d, "shape": np.shape(x)})))
        self.x = x
        z = x @ self.theta.data
        if self.bias is not None:
            z = z + self.bias.data
        return z

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray | None:
        theta = self.theta.data
        x = np.asarray(self.x)
        g = np.asarray(upstream_grad)
        g2 = g.reshape(-1) if theta.ndim == 1 else g.reshape(-1, theta.shape[1])
        self.theta.grad = x.reshape(-1, theta.shape[0]).T @ g2
        if self.bias is not None:
            self.bias.grad = g2.sum(axis=0)
        needs = self.needs_input_grad
        if needs is not None and not needs[0]:
            return None
        return np.multiply.outer(g, theta) if theta.ndim == 1 else g @ theta.T


@documented
class Identity(Differentiable):
    r"""The identity, the activation of linear regression: the upstream gradient passes through unchanged."""

    symbol: ClassVar[str] = "μ"
    formula: ClassVar[Formula] = Formula(
        "{out} = 𝕀({z}) = {z}",
        {
            "z": "∂{L}/∂{z} = ∂{L}/∂{out}",
        },
    )

    def forward(self, z: np.ndarray) -> np.ndarray:
        return z

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        return upstream_grad


@documented
class Squared(Differentiable):
    r"""The squared difference, element-wise.

    The lecture asks for both gradients, although only ∂L/∂μ is used further.

    Warns with :class:`~graphviz_autodiff.errors.BroadcastWarning` when μ and
    y broadcast to a larger shape than either (μ of shape (n,) against y of
    shape (n, 1) gives an (n, n) result, almost always a bug).
    """

    symbol: ClassVar[str] = "s"
    formula: ClassVar[Formula] = Formula(
        "{out} = ({mu} − {y})²",
        {
            "mu": "∂{L}/∂{mu} = 2({mu} − {y}) ⊙ ∂{L}/∂{out}",
            "y": "∂{L}/∂{y} = −2({mu} − {y}) ⊙ ∂{L}/∂{out}",
        },
        symbols={"mu": "μ"},
    )

    def forward(self, mu: np.ndarray, y: np.ndarray) -> np.ndarray:
        self.mu, self.y = mu, y
        diff = np.subtract(mu, y)
        if diff.shape != np.shape(mu) and diff.shape != np.shape(y):
            shapes = {"mu": np.shape(mu), "y": np.shape(y), "shape": diff.shape}
            warnings.warn(BroadcastWarning(Message("exc.broadcast", shapes)), stacklevel=3)
        self.diff = diff
        return diff * diff

    def backward(self, upstream_grad: np.ndarray) -> tuple:
        need_mu, need_y = self.needs_input_grad or (True, True)
        g = 2.0 * self.diff * upstream_grad
        return (
            unbroadcast(g, np.shape(self.mu)) if need_mu else None,
            unbroadcast(-g, np.shape(self.y)) if need_y else None,
        )


class MSE(Module):
    r"""The lecture's loss L = Σ (μ − y)², as ``Sum()(Squared()(μ, y))`` in one group.

    Parameters
    ----------
    reduction : {"sum", "mean"}, default "sum"
        "sum" is the lecture's formula; "mean" divides by the number of
        elements (PyTorch's ``MSELoss`` default) using :class:`Mean`.
    name : str, optional
        The group's label (default "MSE").
    """

    def __init__(self, reduction: str = "sum", name: str | None = None) -> None:
        super().__init__(name)
        if reduction not in ("sum", "mean"):
            raise ValueError(f"MSE: reduction must be 'sum' or 'mean', got {reduction!r}")
        self.reduction = reduction
        self.squared = Squared()
        self.reduce = Sum() if reduction == "sum" else Mean()

    def forward(self, mu: Tensor, y: np.ndarray | Tensor) -> Tensor:
        return self.reduce(self.squared(mu, y))
