"""One op call and what its ``backward`` will need: the call's context.

The lecture asks students to save what ``backward`` needs on ``self``
(``self.x = x`` in ``forward``). That is right for students, but one op
instance may be called several times (weight sharing, loops, the same
``Linear`` every training step) and every call overwrites ``self.x``. So each
call keeps a :class:`Call`: the op, its arguments, its parameters, which
arguments need a gradient, and a snapshot of the op's ``__dict__`` taken right
after ``forward``. Before running a call's ``backward``, the engine puts that
snapshot back if the op has been called again since (:meth:`Call.restore`),
and afterwards it puts the newer state back (:func:`undo_restores`).

The op's own ``__dict__`` holds a weak link to the output of its latest call
(under the key ``"_gad_call"``), which is how the lecture's manual chain
(``sq.backward(d_sq)``) finds the call to record: :func:`latest_output`.
The key is :data:`LINK`; the engine reads it to skip :meth:`Call.restore`
when the op's state is already this call's (the common case).
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any

__all__ = ["LINK", "Call", "forget_call", "latest_output", "new_call", "undo_restores"]

#: The key of the op's ``__dict__`` that links the op to the output of its latest call.
LINK = "_gad_call"

# A global, increasing creation stamp. A call is always made after the calls
# that produced its inputs, so sorting calls by stamp is a topological order.
_next_stamp = itertools.count().__next__
_weak = weakref.ref
_new = object.__new__


class Call:
    """The context of one op call: everything its ``backward`` needs besides ``upstream_grad``.

    Made by :func:`new_call` (``Differentiable.__call__`` makes one per call).

    Attributes
    ----------
    op : Differentiable
        The op instance.
    inputs : tuple
        The arguments, as :class:`~graphviz_autodiff.Tensor` or
        :class:`~graphviz_autodiff.Parameter` objects, in order.
    params : tuple of (str, Parameter)
        The parameters the op held as attributes at the call.
    needs : tuple of bool
        Which arguments need a gradient (``needs_input_grad`` during its backward).
    saved : dict
        A shallow copy of the op's ``__dict__`` right after ``forward``: what
        ``forward`` saved on ``self`` for this call.
    previous : weakref.ref or None
        The output of the op's previous call in the same graph (the manual
        chain walks back through it).
    stamp : int
        Creation order (larger is later).
    graph : Graph or None
        The graph the call was recorded in (``None`` under ``no_record``); it
        may since have been merged into another (see ``Tensor.locate``). The
        call's output keeps it alive.
    node : int or None
        The call's node in :attr:`graph`.

    Examples
    --------
    >>> import numpy as np
    >>> from graphviz_autodiff.ops import Squared
    >>> sq = Squared()
    >>> first = sq(np.array([1.0, 2.0]), np.zeros(2))
    >>> second = sq(np.array([5.0]), np.zeros(1))      # overwrites sq.mu
    >>> sq.mu, first.call.saved["mu"], first.call.needs
    (array([5.]), array([1., 2.]), (True, True))
    """

    __slots__ = ("graph", "inputs", "needs", "node", "op", "params", "previous", "saved", "stamp")
    op: Any
    inputs: tuple
    params: tuple
    needs: tuple[bool, ...]
    saved: dict[str, Any]
    previous: weakref.ref | None
    stamp: int
    graph: Any
    node: int | None

    def restore(self, undo: dict[int, tuple[Any, dict]] | None = None) -> None:
        """Put the state ``forward`` saved on the op for this call back, if the op was called since.

        With ``undo``, the op's current state is kept there first (once per
        op), for :func:`undo_restores`.
        """
        state = self.op.__dict__
        saved = self.saved
        if state.get(LINK) is saved[LINK]:
            return
        if undo is not None and id(self.op) not in undo:
            undo[id(self.op)] = (self.op, state.copy())
        state.clear()
        state.update(saved)

    def previous_output(self) -> Any:
        """The output of the op's previous call in the same graph, while it lives (else ``None``)."""
        return self.previous() if self.previous is not None else None

    def __repr__(self) -> str:
        return f"<Call {type(self.op).__name__} #{self.stamp}: {len(self.inputs)} inputs, {len(self.params)} params>"


def new_call(
    op: Any, inputs: tuple, params: tuple, needs: tuple[bool, ...], output: Any, graph: Any, node: int | None
) -> Call:
    """The :class:`Call` of a call of ``op`` that just ran ``forward`` and made ``output``.

    Snapshots the op's state and makes ``output`` the op's latest call.
    ``graph`` and ``node`` say where the call was recorded (``None`` if not
    recorded): the op's previous call is remembered only if it lives in the
    same graph. (A function rather than ``Call.__init__``: on CPython 3.11
    calling a class with a Python ``__init__`` costs about 2,000 instructions
    more than calling a function, paid by every op call; see benchmarks/PROFILE.md.)
    """
    call = _new(Call)
    call.op = op
    call.graph = graph
    call.node = node
    call.inputs = inputs
    call.params = params
    call.needs = needs
    call.stamp = _next_stamp()
    call.previous = None
    state = op.__dict__
    previous = state.get(LINK)
    state[LINK] = _weak(output)
    call.saved = state.copy()
    if previous is not None:
        earlier = previous()
        if earlier is not None:
            where = earlier.call.graph
            if where is graph or (where is not None and where.resolve() is graph):
                call.previous = previous
    return call


def undo_restores(undo: dict[int, tuple[Any, dict]]) -> None:
    """Give every op that :meth:`Call.restore` changed its state from before back."""
    for op, state in undo.values():
        op.__dict__.clear()
        op.__dict__.update(state)
    undo.clear()


def latest_output(op: Any) -> Any:
    """The output tensor of ``op``'s latest call, while it lives (else ``None``)."""
    link = op.__dict__.get(LINK)
    return link() if link is not None else None


def forget_call(op: Any) -> None:
    """Drop ``op``'s link to its latest call (a copy of an op must not record the original's calls)."""
    op.__dict__.pop(LINK, None)
