"""The op under a gradient check: an isolated copy with a repeatable forward and a raw backward.

This module's one job is to set up :class:`_Subject`, a copy of the op on the
inputs of one call (cast to float64), whose ``forward`` always starts from
the pre-call state and random state and whose ``backward`` runs the user's
raw backward once, returning what it gave (:class:`_Backward`); plus
:func:`argument_names`, the names shown for the op's arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import engine
from ..errors import ForwardOutputError
from ..graph import no_record
from ..i18n import Message
from ..tensor import Parameter, Tensor
from ..util import argument_names
from .isolation import _SideEffectGuard, clone_op


class _Subject:
    """A copy of the op set up on the inputs of one call, with a repeatable forward."""

    def __init__(
        self,
        op: Any,
        arrays: list[np.ndarray],
        needs: tuple[bool, ...],
        param_values: dict[str, np.ndarray] | None,
        guard: _SideEffectGuard,
    ) -> None:
        self.cast: list[str] = []
        self.clone = clone_op(op)
        self.guard = guard
        self.names = argument_names(op, len(arrays))
        self.needs = needs
        self.dtypes = [np.asarray(a).dtype.name for a in arrays]
        self.work = [self.to_float64(a) for a in arrays]
        self.params: list[tuple[str, Parameter]] = [
            (attr, p) for attr, p in self.clone.__dict__.items() if type(p) is Parameter
        ]
        self.param_dtypes: list[str] = []
        for attr, p in self.params:
            value = np.asarray(p.data if param_values is None or attr not in param_values else param_values[attr])
            self.param_dtypes.append(value.dtype.name)
            p.data = self.to_float64(value)
            p.grad = None
        self.pre_state = dict(self.clone.__dict__)
        guard.watch(self.clone)
        self.forward_fn = type(self.clone).forward

    def to_float64(self, a: np.ndarray) -> np.ndarray:
        a = np.asarray(a)
        if a.dtype.kind == "f" and a.dtype != np.float64:
            self.cast.append(a.dtype.name)
            return np.ascontiguousarray(a, dtype=np.float64)
        return np.array(a, copy=True, order="C")

    def forward(self, inputs: list[np.ndarray] | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """Run forward from the pre-call state and random state; return (output, the arrays passed)."""
        state = self.clone.__dict__
        state.clear()
        state.update(self.pre_state)
        self.guard.restore_random()
        passed = [a.copy() for a in (self.work if inputs is None else inputs)]
        with no_record():
            out = self.forward_fn(self.clone, *passed)
        if type(out) is not np.ndarray:
            out = output_array(type(self.clone).__name__, out)
        return out, passed

    def backward(self, upstream: np.ndarray) -> _Backward:
        """Run the user's raw backward once, from the state ``forward`` left."""
        params = self.params
        presets = [np.zeros_like(p.data) for _, p in params]
        for (_, p), zero in zip(params, presets):
            p.grad = zero
        given = upstream.copy()
        raw = engine.raw_backward(self.clone, given, self.needs)
        contributions = []
        for (_, p), zero in zip(params, presets):
            c = p.grad
            if c is zero and not c.any():
                c = None
            contributions.append(c)
            p.grad = None
        mutated = not np.array_equal(given, upstream, equal_nan=True)
        return _Backward(raw, contributions, mutated)


@dataclass
class _Backward:
    raw: Any
    param_grads: list[Any]
    mutated_upstream: bool


def output_array(label: str, out: Any) -> np.ndarray:
    """``forward``'s result as an array; raise :class:`ForwardOutputError` for a tuple, a dict, ``None``, objects."""
    if isinstance(out, np.generic):
        return np.asarray(out)
    if isinstance(out, (Tensor, Parameter)):
        return np.asarray(out.data)
    if isinstance(out, (tuple, list, dict, set)) or out is None:
        raise ForwardOutputError(Message("exc.forward_container", {"op": label, "type": type(out).__name__}))
    array = np.asarray(out)
    if array.dtype == object:
        raise ForwardOutputError(Message("exc.forward_objects", {"op": label, "type": type(out).__name__}))
    return array
