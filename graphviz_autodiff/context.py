"""Recording state, one per thread (and per :mod:`contextvars` context).

What an op call or a backward step needs to know about its surroundings lives
here, and nowhere else:

* :class:`Mode` -- set by blocks: whether calls are recorded
  (:func:`graphviz_autodiff.no_record`), the graphs of enclosing
  ``with Graph():`` blocks, the enclosing groups
  (:func:`graphviz_autodiff.group`, modules, composite ops) and anomaly mode
  (:func:`graphviz_autodiff.detect_anomaly`). A mode is never changed in
  place: a block sets a new one and puts the old one back when it ends, so
  each thread, and each :func:`contextvars.copy_context`, sees only its own
  blocks -- as PyTorch's grad mode is per thread.
* :class:`Local` -- changed on every backward call: the stack of ops whose
  ``backward`` is running, with the ``needs_input_grad`` of each. One per
  thread, made on first use; a backward call runs to its end without
  yielding, so contexts copied inside one thread may share it.
* the graph of the last recorded call (:func:`graphviz_autodiff.last_graph`),
  a weak reference: :func:`get_last` and :func:`set_last`.

Reading the mode costs one :meth:`contextvars.ContextVar.get` per op call.
"""

from __future__ import annotations

import weakref
from contextvars import ContextVar
from typing import Any, NamedTuple

__all__ = [
    "DEFAULT_MODE",
    "Local",
    "Mode",
    "get_last",
    "get_local",
    "get_mode",
    "local",
    "reset_mode",
    "set_last",
    "set_mode",
]


class Mode(NamedTuple):
    """The recording switches of one context (immutable: make a changed copy with :meth:`but`).

    Attributes
    ----------
    recording : bool
        Whether op calls are recorded into graphs.
    graphs : tuple of Graph
        The graphs of the enclosing ``with Graph():`` blocks, outermost first.
    groups : tuple
        The enclosing groups (one frame per entered group), outermost first.
    anomaly : bool
        Whether anomaly mode is on.
    """

    recording: bool = True
    graphs: tuple = ()
    groups: tuple = ()
    anomaly: bool = False

    def but(
        self,
        *,
        recording: bool | None = None,
        graphs: tuple | None = None,
        groups: tuple | None = None,
        anomaly: bool | None = None,
    ) -> Mode:
        """A copy of this mode with the given fields changed (``mode.but(recording=False)``)."""
        return _make_mode(
            (
                self.recording if recording is None else recording,
                self.graphs if graphs is None else graphs,
                self.groups if groups is None else groups,
                self.anomaly if anomaly is None else anomaly,
            )
        )


_make_mode = Mode._make

#: What a thread starts with: recording on, no block entered.
DEFAULT_MODE = Mode()
_MODE: ContextVar[Mode] = ContextVar("graphviz_autodiff.mode", default=DEFAULT_MODE)

#: The current mode (``get_mode().recording``...): one ``ContextVar.get``.
get_mode = _MODE.get
#: Make a mode the current one; returns the token that :func:`reset_mode` takes to put the old one back.
set_mode = _MODE.set
#: Put back the mode from before the :func:`set_mode` that returned ``token``.
reset_mode = _MODE.reset


class Local:
    """Per-thread state changed on every backward call.

    Attributes
    ----------
    running : list of (op, needs)
        The ops whose ``backward`` is running, innermost last, each with its
        ``needs_input_grad`` (what :attr:`Differentiable.needs_input_grad
        <graphviz_autodiff.Differentiable.needs_input_grad>` returns: the innermost's).
    """

    __slots__ = ("running",)

    def __init__(self) -> None:
        self.running: list[tuple[Any, tuple[bool, ...] | None]] = []


_LOCAL: ContextVar[Local] = ContextVar("graphviz_autodiff.local")


#: This thread's :class:`Local` if it has one: ``get_local(None)`` (one ``ContextVar.get``, for hot paths).
get_local = _LOCAL.get


def local() -> Local:
    """This thread's :class:`Local` (made on first use)."""
    try:
        return _LOCAL.get()
    except LookupError:
        state = Local()
        _LOCAL.set(state)
        return state


_LAST: ContextVar[weakref.ref | None] = ContextVar("graphviz_autodiff.last", default=None)

#: A weak reference to the graph of the last recorded call in this context (or ``None``).
get_last = _LAST.get
#: Remember the graph of the last recorded call (a weak reference to it).
set_last = _LAST.set
