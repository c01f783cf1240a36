"""Regularisation ops: Dropout."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..differentiable import Differentiable
from ..rng import default_rng
from .formula import Formula, documented

__all__ = ["Dropout"]


@documented
class Dropout(Differentiable):
    r"""Inverted dropout: zero each element with probability p, scale the rest by 1/(1 − p).

    In training mode (the default) every call draws a new mask
    m ~ Bernoulli(1 − p); in evaluation mode (``model.eval()`` or
    ``op.training = False``) the op is the identity (m / (1 − p) = 1). The
    expected output is x in both modes, as in PyTorch's ``nn.Dropout``.

    Parameters
    ----------
    p : float, default 0.5
        The probability of zeroing an element, in [0, 1].
    seed : int, optional
        Seed of the op's own generator: the sequence of masks is then the
        same on every run. Without it masks come from the library's shared
        generator (:func:`graphviz_autodiff.manual_seed` reseeds it).
    name : str, optional
        Label in drawings.

    Attributes
    ----------
    training : bool
        Training mode (drop) or evaluation mode (identity).
    mask : numpy.ndarray or None
        The mask m / (1 − p) of the last call (``None`` in evaluation mode).

    Examples
    --------
    >>> import numpy as np
    >>> drop = Dropout(0.5, seed=0)
    >>> sorted(set(drop(np.ones(8)).data.tolist()))
    [0.0, 2.0]
    >>> drop.training = False
    >>> drop(np.ones(3)).data
    array([1., 1., 1.])
    """

    symbol: ClassVar[str] = "v"
    formula: ClassVar[Formula] = Formula(
        "{out} = {x} ⊙ m / (1 − p)",
        {
            "x": "∂{L}/∂{x} = ∂{L}/∂{out} ⊙ m / (1 − p)",
        },
    )

    training: bool = True

    def __init__(self, p: float = 0.5, *, seed: int | None = None, name: str | None = None) -> None:
        super().__init__(name)
        if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not self.training or self.p == 0.0:
            self.mask = None
            return x
        rng = self._rng if self._rng is not None else default_rng()
        keep = rng.random(np.shape(x)) >= self.p
        scale = 0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p)
        self.mask = keep * scale
        return x * self.mask

    def backward(self, upstream_grad: np.ndarray) -> np.ndarray:
        if self.mask is None:
            return upstream_grad
        return upstream_grad * self.mask

    def __repr__(self) -> str:
        return f"Dropout(p={self.p}, training={self.training})"
