"""Modules: ops composed from other ops, recorded as named groups.

A :class:`Module` is not itself a :class:`~graphviz_autodiff.Differentiable`:
its ``forward`` calls other ops on tensors, and its call records them inside
a group, which the renderer draws as a cluster (and can collapse to one box).
Gradients come from the ops inside, so a module needs no ``backward``.
"""

from __future__ import annotations

from typing import Any

from .context import get_mode
from .differentiable import _collect_parameters
from .graph import enter_group, leave_group
from .tensor import Parameter, Tensor

__all__ = ["Module", "Sequential"]


class Module:
    """Base class of composite ops and models.

    Subclass it, create ops and sub-modules in ``__init__``, and call them on
    tensors in ``forward``. Calling the module records its ops as one group.

    Parameters
    ----------
    name : str, optional
        The group's label in drawings; defaults to the class name.

    Examples
    --------
    >>> import numpy as np
    >>> from graphviz_autodiff.nn import Module
    >>> from graphviz_autodiff.ops import Identity, Linear
    >>> class Regression(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.linear, self.act = Linear(4), Identity()
    ...     def forward(self, x):
    ...         return self.act(self.linear(x))
    >>> Regression()(np.ones((2, 4))).shape
    (2,)
    """

    name: str | None = None
    training: bool = True

    def __init__(self, name: str | None = None) -> None:
        if name is not None:
            self.name = name

    def forward(self, *inputs: Any) -> Tensor:
        """Compute the output from the inputs by calling ops and sub-modules."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward(self, *inputs)")

    def __call__(self, *inputs: Any) -> Tensor:
        if not get_mode().recording:
            return self.forward(*inputs)
        token = enter_group(self.name or type(self).__name__, type(self).__name__, module=self)
        try:
            return self.forward(*inputs)
        finally:
            leave_group(token)

    def parameters(self) -> list[Parameter]:
        """Every parameter of the module and its ops and sub-modules, each once, in order."""
        return _collect_parameters(self, [], set())

    def n_params(self) -> int:
        """The number of trainable numbers (the sum of the parameters' sizes)."""
        return sum(p.data.size for p in self.parameters())

    def modules(self) -> list[Any]:
        """This module, its sub-modules and ops, depth first."""
        found: list[Any] = [self]
        for value in _children(self):
            found.extend(value.modules() if isinstance(value, Module) else [value])
        return found

    def train(self, mode: bool = True) -> Module:
        """Switch training mode on (or off with ``mode=False``) here and in every child."""
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode (e.g. Dropout becomes the identity)."""
        return self.train(False)

    def __repr__(self) -> str:
        children = ", ".join(type(c).__name__ for c in _children(self))
        return f"{type(self).__name__}({children})"


def _children(obj: Any) -> list[Any]:
    from .differentiable import Differentiable

    found = []
    for value in vars(obj).values():
        items = value if isinstance(value, (list, tuple)) else [value]
        found.extend(v for v in items if isinstance(v, (Module, Differentiable)))
    return found


class Sequential(Module):
    """Layers applied one after another: ``Sequential(Linear(2, 16, bias=True), ReLU(), Linear(16, 1, bias=True))``.

    Parameters
    ----------
    *layers : Differentiable or Module
        Ops or modules taking one input each.
    name : str, optional
        The group's label.
    """

    def __init__(self, *layers: Any, name: str | None = None) -> None:
        super().__init__(name)
        self.layers = list(layers)

    def forward(self, x: Any) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, index: int) -> Any:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)
