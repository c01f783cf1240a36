"""The backward engine: a generator of steps, one per op call.

``iter_backward(loss)`` walks the op calls that ``loss`` depends on in
reverse order of creation (a reverse topological order, deterministic), and
for each call:

1. sums the gradients that arrived from all its consumers (fan-out);
2. restores the state the call's ``forward`` saved on the op (so one op
   instance may be called several times; see :mod:`graphviz_autodiff.call`);
3. calls the op's ``backward(upstream_grad)`` -- with ``upstream_grad`` and
   the parameters' values read-only -- and checks the result against the
   contract (count, ``None``, the shape rule, real-number dtypes);
4. routes each gradient to the producer of that argument, and sums
   parameter gradients over all calls of the op;
5. writes the results into the graph (:meth:`Graph.write_step
   <graphviz_autodiff.Graph.write_step>`) and yields a :class:`BackwardStep`.

Tensor and parameter ``.grad`` are committed only when the walk completes
without error, so a failed backward leaves them (and the parameters) as they
were. ``Tensor.backward()`` runs the same walk without building steps; the
stepper in ``viz`` consumes :func:`iter_backward` one step at a time. The lecture's
manual chain (``op.backward(g)`` called by hand) goes through
:func:`manual_backward`, under the same checks.
"""

from __future__ import annotations

import inspect
import linecache
import operator
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .call import LINK, latest_output, undo_restores
from .context import Local, get_mode, local
from .errors import (
    AutodiffError,
    GradientCountError,
    GradientCutWarning,
    GradientTypeError,
    InPlaceModificationError,
    MissingGradientError,
    NonFiniteError,
    NonScalarBackwardError,
    ShapeRuleError,
    describe_error,
)
from .i18n import Message
from .tensor import Parameter, Tensor
from .util import argument_message, nonfinite_message, op_label

__all__ = ["BackwardStep", "backward", "calls_of", "iter_backward", "manual_backward", "raw_backward"]


@dataclass(eq=False, slots=True)
class BackwardStep:
    """What happened at one op call node during a backward pass.

    Attributes
    ----------
    index : int
        Position of this step in the pass (0 is the loss's own op).
    node : int or None
        The call's node id in ``graph.nx`` (``None`` if it was not recorded).
    op : Differentiable
        The op instance.
    output : Tensor
        The tensor this call produced.
    upstream_grad : numpy.ndarray or None
        dL/d(output), summed over all consumers; ``None`` when no gradient
        reached the node (``status == "skipped"``).
    n_consumers : int
        How many consumer calls contributed to ``upstream_grad`` (0 for the
        node the pass started from).
    grads : tuple or None
        What ``backward`` returned, one entry per argument (``None`` entries
        for arguments without a gradient).
    param_grads : dict
        ``{attribute: gradient or None}``: what this call contributed to
        each parameter the op holds (``None``: ``backward`` left it alone).
    inputs : tuple
        The argument nodes (``None`` for an unrecorded argument).
    status : {"done", "failed", "skipped"}
    error : Exception or None
        The exception ``backward`` raised or the contract violation found.
    """

    index: int
    node: int | None
    op: Any
    output: Tensor
    upstream_grad: np.ndarray | None
    n_consumers: int
    grads: tuple | None = None
    param_grads: dict[str, np.ndarray | None] = field(default_factory=dict)
    inputs: tuple = ()
    status: str = "done"
    error: BaseException | None = None

    @property
    def label(self) -> str:
        """The op's label (its ``name`` or class name)."""
        return op_label(self.op)

    def __repr__(self) -> str:
        return f"<BackwardStep {self.index}: node {self.node} {self.label} ({self.status})>"


def _shape_hint(expected: tuple, got: tuple) -> Message | str:
    """What a wrong gradient shape suggests (a missing ``.T``, a missing sum over broadcast axes), or ``""``."""
    if got == expected[::-1] and len(expected) > 1:
        return Message("exc.hint_transposed")
    try:
        broadcast = np.broadcast_shapes(expected, got)
    except ValueError:
        return ""
    if broadcast != got:
        return ""
    lead = len(got) - len(expected)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(expected) if n == 1 and got[lead + i] != 1)
    if not axes:
        return ""
    axis = axes[0] if len(axes) == 1 else axes
    keep = ", keepdims=True" if len(got) == len(expected) else ""
    return Message("exc.hint_sum", {"axis": axis, "keep": keep})


# -- the contract's checks ---------------------------------------------------------------
def _validate_slowly(op: Any, inputs: tuple, result: Any) -> tuple:
    """Check a ``backward`` result against the contract beyond the common case; one entry per argument.

    Converts what it can (a list, a number, a Tensor, integers) and raises a
    specific error, naming the op and the argument, for what it cannot.
    """
    n = len(inputs)
    if type(result) is tuple or (type(result) is list and n != 1):
        seq = result
    elif n == 1:
        seq = (result,)
    else:
        raise GradientCountError(Message("exc.count_one", {"op": op_label(op), "type": type(result).__name__, "n": n}))
    if len(seq) != n:
        raise GradientCountError(Message("exc.count", {"op": op_label(op), "got": len(seq), "n": n}))
    grads = []
    for i, (g, inp) in enumerate(zip(seq, inputs)):
        if g is None:
            if inp.requires_grad:
                raise MissingGradientError(_missing_message(op, i, inp))
            grads.append(None)
            continue
        g = _as_gradient(op, g, inp, Message("exc.what_gradient", {"argument": argument_message(op, i)}))
        expected = inp.data.shape
        if g.shape != expected:
            raise ShapeRuleError(
                Message(
                    "exc.shape",
                    {
                        "op": op_label(op),
                        "got": g.shape,
                        "argument": argument_message(op, i),
                        "expected": expected,
                        "hint": _shape_hint(expected, g.shape),
                    },
                )
            )
        grads.append(g)
    return tuple(grads)


def _missing_message(op: Any, i: int, inp: Any) -> Message:
    key = "exc.missing_data" if type(inp) is Tensor and inp.call is None else "exc.missing"
    return Message(key, {"op": op_label(op), "argument": argument_message(op, i), "shape": inp.data.shape})


def _as_gradient(op: Any, g: Any, target: Any, what: Message) -> np.ndarray:
    """``g`` as a gradient array for ``target``: real floats (complex only for a complex target).

    Integer gradients are converted to the target's float dtype; complex,
    boolean, text and object arrays raise :class:`GradientTypeError`.
    """
    if type(g) is not np.ndarray:
        try:
            g = np.asarray(g.data if isinstance(g, (Tensor, Parameter)) else g)
        except ValueError as error:  # ragged lists
            raise GradientTypeError(
                Message("exc.ragged", {"op": op_label(op), "what": what, "type": type(g).__name__, "error": error})
            ) from None
    kind = g.dtype.kind
    if kind == "f":
        return g
    own = target.data.dtype
    if kind in "iu":
        return g.astype(own if own.kind in "fc" else np.float64)
    if kind == "c" and own.kind == "c":
        return g
    hint = {"b": "exc.hint_bool", "c": "exc.hint_complex"}.get(kind, "exc.hint_float")
    raise GradientTypeError(
        Message("exc.dtype", {"op": op_label(op), "what": what, "dtype": g.dtype, "own": own, "hint": Message(hint)})
    )


def _param_contributions(op: Any, params: tuple, presets: list) -> tuple:
    """``(attribute, parameter, what this call added to its gradient or None)`` per parameter."""
    contributions = []
    for (attr, p), zero in zip(params, presets):
        c = p.grad
        if c is zero:
            if not c.any():
                c = None
        elif c is not None:
            if type(c) is not np.ndarray or c.dtype.kind != "f":
                c = _as_gradient(op, c, p, Message("exc.what_param", {"attr": attr}))
            if c.shape != p.data.shape:
                raise ShapeRuleError(
                    Message(
                        "exc.param_shape",
                        {
                            "op": op_label(op),
                            "attr": attr,
                            "got": c.shape,
                            "expected": p.data.shape,
                            "hint": _shape_hint(p.data.shape, c.shape),
                        },
                    )
                )
        contributions.append((attr, p, c))
    return tuple(contributions)


def _read_only_error(op: Any, error: ValueError, params: tuple) -> InPlaceModificationError:
    """What a write into a read-only array inside ``backward`` was, said in the student's terms."""
    raw = type(op).raw_backward
    try:
        names = list(inspect.signature(raw).parameters)
    except (TypeError, ValueError):
        names = []
    upstream = names[1] if len(names) > 1 else "upstream_grad"
    code = getattr(raw, "__code__", None)
    line = ""
    inside = False
    tb = error.__traceback__
    while tb is not None:  # the innermost line of the user's code, from their backward down
        filename = tb.tb_frame.f_code.co_filename
        inside = inside or tb.tb_frame.f_code is code
        if inside and not filename.startswith(_LIBRARY_DIRS):
            line = linecache.getline(filename, tb.tb_lineno).strip()
        tb = tb.tb_next
    where = Message("exc.where_line", {"line": line}) if line else ""
    touched = [attr for attr, _ in params if re.search(rf"\.{re.escape(attr)}\b", line)]
    if re.search(rf"\b{re.escape(upstream)}\b", line) or not touched:
        return InPlaceModificationError(
            Message("exc.inplace_upstream", {"op": op_label(op), "upstream": upstream, "where": where})
        )
    return InPlaceModificationError(
        Message("exc.inplace_param", {"op": op_label(op), "attr": touched[0], "where": where})
    )


# Frames in these directories are not the user's code (NumPy's Python wrappers, this package).
_LIBRARY_DIRS = (os.path.dirname(np.__file__), os.path.dirname(__file__))


# -- running one call's backward ------------------------------------------------------
def raw_backward(op: Any, upstream_grad: Any, needs: tuple[bool, ...] | None = None) -> Any:
    """Run the ``backward`` that ``op``'s class defines, once, as written: nothing checked or recorded.

    Parameters
    ----------
    op : Differentiable
        The op, holding what its ``forward`` saved.
    upstream_grad : numpy.ndarray
        dL/d(output).
    needs : tuple of bool, optional
        What ``op.needs_input_grad`` answers meanwhile (``None``: as outside a pass).

    Returns
    -------
    Any
        Whatever the user's ``backward`` returned. Tools (the debugger, the
        benchmarks' "ops alone") use it; a backward pass uses :func:`iter_backward`.

    Examples
    --------
    >>> import numpy as np
    >>> from graphviz_autodiff.ops import Squared
    >>> sq = Squared()
    >>> sq.forward(np.array([3.0]), np.array([1.0]))
    array([4.])
    >>> raw_backward(sq, np.array([1.0]), needs=(True, False))
    (array([4.]), None)
    """
    running = local().running
    running.append((op, needs))
    try:
        return type(op).raw_backward(op, upstream_grad)
    finally:
        running.pop()


def _run(t: Tensor, upstream: np.ndarray, undo: dict | None, state: Local, anomaly: bool) -> tuple[tuple, tuple, Any]:
    """Run the backward of the call that produced ``t``, under the contract's checks.

    Restores the state the call's ``forward`` saved on the op first (keeping
    the op's current state in ``undo`` the first time). Returns ``(grads,
    param_contributions, raw_result)``: one gradient (or ``None``) per
    argument, and ``(attribute, parameter, gradient or None)`` per parameter
    the op holds (``None``: ``backward`` left it alone). Parameters' ``.grad``
    and ``.data`` are left exactly as they were.
    """
    call = t.call
    op = call.op
    if op.__dict__.get(LINK) is not call.saved[LINK]:  # the op was called again since: Call.restore does the work
        call.restore(undo)
    params = call.params
    if params:
        kept, presets = _preset_params(params)
    view = upstream.view()
    view.setflags(False)
    running = state.running
    running.append((op, call.needs))
    try:
        result = type(op).raw_backward(op, view)
        contributions = _param_contributions(op, params, presets) if params else ()
    except ValueError as error:
        if "read-only" in str(error) and not isinstance(error, AutodiffError):
            raise _read_only_error(op, error, params) from error
        raise
    finally:
        running.pop()
        if params:
            changed = _restore_params(kept)
    if params and changed:
        raise InPlaceModificationError(Message("exc.param_changed", {"op": op_label(op), "attr": changed}))
    # The contract's common case, inline: one float array of its argument's shape (or None where no
    # gradient is needed) per argument. Anything else is converted or explained by _validate_slowly.
    inputs = call.inputs
    grads = result if type(result) is tuple else (result,)
    if len(grads) == len(inputs):
        i = 0
        for g in grads:  # (an index rather than zip: no zip object and iterators per call)
            inp = inputs[i]
            i += 1  # noqa: SIM113 - enumerate would allocate too
            if type(g) is np.ndarray:
                if g.shape != inp.data.shape or g.dtype.kind != "f":
                    grads = _validate_slowly(op, inputs, result)
                    break
            elif g is not None or inp.requires_grad:
                grads = _validate_slowly(op, inputs, result)
                break
    else:
        grads = _validate_slowly(op, inputs, result)
    if anomaly:
        _check_backward_finite(t, grads, contributions)
    return grads, contributions, result


def _preset_params(params: tuple) -> tuple[list, list]:
    """Before a ``backward``: each parameter's ``.grad`` set to zeros (so ``+=`` works), its value locked.

    Returns what to put back afterwards, and the zero arrays given (a new
    one each time: ``np.zeros`` costs less than checking a kept one).
    """
    kept = []
    presets = []
    for attr, p in params:
        data = p.data
        locked = data.flags.writeable
        if locked:
            data.setflags(False)
        kept.append((attr, p, p.grad, data, locked))
        p.grad = zero = np.zeros(data.shape, data.dtype)
        presets.append(zero)
    return kept, presets


def _restore_params(kept: list) -> str | None:
    """After a ``backward``: ``.grad`` and ``.data`` as they were; the name of a parameter whose value it replaced."""
    changed = None
    for attr, p, grad, data, locked in kept:
        p.grad = grad
        if locked:
            data.setflags(True)
        if p.data is not data:
            changed = changed or attr
            p.data = data
    return changed


def calls_of(root: Tensor) -> list[Tensor]:
    """The op-call tensors ``root`` depends on, newest first (reverse topological order)."""
    seen = {root}
    stack = [root]
    calls = []
    while stack:
        t = stack.pop()
        calls.append(t)
        for inp in t.call.inputs:
            if type(inp) is Tensor and inp.call is not None and inp not in seen:
                seen.add(inp)
                stack.append(inp)
    calls.sort(key=_STAMP, reverse=True)
    return calls


_STAMP = operator.attrgetter("call.stamp")
_PLACE = operator.attrgetter("call.graph", "call.node")
_GRAPH_OF_CALL = operator.attrgetter("call.graph")
_NODE_OF_CALL = operator.attrgetter("call.node")
_GRAPH_OF = operator.itemgetter(0)
_NODE_OF = operator.itemgetter(1)
_UNRECORDED = {None}


def _root_grad(root: Tensor, grad: Any) -> np.ndarray:
    data = root.data
    dtype = data.dtype if data.dtype.kind in "fc" else np.float64
    if grad is None:
        if data.size != 1:
            raise NonScalarBackwardError(Message("exc.nonscalar", {"shape": data.shape}))
        return np.array(1, dtype=dtype).reshape(data.shape)  # (cheaper than np.ones for one element)
    g = np.asarray(grad.data if isinstance(grad, (Tensor, Parameter)) else grad, dtype=dtype)
    if g.shape != data.shape:
        if g.size != 1:
            raise ShapeRuleError(Message("exc.root_shape", {"got": g.shape, "shape": data.shape}))
        g = np.full(data.shape, g.reshape(()), dtype=dtype)
    return g


# -- the walk ------------------------------------------------------------------
def iter_backward(tensor: Tensor, grad: Any = None, *, on_error: str = "raise") -> Iterator[BackwardStep]:
    """Walk the backward pass from ``tensor``, yielding one :class:`BackwardStep` per op call.

    Parameters
    ----------
    tensor : Tensor
        Where the pass starts (usually the loss).
    grad : array_like, optional
        dL/d(tensor); defaults to 1 for a one-element tensor.
    on_error : {"raise", "record"}
        ``"raise"`` (what ``Tensor.backward`` does): the first error is raised
        and no ``.grad`` is changed. ``"record"`` (what the stepper does): a
        failing call yields a step with ``status="failed"`` and ``.error``;
        the walk goes on along branches that do not need its gradients, and
        no ``.grad`` is committed at the end.

    Yields
    ------
    BackwardStep
        One per op call that ``tensor`` depends on, in reverse topological
        order (newest call first), each exactly once.

    Warns
    -----
    GradientCutWarning
        An op's output (an integer or boolean array) cut the gradient path
        to parameters or inputs that need a gradient: their ``.grad`` is set
        to ``None``, never left from an earlier pass.

    Examples
    --------
    >>> import numpy as np
    >>> import graphviz_autodiff as gad
    >>> from graphviz_autodiff.ops import Identity, Linear, Squared, Sum
    >>> X, y = np.eye(3, 4), np.ones(3)
    >>> loss = Sum()(Squared()(Identity()(Linear(4)(X)), y))
    >>> [step.label for step in gad.iter_backward(loss)]
    ['Sum', 'Squared', 'Identity', 'Linear']
    """
    yield from _walk(tensor, grad, on_error, True)


def backward(tensor: Tensor, grad: Any = None) -> None:
    """Run the backward pass from ``tensor`` (what ``tensor.backward(grad)`` does).

    Fills ``.grad`` of every tensor ``tensor`` depends on and of every
    parameter of the ops involved. Gradients are set afresh by each pass (not
    accumulated across passes).

    Parameters
    ----------
    tensor : Tensor
        Where the pass starts (the loss).
    grad : array_like, optional
        dL/d(tensor). Defaults to ``1.0`` for a one-element tensor (the
        loss); required otherwise.

    Raises
    ------
    NonScalarBackwardError
        ``grad`` omitted on a tensor with more than one element.
    ShapeRuleError, GradientCountError, MissingGradientError, GradientTypeError, InPlaceModificationError
        An op's ``backward`` broke the contract; nothing was changed.
    """
    for _ in _walk(tensor, grad, "raise", False):
        pass


def _walk(tensor: Tensor, grad: Any, on_error: str, make_steps: bool) -> Iterator[BackwardStep]:
    """The one backward engine: :func:`iter_backward` and :func:`backward` both drain it.

    With ``make_steps=False`` (``Tensor.backward``, which looks at no step)
    it builds no :class:`BackwardStep` and yields nothing (the whole pass runs
    in one go); everything else (results in the graph, ``.grad``) is the same.
    """
    if on_error not in ("raise", "record"):
        raise ValueError(f"on_error must be 'raise' or 'record', got {on_error!r}")
    if not isinstance(tensor, Tensor):
        raise TypeError(f"iter_backward expects a Tensor, got {type(tensor).__name__}")
    root_grad = _root_grad(tensor, grad)
    if tensor.call is None:
        if tensor.requires_grad:
            tensor.grad = root_grad
        return
    calls = calls_of(tensor)
    located, graphs = _begin_passes(calls)
    # Each step's results go to its graph at once when someone steps through the pass (iter_backward);
    # Tensor.backward, which shows no step, hands each graph the list of its steps once, at the end.
    unwritten: dict[Any, list] = {graph: [] for graph in graphs}
    state = local()
    anomaly = get_mode().anomaly
    pending: dict[Tensor, Any] = {tensor: root_grad}
    consumers: dict[Tensor, int] = {}
    leaf_grads: dict[Tensor, Any] = {}
    param_grads: dict[Parameter, Any] = {}
    upstreams: list[Any] = [None] * len(calls)
    undo: dict[int, tuple[Any, dict]] = {}
    skipped: list[Tensor] = []
    step = None
    failed = False
    try:
        for index, t in enumerate(calls):
            call = t.call
            upstream = pending.pop(t, None)
            if located is None:  # (no merged graph: each call's own place)
                graph = call.graph
                node = call.node
            else:
                graph, node = located[index]
            if make_steps:
                inputs = tuple(_input_node(inp, graph) for inp in call.inputs)
                step = BackwardStep(index, node, call.op, t, upstream, consumers.get(t, 0), inputs=inputs)
            if upstream is None:
                skipped.append(t)
                if step is not None:
                    step.status = "skipped"
                if graph is not None:
                    unwritten[graph].append((node, None, None, {}, "skipped", None))
                    if make_steps:
                        _write_steps(unwritten)
                if make_steps:
                    yield step
                continue
            upstreams[index] = upstream
            try:
                grads, contributions, _ = _run(t, upstream, undo, state, anomaly)
            except Exception as error:
                _name_the_op(error, call.op, node)
                if graph is not None:
                    unwritten[graph].append((node, upstream, None, {}, "failed", describe_error(error)))
                    if make_steps:
                        _write_steps(unwritten)
                if on_error == "raise":
                    raise
                failed = True
                if step is not None:
                    step.status = "failed"
                    step.error = error
                if make_steps:
                    yield step
                continue
            inputs = call.inputs
            i = 0
            for g in grads:
                inp = inputs[i]
                i += 1
                if g is None or not inp.requires_grad:
                    continue
                if type(inp) is not Tensor:
                    _accumulate(param_grads, inp, g)
                elif inp.call is not None:
                    previous = pending.get(inp)
                    pending[inp] = g if previous is None else previous + g
                    if make_steps:
                        consumers[inp] = consumers.get(inp, 0) + 1
                else:
                    _accumulate(leaf_grads, inp, g)
            by_param = {}
            for attr, p, c in contributions:
                _accumulate(param_grads, p, c)
                by_param[attr] = c
            if step is not None:
                step.grads = grads
                step.param_grads = by_param
            if graph is not None:
                unwritten[graph].append((node, upstream, grads, by_param, "done", None))
                if make_steps:
                    _write_steps(unwritten)
            if make_steps:
                yield step
        if unwritten:
            _write_steps(unwritten)
        for graph, nodes in graphs.items():
            graph.finish_leaves(nodes)
        if not failed:
            for t, g in zip(calls, upstreams):
                t.grad = g
            for leaf, g in leaf_grads.items():
                leaf.grad = g
            for p, g in param_grads.items():
                p.grad = g
            if skipped:
                _clear_behind_cut(calls, located or list(map(_PLACE, calls)), skipped, leaf_grads, param_grads)
    finally:
        if unwritten:
            _write_steps(unwritten)  # (after an error: what was done up to it, and the failed step)
        if undo:
            undo_restores(undo)


def _name_the_op(error: Exception, op: Any, node: int | None) -> None:
    """Say which op's ``backward`` failed: a note on the user's own error, ``error.op`` on a contract error."""
    if not isinstance(error, AutodiffError):
        error.add_note(f"(raised in {op_label(op)}.backward, graph node {node})")
    elif error.op is None:
        error.op = op


def _write_steps(unwritten: dict[Any, list]) -> None:
    """Hand each graph the steps not written yet (see :meth:`graphviz_autodiff.Graph.write_steps`)."""
    for graph, steps in unwritten.items():
        if steps:
            graph.write_steps(steps)
            unwritten[graph] = []


def _begin_passes(calls: list[Tensor]) -> tuple[list[tuple[Any, int | None]] | None, dict[Any, list[int]]]:
    """Each graph's nodes among ``calls``, told that a pass over them starts; where each call lives if merged.

    Returns ``(located, graphs)``: ``located`` is ``None`` when no call's
    graph was merged into another (each call then lives at ``call.graph``,
    ``call.node``), else ``(graph, node)`` per call, following merges.
    """
    homes = set(map(_GRAPH_OF_CALL, calls))  # (without a Python call per tensor)
    if homes == _UNRECORDED:  # every call made under no_record()
        return None, {}
    located = None
    if any(g is not None and g.merged_into is not None for g in homes):
        located = [t.locate() for t in calls]  # follow merges
        homes = set(map(_GRAPH_OF, located))
    graphs: dict[Any, list[int]] = {}
    if len(homes) == 1:  # the common case: one graph
        (graph,) = homes
        graphs[graph] = list(map(_NODE_OF, located)) if located is not None else list(map(_NODE_OF_CALL, calls))
    else:
        for graph, node in located if located is not None else map(_PLACE, calls):
            if graph is not None:
                graphs.setdefault(graph, []).append(node)  # type: ignore[arg-type]
    for graph, nodes in graphs.items():
        graph.begin_pass(nodes)
    return located, graphs


def _clear_behind_cut(calls: list, located: list, skipped: list, leaf_grads: dict, param_grads: dict) -> None:
    """No gradient reached the calls in ``skipped``: clear what is behind them and say which op cut the path."""
    lost = []
    for t in skipped:
        call = t.call
        holders = [p for _, p in call.params] + [x for x in call.inputs if x.requires_grad]
        for x in holders:
            if (type(x) is Parameter and x not in param_grads) or (
                type(x) is Tensor and x.call is None and x not in leaf_grads
            ):
                x.grad = None
                lost.append(x)
    if not lost:
        return
    nodes = {id(t): node for t, (_, node) in zip(calls, located)}
    cuts = [t for t in calls if not t.requires_grad and (True in t.call.needs or t.call.params)]
    cut = tuple(Message("exc.cut_op", {"op": op_label(t.op), "node": nodes[id(t)], "dtype": t.dtype}) for t in cuts)
    names = ", ".join(dict.fromkeys(x.name or type(x).__name__ for x in lost))
    warnings.warn(
        GradientCutWarning(Message("exc.cut", {"cut": cut or Message("exc.cut_unknown"), "names": names})),
        stacklevel=4,
    )


def _accumulate(sums: dict, key: Any, g: Any) -> None:
    """``sums[key] += g``, where a missing entry or ``None`` counts as nothing yet."""
    previous = sums.get(key)
    if g is None:
        sums.setdefault(key, None)
    else:
        sums[key] = g if previous is None else previous + g


def _input_node(inp: Any, graph: Any) -> int | None:
    """The node of argument ``inp`` in ``graph`` (``None`` if it has none there)."""
    if graph is None:
        return None
    if type(inp) is Tensor:
        if inp.call is not None:
            producer_graph, node = inp.locate()
            return node if producer_graph is graph else None
        found = graph.find_leaf(inp) or graph.find_leaf(inp.data)
    else:
        found = graph.find_leaf(inp)
    if found is not None and found[0] is inp:
        return found[1]
    if type(inp) is Tensor:
        leaf_graph, leaf_node = inp.locate()
        return leaf_node if leaf_graph is graph else None
    return None


# -- the lecture's manual chain ---------------------------------------------------
def manual_backward(op: Any, upstream: Any) -> Any:
    """``op.backward(upstream_grad)`` called by the user: run it and record it.

    Finds the op's most recent call, runs its ``backward`` under the same
    checks as the engine, writes the gradients into the graph and into
    ``.grad`` (summing parameter gradients over the calls of one manual
    chain), and returns exactly what the user's ``backward`` returned. The op
    then holds the state of its previous call in the same graph, so calling
    ``backward`` again walks weight-shared calls in reverse order.
    """
    t = latest_output(op)
    if t is None:
        return _unrecorded_backward(op, upstream)
    up = upstream if isinstance(upstream, np.ndarray) else _root_grad(t, upstream)
    if up.shape != t.data.shape:
        raise ShapeRuleError(
            Message("exc.upstream_shape", {"op": op_label(op), "got": up.shape, "shape": t.data.shape})
        )
    call = t.call
    graph, node = t.locate()
    if graph is not None:
        graph.start_manual_step(node)
    try:
        grads, contributions, result = _run(t, up, None, local(), get_mode().anomaly)
    except Exception as error:
        _name_the_op(error, op, node)
        if graph is not None:
            graph.write_step(node, up, None, {}, "failed", error)
        raise
    by_param = {attr: c for attr, _, c in contributions}
    if graph is not None:
        graph.write_step(node, up, grads, by_param, "done")
        graph.end_manual_step(node)
    t.grad = up
    found = [(p, c) for _, p, c in contributions if c is not None]
    found += [(p, g) for p, g in zip(call.inputs, grads) if g is not None and type(p) is Parameter]
    for p, c in found:
        p.grad = graph.manual_sum(p, c) if graph is not None else c
    for inp, g in zip(call.inputs, grads):
        if g is not None and type(inp) is Tensor and inp.call is None and inp.requires_grad:
            leaf_node = _input_node(inp, graph)
            inp.grad = graph.grad_of(leaf_node) if graph is not None and leaf_node is not None else g
    if graph is not None:
        graph.finish_leaves([node])
    previous = call.previous_output()
    if previous is not None:
        previous.call.restore()
    return result


def _unrecorded_backward(op: Any, upstream: Any) -> Any:
    """``backward`` of an op whose call is gone (or was never made through ``__call__``).

    Nothing to record; parameters still start from zero, so ``+=`` works and
    each call sets them afresh.
    """
    for value in list(vars(op).values()):
        if type(value) is Parameter:
            value.grad = np.zeros_like(value.data)
    return raw_backward(op, upstream)


def is_running(op: Any) -> bool:
    """Whether ``op``'s ``backward`` is running in this thread (a nested call goes straight to the user's code)."""
    return any(running is op for running, _ in local().running)


# -- anomaly detection hooks (see graphviz_autodiff.anomaly) --------------------------
def check_forward_finite(t: Tensor) -> None:
    """Raise :class:`NonFiniteError` if a call's output holds NaN or Inf (anomaly mode)."""
    data = t.data
    if data.dtype.kind in "fc" and not np.isfinite(data).all():
        graph, node = t.locate()
        site = graph.site(node) if graph is not None else None
        raise NonFiniteError(
            Message(
                "exc.nonfinite_forward",
                {"op": op_label(t.call.op), "what": nonfinite_message(data), "node": node, "site": _site(site)},
            )
        )


def _check_backward_finite(t: Tensor, grads: tuple, contributions: tuple) -> None:
    op = t.call.op
    named = [(Message("exc.target_argument", {"argument": argument_message(op, i)}), g) for i, g in enumerate(grads)]
    named += [(Message("exc.parameter", {"attr": attr}), c) for attr, _, c in contributions]
    for what, g in named:
        if g is not None and g.dtype.kind in "fc" and not np.isfinite(g).all():
            graph, node = t.locate()
            site = graph.site(node) if graph is not None else None
            raise NonFiniteError(
                Message(
                    "exc.nonfinite_backward",
                    {
                        "op": op_label(op),
                        "what": nonfinite_message(g),
                        "target": what,
                        "node": node,
                        "site": _site(site),
                    },
                )
            )


def _site(site: str | None) -> Message | str:
    """Where a call was made (``file.py:12``), or "an unknown place" in the reader's language."""
    return site or Message("exc.site_unknown")
