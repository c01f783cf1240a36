"""The backward engine: a generator of steps, one per op call.

``iter_backward(loss)`` walks the op calls that ``loss`` depends on in
reverse order of creation (a reverse topological order, deterministic), and
for each call:

1. sums the gradients that arrived from all its consumers (fan-out);
2. restores the state the call's ``forward`` saved on the op (so one op
   instance may be called several times);
3. calls the op's ``backward(upstream_grad)`` and checks the result against
   the contract (count, ``None``, the shape rule);
4. routes each gradient to the producer of that argument, and sums
   parameter gradients over all calls of the op;
5. writes the results into the graph's node and edge attributes, and yields
   a :class:`BackwardStep`.

Tensor and parameter ``.grad`` are committed only when the walk completes
without error, so a failed backward leaves them as they were.
``Tensor.backward()`` simply drains the generator; the stepper in ``viz``
consumes it one step at a time.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import (
    AutodiffError,
    GradientCountError,
    MissingGradientError,
    NonFiniteError,
    NonScalarBackwardError,
    ShapeRuleError,
)
from .graph import PASS_IDS, STATE
from .tensor import Parameter, Tensor
from .util import argument_name, describe_nonfinite, op_label

__all__ = ["BackwardStep", "backward", "calls_of", "iter_backward"]

# Which arguments need a gradient, for the op whose backward is running
# (read through ``Differentiable.needs_input_grad``).
CURRENT_NEEDS: list[tuple[bool, ...]] = []
# Ops whose backward is running (a nested call of a wrapped ``backward``,
# such as ``super().backward(g)``, goes straight to the user's code).
ACTIVE_OPS: list[Any] = []


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


def _shape_hint(expected: tuple, got: tuple) -> str:
    if got == expected[::-1] and len(expected) > 1:
        return " It looks transposed: check for a missing or extra .T."
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
    return (
        f" The received shape is what broadcasting produces: a sum over axis {axis} is missing "
        f"(e.g. grad.sum(axis={axis}{keep}))."
    )


def _validate(op: Any, t: Tensor, result: Any) -> tuple:
    """Check a ``backward`` result against the contract; return one entry per argument.

    The common case (one ndarray of the right shape, or ``None`` for an
    argument that needs no gradient, per argument) costs one tuple comparison
    per gradient; anything else goes through :func:`_validate_slowly`, which
    converts what it can and explains what it cannot.
    """
    inputs = t._inputs
    if type(result) is tuple:
        if len(result) == len(inputs):
            for g, inp in zip(result, inputs):
                if type(g) is np.ndarray:
                    if g.shape != inp.data.shape:
                        break
                elif g is not None or inp.requires_grad:
                    break
            else:
                return result
    elif len(inputs) == 1:
        if type(result) is np.ndarray:
            if result.shape == inputs[0].data.shape:
                return (result,)
        elif result is None and not inputs[0].requires_grad:
            return (None,)
    return _validate_slowly(op, inputs, result)


def _validate_slowly(op: Any, inputs: tuple, result: Any) -> tuple:
    n = len(inputs)
    if type(result) is tuple or (type(result) is list and n != 1):
        seq = result
    elif n == 1:
        seq = (result,)
    else:
        raise GradientCountError(
            f"{op_label(op)}.backward returned one {type(result).__name__} but forward took {n} "
            f"arguments; return a tuple of {n} gradients (None for an argument without one)."
        )
    if len(seq) != n:
        raise GradientCountError(
            f"{op_label(op)}.backward returned {len(seq)} gradients but forward took {n} "
            f"argument{'s' if n != 1 else ''}; return exactly one gradient per argument, in order."
        )
    grads = []
    for i, (g, inp) in enumerate(zip(seq, inputs)):
        if g is None:
            if inp.requires_grad:
                raise MissingGradientError(
                    f"{op_label(op)}.backward returned None for {argument_name(op, i)}, a float array of shape "
                    f"{inp.data.shape} that needs a gradient; compute it (None is only for "
                    f"non-differentiable arguments such as integer labels)."
                )
            grads.append(None)
            continue
        if type(g) is not np.ndarray:
            g = np.asarray(g.data if isinstance(g, (Tensor, Parameter)) else g)
        expected = inp.data.shape
        if g.shape != expected:
            raise ShapeRuleError(
                f"{op_label(op)}.backward returned a gradient of shape {g.shape} for "
                f"{argument_name(op, i)}, which has shape {expected}. Every gradient must have the "
                f"shape of its argument.{_shape_hint(expected, g.shape)}"
            )
        grads.append(g)
    return tuple(grads)


def run_call(t: Tensor, upstream: Any, restored: dict | None = None) -> tuple[tuple, tuple, Any]:
    """Run the backward of the call that produced ``t``, under the contract's checks.

    Restores the state the call's ``forward`` saved on the op first (saving
    the op's current state into ``restored`` the first time, so the caller
    can put it back). Returns ``(grads, param_contributions, raw_result)``:
    one gradient (or ``None``) per argument, and ``(attribute, parameter,
    gradient or None)`` per parameter the op holds (``None``: ``backward``
    left it alone). Parameter ``.grad`` values are left exactly as they were.
    """
    op = t._op
    saved = t._saved
    state = op.__dict__
    if state.get("_gad_call") is not saved["_gad_call"]:
        if restored is not None and id(op) not in restored:
            restored[id(op)] = (op, state.copy())
        state.clear()
        state.update(saved)
    params = t._params
    if params:
        before = [p.grad for _, p in params]
        presets = [_zero_grad(p) for _, p in params]
    CURRENT_NEEDS.append(t._needs)
    ACTIVE_OPS.append(op)
    try:
        result = type(op)._raw_backward(op, upstream)
        contributions = _param_contributions(op, params, presets) if params else ()
    finally:
        ACTIVE_OPS.pop()
        CURRENT_NEEDS.pop()
        if params:
            for (_, p), old in zip(params, before):
                p.grad = old
    grads = _validate(op, t, result)
    if STATE.anomaly:
        _check_backward_finite(t, grads, contributions)
    return grads, contributions, result


def _zero_grad(p: Parameter) -> np.ndarray:
    """Set ``p.grad`` to zeros before a ``backward`` (so ``+=`` works); reuse one array per parameter."""
    zero = p._zero
    if zero is None or zero.shape != p.data.shape or zero.dtype != p.data.dtype:
        zero = p._zero = np.zeros_like(p.data)
    p.grad = zero
    return zero


def _param_contributions(op: Any, params: tuple, presets: list) -> tuple:
    contributions = []
    for (attr, p), zero in zip(params, presets):
        c = p.grad
        if c is zero:
            if c.any():
                p._zero = None  # written in place (``+=``): this array is now the contribution
            else:
                c = None
        elif c is not None:
            if type(c) is not np.ndarray:
                c = np.asarray(c)
            if c.shape != p.data.shape:
                raise ShapeRuleError(
                    f"{op_label(op)}.backward set {attr}.grad to shape {c.shape}, but the parameter "
                    f"{attr} has shape {p.data.shape}. A parameter's gradient must have its shape."
                    f"{_shape_hint(p.data.shape, c.shape)}"
                )
        contributions.append((attr, p, c))
    return tuple(contributions)


def calls_of(root: Tensor) -> list[Tensor]:
    """The op-call tensors ``root`` depends on, newest first (reverse topological order)."""
    seen = {root}
    stack = [root]
    calls = []
    while stack:
        t = stack.pop()
        calls.append(t)
        for inp in t._inputs:
            if type(inp) is Tensor and inp._op is not None and inp not in seen:
                seen.add(inp)
                stack.append(inp)
    calls.sort(key=_STAMP, reverse=True)
    return calls


_STAMP = operator.attrgetter("_stamp")


def _root_grad(root: Tensor, grad: Any) -> np.ndarray:
    data = root.data
    dtype = data.dtype if data.dtype.kind in "fc" else np.float64
    if grad is None:
        if data.size != 1:
            raise NonScalarBackwardError(
                f"backward() without a gradient needs a one-element tensor (a loss), but this tensor "
                f"has shape {data.shape}. Reduce it first (e.g. .sum()) or pass backward(grad) with a "
                f"gradient of shape {data.shape}."
            )
        return np.array(1, dtype=dtype).reshape(data.shape)  # (cheaper than np.ones for one element)
    g = np.asarray(grad.data if isinstance(grad, (Tensor, Parameter)) else grad, dtype=dtype)
    if g.shape != data.shape:
        if g.size != 1:
            raise ShapeRuleError(
                f"backward(grad): grad has shape {g.shape} but the tensor has shape {data.shape}; "
                f"the gradient must have the tensor's shape."
            )
        g = np.full(data.shape, g.reshape(()), dtype=dtype)
    return g


# -- writing results into the graph ------------------------------------------
def _graph_node(t: Tensor) -> tuple[Any, int | None]:
    if t._op is None:
        return None, None
    return t._locate()


_PENDING = {"grad": None, "grads": None, "param_grads": None, "status": "pending", "error": None}


def _reset_node(attrs: dict) -> None:
    attrs.update(_PENDING)


def _write_step(
    graph: Any, node: int, upstream: Any, grads: tuple | None, contributions: tuple, status: str, error: Any
) -> None:
    """Write one call's results into its node, its in-edges and its producers' running sums."""
    attrs = graph._attrs[node]
    by_param = {attr: c for attr, _, c in contributions} if contributions else {}
    attrs["grad"] = upstream
    attrs["grads"] = grads
    attrs["param_grads"] = by_param
    attrs["status"] = status
    attrs["error"] = None if error is None else f"{type(error).__name__}: {error}"
    if grads is None:
        return
    all_attrs = graph._attrs
    for u, edge in graph._in_edges[node].items():
        args = edge["args"]
        if len(args) == 1:
            flow = grads[args[0]]
        elif args:
            flow = None
            for position in args:
                if grads[position] is not None:
                    flow = grads[position] if flow is None else flow + grads[position]
        else:
            flow = by_param.get(edge["param"])
        edge["grad"] = flow
        if flow is not None:
            producer = all_attrs[u]
            producer["grad"] = flow if producer["grad"] is None else producer["grad"] + flow


def _finish_leaves(located: list[tuple[Any, int | None]]) -> None:
    """Mark every leaf feeding the walked calls ``done`` (a gradient reached it) or ``skipped``."""
    for g, node in located:
        if g is None:
            continue
        all_attrs = g._attrs
        for u in g._in_edges[node]:
            attrs = all_attrs[u]
            if attrs["kind"] != "op":
                attrs["status"] = "done" if attrs["grad"] is not None else "skipped"


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


def _walk(tensor: Tensor, grad: Any, on_error: str, make_steps: bool) -> Iterator[BackwardStep | None]:
    """The one backward engine: :func:`iter_backward` and :func:`backward` both drain it.

    With ``make_steps=False`` (``Tensor.backward``, which looks at no step)
    it yields ``None`` instead of building a :class:`BackwardStep` and its
    ``inputs``; everything else (results in the graph, ``.grad``) is the same.
    """
    if on_error not in ("raise", "record"):
        raise ValueError(f"on_error must be 'raise' or 'record', got {on_error!r}")
    if not isinstance(tensor, Tensor):
        raise TypeError(f"iter_backward expects a Tensor, got {type(tensor).__name__}")
    root_grad = _root_grad(tensor, grad)
    if tensor._op is None:
        if tensor.requires_grad:
            tensor.grad = root_grad
        return
    calls = calls_of(tensor)
    recorded = any(t._graph is not None for t in calls)
    located: list[tuple[Any, int | None]] = []
    if recorded:
        located = [t._locate() for t in calls]
        _start_graph_pass(located)
    pending: dict[Tensor, Any] = {tensor: root_grad}
    consumers: dict[Tensor, int] = {}
    leaf_grads: dict[Tensor, Any] = {}
    param_grads: dict[Parameter, Any] = {}
    upstreams: list[Any] = [None] * len(calls)
    restored: dict[int, tuple[Any, dict]] = {}
    graph = node = step = None
    failed = False
    try:
        for index, t in enumerate(calls):
            op = t._op
            upstream = pending.pop(t, None)
            if recorded:
                graph, node = located[index]
            if make_steps:
                inputs = tuple(_input_node(inp, graph) for inp in t._inputs)
                step = BackwardStep(index, node, op, t, upstream, consumers.get(t, 0), inputs=inputs)
            if upstream is None:
                if step is not None:
                    step.status = "skipped"
                if graph is not None:
                    _write_step(graph, node, None, None, (), "skipped", None)
                yield step
                continue
            upstreams[index] = upstream
            try:
                grads, contributions, _ = run_call(t, upstream, restored)
            except Exception as error:
                if not isinstance(error, AutodiffError):
                    error.add_note(f"(raised in {op_label(op)}.backward, graph node {node})")
                if graph is not None:
                    _write_step(graph, node, upstream, None, (), "failed", error)
                if on_error == "raise":
                    raise
                failed = True
                if step is not None:
                    step.status = "failed"
                    step.error = error
                yield step
                continue
            for inp, g in zip(t._inputs, grads):
                if g is None or not inp.requires_grad:
                    continue
                if type(inp) is not Tensor:
                    _accumulate(param_grads, inp, g)
                elif inp._op is not None:
                    previous = pending.get(inp)
                    pending[inp] = g if previous is None else previous + g
                    if make_steps:
                        consumers[inp] = consumers.get(inp, 0) + 1
                else:
                    _accumulate(leaf_grads, inp, g)
            for _, p, c in contributions:
                _accumulate(param_grads, p, c)
            if step is not None:
                step.grads = grads
                if contributions:
                    step.param_grads = {attr: c for attr, _, c in contributions}
            if graph is not None:
                _write_step(graph, node, upstream, grads, contributions, "done", None)
            yield step
        if recorded:
            _finish_leaves(located)
        if not failed:
            for t, g in zip(calls, upstreams):
                t.grad = g
            for leaf, g in leaf_grads.items():
                leaf.grad = g
            for p, g in param_grads.items():
                p.grad = g
                p._pass = -1
    finally:
        for op, state in restored.values():
            op.__dict__.clear()
            op.__dict__.update(state)


def _start_graph_pass(located: list[tuple[Any, int | None]]) -> None:
    """A new pass in every graph involved: reset node/edge results, forget manual-chain state."""
    seen = set()
    for graph, node in located:
        if graph is None:
            continue
        if id(graph) not in seen:
            seen.add(id(graph))
            graph._manual_pass = next(PASS_IDS)
            graph._manual_done.clear()
        all_attrs = graph._attrs
        all_attrs[node].update(_PENDING)
        for u, edge in graph._in_edges[node].items():
            edge["grad"] = None
            all_attrs[u].update(_PENDING)


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
        if inp._op is not None:
            producer_graph, node = inp._locate()
            return node if producer_graph is graph else None
        entry = graph._leaves.get(id(inp)) or graph._leaves.get(id(inp.data))
    else:
        entry = graph._leaves.get(id(inp))
    if entry is not None and entry[0]() is inp:
        return entry[1]
    if type(inp) is Tensor:
        leaf_graph, leaf_node = inp._locate()
        return leaf_node if leaf_graph is graph else None
    return None


def backward(tensor: Tensor, grad: Any = None) -> None:
    """Run the whole backward pass from ``tensor`` (see :meth:`Tensor.backward`)."""
    for _ in _walk(tensor, grad, "raise", False):
        pass


# -- the lecture's manual chain ---------------------------------------------------
def manual_backward(op: Any, raw_backward: Any, upstream: Any) -> Any:
    """``op.backward(upstream_grad)`` called by the user: run it and record it.

    Finds the op's most recent call, runs its ``backward`` under the same
    checks as the engine, writes the gradients into the graph and into
    ``.grad`` (summing parameter gradients over the calls of one pass), and
    returns exactly what the user's ``backward`` returned. The op then holds
    the state of its previous call in the same graph, so calling
    ``backward`` again walks weight-shared calls in reverse order.
    """
    ref = op.__dict__.get("_gad_call")
    t = ref() if ref is not None else None
    if t is None:
        return _unrecorded_backward(op, raw_backward, upstream)
    up = _root_grad(t, upstream) if not isinstance(upstream, np.ndarray) else upstream
    if up.shape != t.data.shape:
        raise ShapeRuleError(
            f"{op_label(op)}.backward was given an upstream gradient of shape {up.shape}, but "
            f"{op_label(op)}'s output has shape {t.data.shape}; pass dL/d(output), of the output's shape."
        )
    graph, node = _graph_node(t)
    if graph is not None and (not graph._manual_done or node in graph._manual_done):
        graph._manual_pass = next(PASS_IDS)
        graph._manual_done.clear()
        for attrs in graph._attrs.values():
            _reset_node(attrs)
        for edges in graph._in_edges.values():
            for edge in edges.values():
                edge["grad"] = None
    pass_id = graph._manual_pass if graph is not None else next(PASS_IDS)
    try:
        grads, contributions, result = run_call(t, upstream)
    except Exception as error:
        if not isinstance(error, AutodiffError):
            error.add_note(f"(raised in {op_label(op)}.backward, graph node {node})")
        if graph is not None:
            _write_step(graph, node, up, None, (), "failed", error)
        raise
    if graph is not None:
        _write_step(graph, node, up, grads, contributions, "done", None)
    if graph is not None:
        graph._manual_done.add(node)
    t.grad = up
    found = [(p, c) for _, p, c in contributions if c is not None]
    found += [(p, g) for p, g in zip(t._inputs, grads) if g is not None and type(p) is Parameter]
    for p, c in found:
        p.grad = p._pass_total + c if p._pass == pass_id else c
        p._pass, p._pass_total = pass_id, p.grad
    for inp, g in zip(t._inputs, grads):
        if g is not None and type(inp) is Tensor and inp._op is None and inp.requires_grad:
            leaf_node = _input_node(inp, graph)
            inp.grad = graph._attrs[leaf_node]["grad"] if graph is not None and leaf_node is not None else g
    if graph is not None:
        _finish_leaves([(graph, node)])
    previous = t._prev_call() if t._prev_call is not None else None
    if previous is not None:
        op.__dict__.clear()
        op.__dict__.update(previous._saved)
    return result


def _unrecorded_backward(op: Any, raw_backward: Any, upstream: Any) -> Any:
    """``backward`` of an op whose call is gone (or was never made through ``__call__``).

    Nothing to record; parameters still start from zero, so ``+=`` works and
    each call sets them afresh.
    """
    params = [value for value in vars(op).values() if type(value) is Parameter]
    for p in params:
        p.grad = np.zeros_like(p.data)
    ACTIVE_OPS.append(op)
    try:
        return raw_backward(op, upstream)
    finally:
        ACTIVE_OPS.pop()


# -- anomaly detection hooks (see graphviz_autodiff.anomaly) --------------------------
def check_forward_finite(t: Tensor) -> None:
    """Raise :class:`NonFiniteError` if a call's output holds NaN or Inf (anomaly mode)."""
    data = t.data
    if data.dtype.kind in "fc" and not np.isfinite(data).all():
        g, node = _graph_node(t)
        site = g._attrs[node]["site"] if g is not None else None
        raise NonFiniteError(
            f"{op_label(t._op)}.forward produced {describe_nonfinite(data)} (graph node {node}); "
            f"the call was made at {site or 'an unknown place'}."
        )


def _check_backward_finite(t: Tensor, grads: tuple, contributions: list) -> None:
    named = [(argument_name(t._op, i), g) for i, g in enumerate(grads)]
    named += [(f"parameter {attr}", c) for attr, _, c in contributions]
    for what, g in named:
        if g is not None and g.dtype.kind in "fc" and not np.isfinite(g).all():
            graph, node = _graph_node(t)
            site = graph._attrs[node]["site"] if graph is not None else None
            raise NonFiniteError(
                f"{op_label(t._op)}.backward produced {describe_nonfinite(g)} in the gradient for {what} "
                f"(graph node {node}); the forward call was made at {site or 'an unknown place'}."
            )
