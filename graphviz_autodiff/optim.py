"""Optimizers: gradient-descent steps on a list of parameters."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .tensor import Parameter

__all__ = ["Optimizer", "SGD"]


class Optimizer:
    """Base class: holds the parameters; subclasses implement :meth:`step`.

    Updates replace ``param.data`` with a new array instead of writing into
    it, so graphs recorded before the step keep the values they used.
    """

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Parameter):
                raise TypeError(
                    f"{type(self).__name__}: parameter {i} is a {type(p).__name__}, not a Parameter; "
                    f"pass model.parameters()"
                )
        if not lr > 0:
            raise ValueError(f"{type(self).__name__}: the learning rate must be positive, got {lr}")
        self.lr = lr

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        raise NotImplementedError

    def zero_grad(self) -> None:
        """Forget the gradients (not needed between passes: each pass sets them afresh)."""
        for p in self.params:
            p.grad = None


class SGD(Optimizer):
    r"""Plain gradient descent: θ := θ − η · ∂L/∂θ.

    Parameters
    ----------
    params : iterable of Parameter
        What to train (``model.parameters()``).
    lr : float
        η, the learning rate.

    Examples
    --------
    >>> import numpy as np
    >>> from graphviz_autodiff import Parameter
    >>> theta = Parameter(np.array([1.0, 2.0]))
    >>> theta.grad = np.array([10.0, 10.0])
    >>> SGD([theta], lr=0.1).step()
    >>> theta.data
    array([0., 1.])
    """

    def step(self) -> None:
        for p in self.params:
            if p.grad is not None:
                p.data = p.data - self.lr * np.asarray(p.grad)
