"""Keeping a gradient check free of side effects on the user's op and random state.

This module's one job is state restoration for
:mod:`graphviz_autodiff.debug` and the debugger: :func:`clone_op` copies
an op with its parameters (cut off from recorded graphs), :func:`quiet`
silences recording and warnings, and :class:`_SideEffectGuard` snapshots and
restores the global random states an op's forward may consume.
"""

from __future__ import annotations

import copy
import random
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from .. import rng as _rng
from ..call import forget_call
from ..differentiable import Differentiable
from ..tensor import Parameter, Tensor


# -- copies, names and side effects ----------------------------------------------------------
def clone_op(op: Any) -> Any:
    """A deep copy of ``op`` that shares nothing with it (except tensors it holds, which are immutable).

    The private link to the op's last call (a weakref) is dropped. Falls back to
    a shallow copy with copied parameters and arrays when the op cannot be
    deep-copied (it holds a file, a lock...).
    """
    state = op.__dict__
    memo: dict[int, Any] = {}
    for value in state.values():
        if type(value) is Tensor:
            memo[id(value)] = value
    try:
        clone = copy.deepcopy(op, memo)
    except Exception:
        clone = copy.copy(op)
        clone.__dict__ = {
            k: (_copy_parameter(v) if type(v) is Parameter else v.copy() if isinstance(v, np.ndarray) else v)
            for k, v in state.items()
        }
    _strip_call_links(clone, set())
    return clone


def _strip_call_links(obj: Any, seen: set[int]) -> None:
    """Drop the link to the latest call from ``obj`` and every op it holds (sub-ops of a composite op).

    A copied sub-op still points at the user's last call until the copy's
    ``forward`` calls it again; a ``self.inner.backward(g)`` reached before that
    would run and record the user's call instead of the copy's.
    """
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, dict):
        values = list(obj.values())
    elif isinstance(obj, (list, tuple)):
        values = list(obj)
    elif (
        hasattr(obj, "__dict__")
        and not isinstance(obj, type)
        and (isinstance(obj, Differentiable) or hasattr(obj, "parameters"))
    ):
        forget_call(obj)
        values = list(obj.__dict__.values())
    else:
        return
    for value in values:
        if isinstance(value, (dict, list, tuple, Differentiable)) or hasattr(value, "parameters"):
            _strip_call_links(value, seen)


def _copy_parameter(p: Parameter) -> Parameter:
    new = Parameter(p.data.copy(), name=p.name)
    new.grad = None if p.grad is None else np.array(p.grad, copy=True)
    return new


@contextmanager
def quiet() -> Iterator[None]:
    """Silence warnings and NumPy floating-point messages while re-running the user's code many times."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


class _RandomSource:
    """One random generator the op's forward may draw from: snapshot, compare, restore."""

    def __init__(self, kind: str, obj: Any) -> None:
        self.kind, self.obj = kind, obj
        self.saved = self.state()

    def state(self) -> Any:
        if self.kind == "library":
            generator = _rng.get_generator()
            return (generator, generator.bit_generator.state)
        if self.kind == "numpy":
            return np.random.get_state(legacy=False)
        if self.kind == "python":
            return random.getstate()
        if self.kind == "legacy":
            return self.obj.get_state(legacy=False)
        return self.obj.bit_generator.state

    def restore(self) -> None:
        if self.kind == "library":
            _rng.set_generator(self.saved[0])
            self.saved[0].bit_generator.state = self.saved[1]
        elif self.kind == "numpy":
            np.random.set_state(self.saved)
        elif self.kind == "python":
            random.setstate(self.saved)
        elif self.kind == "legacy":
            self.obj.set_state(self.saved)
        else:
            self.obj.bit_generator.state = self.saved

    def changed(self) -> bool:
        now = self.state()
        if self.kind == "python":  # a tuple of ints: compare directly
            return bool(now != self.saved)
        return not _same_state(now, self.saved)


def _same_state(a: Any, b: Any) -> bool:
    """Equality of generator states (nested dicts and tuples holding arrays)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_state(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same_state(x, y) for x, y in zip(a, b))
    return a is b or a == b


class _SideEffectGuard:
    """Snapshot what a check could change outside the op copy, and put it back.

    Random generators (the library's, NumPy's global, Python's, and those the
    op copy holds) are reset before every forward the check runs, so a
    stochastic op draws the same numbers each time; to keep that cheap, after
    the first forward only the generators it actually used are reset.
    """

    def __init__(self, op: Any) -> None:
        self.classes = [c for c in type(op).__mro__ if c not in (object, Differentiable)]
        self.modules = {c.__module__ for c in self.classes}
        self.class_attrs: list[tuple[type, dict]] = []
        self.globals: list[tuple[dict, dict]] = []
        self.sources: list[_RandomSource] = []
        self.active: list[_RandomSource] | None = None

    def __enter__(self) -> _SideEffectGuard:
        self.class_attrs = [(c, dict(vars(c))) for c in self.classes]
        for name in sorted(self.modules):
            module = sys.modules.get(name)
            if module is not None:
                self.globals.append((module.__dict__, dict(module.__dict__)))
        self.sources = [_RandomSource(kind, None) for kind in ("library", "numpy", "python")]
        return self

    def watch(self, clone: Any) -> None:
        """Also reset the generators the op copy holds (``Dropout(seed=...)``)."""
        for value in clone.__dict__.values():
            if isinstance(value, np.random.Generator):
                self.sources.append(_RandomSource("generator", value))
            elif isinstance(value, np.random.RandomState):
                self.sources.append(_RandomSource("legacy", value))

    def restore_random(self) -> None:
        """Reset the generators before a forward."""
        if self.active is None:
            for source in self.sources:
                source.restore()
        else:
            for source in self.active:
                source.restore()

    def settle(self) -> None:
        """After the first forward: from now on reset only the generators it used."""
        if self.active is None:
            self.active = [source for source in self.sources if source.changed()]

    def __exit__(self, *exc: object) -> None:
        for source in self.sources:
            source.restore()
        for cls, saved in self.class_attrs:
            for key in [k for k in vars(cls) if k not in saved]:
                delattr(cls, key)
            for key, value in saved.items():
                if vars(cls).get(key, _MISSING) is not value and not key.startswith("__"):
                    setattr(cls, key, value)
        for namespace, saved in self.globals:
            for key in [k for k in namespace if k not in saved]:
                del namespace[key]
            for key, value in saved.items():
                if namespace.get(key, _MISSING) is not value:
                    namespace[key] = value


_MISSING = object()
