"""A recorded graph as numbers, and back: how the grader draws a student's graph without running it.

The worker (inside the sandbox) calls :func:`describe_graph` on the tensors
its forward and backward passes made with the student's ops; the result
travels as one ``graph`` frame (plain JSON + raw arrays). The grader calls
:func:`replay` on that frame: it records the same graph again with
**stand-in ops** (:class:`ReplayedOp`) whose ``forward`` returns the output the
student's op computed and whose ``backward`` returns the gradients the
student's ``backward`` returned (or raises the error it raised), so that
:mod:`viz` draws the student's numbers, shapes, failures and skipped nodes
exactly, while no line of the student's code runs in the grader.

The ``graph`` frame
===================
``data = {"nodes": [...], "roots": [ids], "backward": bool}`` (``backward``: a
backward pass ran from the roots), nodes in forward order (every
node after its inputs), each::

    {"id": int, "kind": "input" | "parameter" | "op", "label": str, "name": str | null, "op_class": str,
     "requires_grad": bool,                                 # leaves
     "inputs": [id, ...], "params": [[attribute, id], ...],  # ops
     "needs": [bool, ...], "data": [bool, ...],
     "status": "done" | "failed" | "skipped" | "forward", "error": str | null, "where": str | null,
     "grads": [bool, ...], "param_grads": [bool, ...]}

and arrays ``v<id>`` (every node's value), ``u<id>`` (an op's upstream
gradient), ``g<id>_<k>`` (what its ``backward`` returned for argument ``k``,
when ``grads[k]``) and ``p<id>_<j>`` (its contribution to parameter ``j``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphviz_autodiff import Differentiable, Graph, Parameter, Tensor, iter_backward
from graphviz_autodiff.errors import describe_error

__all__ = [
    "Call",
    "Description",
    "ReplayError",
    "Replayed",
    "ReplayedError",
    "ReplayedOp",
    "describe_graph",
    "replay",
]

_LABEL = 200  # characters of a label kept
_ERROR = 2000


class ReplayError(ValueError):
    """The ``graph`` frame does not describe a graph (a forged or cut frame): nothing is drawn."""


class ReplayedError(Exception):
    """Raised by a stand-in op's ``backward`` where the student's ``backward`` failed (subclassed per error name)."""


# -- worker side -------------------------------------------------------------------------------------------
@dataclass
class Call:
    """One op call of the described graph, as the worker measures it (student objects included).

    Attributes
    ----------
    id
        Its node id in the description.
    op
        The student's op instance.
    label
        The op's label.
    arrays, needs, data
        Its arguments' values, which need a gradient, which are plain data.
    params
        Parameter values by attribute.
    output, upstream
        Its value and the upstream gradient its ``backward`` received (``None`` if none).
    sources
        Node ids of what feeds each argument, then each parameter (``None``: nothing recorded).
    """

    id: int
    op: Any
    label: str
    arrays: list[np.ndarray]
    needs: tuple[bool, ...]
    data: tuple[bool, ...]
    params: dict[str, np.ndarray]
    output: np.ndarray
    upstream: np.ndarray | None
    sources: list[int | None]


@dataclass
class Description:
    """What :func:`describe_graph` returns: the frame's ``data`` and ``arrays``, and the calls to measure.

    Attributes
    ----------
    data, arrays
        The ``graph`` frame.
    calls
        Op calls in backward order (the loss's op first).
    roots
        The calls whose outputs the description started from.
    """

    data: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    roots: list[Call] = field(default_factory=list)


def _wire(value: Any) -> np.ndarray | None:
    """``value`` as an array that can travel (float64/complex128/int64/bool), or ``None``."""
    try:
        array = np.asarray(getattr(value, "data", value) if isinstance(value, (Tensor, Parameter)) else value)
    except Exception:
        return None
    kind = array.dtype.kind
    if kind == "f":
        return array.astype(np.float64)
    if kind == "c":
        return array.astype(np.complex128)
    if kind in "iu":
        return array.astype(np.int64)
    if kind == "b":
        return array.astype(bool)
    return None


def describe_graph(
    roots: Sequence[Tensor], steps: Iterable[Any] = (), where: Callable[[BaseException, Any], str | None] | None = None
) -> Description:
    """Describe the graph behind ``roots`` (and what a backward pass did) as a ``graph`` frame.

    Parameters
    ----------
    roots
        Op-output tensors (the loss).
    steps
        The :class:`~graphviz_autodiff.BackwardStep` objects of a backward pass
        over them (``iter_backward(loss, on_error="record")``), or nothing.
    where
        ``(error, op) -> "file:line"`` of the student's code, for failed steps (the op whose
        ``backward`` failed: a contract error found after it returned has no student frame).
    """
    ids: dict[int, int] = {}
    nodes: list[dict[str, Any]] = []
    arrays: dict[str, np.ndarray] = {}
    tensors: dict[int, Tensor] = {}

    def add(node: dict[str, Any], obj: Any, value: Any) -> int:
        node_id = len(nodes)
        node["id"] = node_id
        ids[id(obj)] = node_id
        nodes.append(node)
        wired = _wire(value)
        if wired is not None:
            arrays[f"v{node_id}"] = wired
        return node_id

    def leaf(obj: Any, label: str) -> int:
        if id(obj) in ids:
            return ids[id(obj)]
        if isinstance(obj, Parameter):
            return add({"kind": "parameter", "label": str(obj.name or label)[:_LABEL], "requires_grad": True}, obj, obj)
        name = obj.name if isinstance(obj, Tensor) else None
        node = {"kind": "input", "label": str(name or label)[:_LABEL], "requires_grad": bool(obj.requires_grad)}
        return add(node, obj, obj)

    stack: list[tuple[Tensor, bool]] = [(t, False) for t in reversed(list(roots))]
    while stack:
        t, expanded = stack.pop()
        if id(t) in ids:
            continue
        if t.op is None:
            leaf(t, f"input{len(nodes)}")
            continue
        if not expanded:
            stack.append((t, True))
            stack.extend((x, False) for x in reversed(t.inputs) if isinstance(x, Tensor) and id(x) not in ids)
            continue
        inputs = [leaf(x, f"input{len(nodes)}") if not isinstance(x, Tensor) else ids[id(x)] for x in t.inputs]
        params = [[str(attr), leaf(p, str(attr))] for attr, p in t.params]
        from graphviz_autodiff.util import op_label

        node = {
            "kind": "op",
            "label": op_label(t.op)[:_LABEL],
            "op_class": type(t.op).__name__[:_LABEL],
            "name": None if t.name is None else str(t.name)[:_LABEL],
            "inputs": inputs,
            "params": params,
            "needs": [bool(n) for n in t.needs_input_grad],
            "data": [isinstance(x, Tensor) and x.op is None and not isinstance(x, Parameter) for x in t.inputs],
            "status": "forward",
            "error": None,
            "where": None,
            "grads": [False] * len(inputs),
            "param_grads": [False] * len(params),
        }
        tensors[add(node, t, t.data)] = t
    calls = _record_steps(steps, ids, nodes, arrays, where)
    by_id = {c.id: c for c in calls}
    for node_id, t in tensors.items():
        if node_id not in by_id:
            calls.append(_call(nodes[node_id], t, None, ids))
            by_id[node_id] = calls[-1]
    root_ids = [ids[id(t)] for t in roots if id(t) in ids]
    data = {"nodes": nodes, "roots": root_ids, "backward": bool(calls and any(c.upstream is not None for c in calls))}
    return Description(data, arrays, calls, [by_id[r] for r in root_ids if r in by_id])


def _record_steps(
    steps: Iterable[Any],
    ids: Mapping[int, int],
    nodes: list[dict[str, Any]],
    arrays: dict[str, np.ndarray],
    where: Callable[[BaseException, Any], str | None] | None,
) -> list[Call]:
    calls = []
    for step in steps:
        node_id = ids.get(id(step.output))
        if node_id is None:
            continue
        node = nodes[node_id]
        node["status"] = str(step.status)
        if step.error is not None:
            error = step.error
            node["error"] = describe_error(error)[:_ERROR]
            node["where"] = where(error, step.op) if where is not None else None
        upstream = _wire(step.upstream_grad) if step.upstream_grad is not None else None
        if upstream is not None:
            arrays[f"u{node_id}"] = upstream
        for k, g in enumerate(step.grads or ()):
            wired = None if g is None else _wire(g)
            if wired is not None and k < len(node["grads"]):
                arrays[f"g{node_id}_{k}"] = wired
                node["grads"][k] = True
        contributions = dict(step.param_grads or {})
        for j, (attr, _) in enumerate(node["params"]):
            wired = None if contributions.get(attr) is None else _wire(contributions[attr])
            if wired is not None:
                arrays[f"p{node_id}_{j}"] = wired
                node["param_grads"][j] = True
        calls.append(_call(node, step.output, upstream, ids))
    return calls


def _call(node: dict[str, Any], t: Tensor, upstream: np.ndarray | None, ids: Mapping[int, int]) -> Call:
    return Call(
        id=node["id"],
        op=t.op,
        label=node["label"],
        arrays=[np.asarray(x.data) for x in t.inputs],
        needs=tuple(node["needs"]),
        data=tuple(node["data"]),
        params={str(attr): np.asarray(p.data) for attr, p in t.params},
        output=np.asarray(t.data),
        upstream=upstream,
        sources=[*node["inputs"], *(pid for _, pid in node["params"])],
    )


# -- grader side -------------------------------------------------------------------------------------------
class ReplayedOp(Differentiable):
    """A stand-in for a student's op call: replays the numbers the worker recorded, runs no student code.

    Parameters
    ----------
    label
        The student's op label (drawn on the node).
    output
        What the student's ``forward`` returned.
    grads
        What its ``backward`` returned, one entry per argument (``None`` where it returned none).
    param_grads
        Its contribution to each parameter, by this op's attribute name.
    error
        ``"TypeError: ..."`` when its ``backward`` raised (then the replayed ``backward`` raises it).
    """

    def __init__(
        self,
        label: str,
        output: np.ndarray,
        grads: Sequence[np.ndarray | None] = (),
        param_grads: Mapping[str, np.ndarray | None] | None = None,
        error: str | None = None,
    ) -> None:
        super().__init__(label)
        self.recorded_output = output
        self.recorded_grads = tuple(grads)
        self.recorded_param_grads = dict(param_grads or {})
        self.recorded_error = error

    def forward(self, *args: np.ndarray) -> np.ndarray:
        """The student's output (a copy)."""
        return np.array(self.recorded_output)

    def backward(self, upstream_grad: np.ndarray) -> Any:
        """The student's gradients, or the student's error raised again."""
        if self.recorded_error is not None:
            name, _, text = self.recorded_error.partition(": ")
            raise _error_class(name)(text)
        for attr, g in self.recorded_param_grads.items():
            if g is not None:
                getattr(self, attr).grad = g
        grads = self.recorded_grads
        return grads[0] if len(grads) == 1 else grads


_ERROR_CLASSES: dict[str, type[ReplayedError]] = {}


def _error_class(name: str) -> type[ReplayedError]:
    """A :class:`ReplayedError` subclass named like the student's exception (so the node shows its name)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,80}", name):
        return ReplayedError
    if name not in _ERROR_CLASSES:
        _ERROR_CLASSES[name] = type(name, (ReplayedError,), {"__module__": __name__})
    return _ERROR_CLASSES[name]


@dataclass
class Replayed:
    """The graph :func:`replay` recorded.

    Attributes
    ----------
    graph
        The recorded :class:`~graphviz_autodiff.Graph` (draw it with :mod:`viz`).
    nodes
        Worker node id to the graph's node id.
    calls
        Worker node ids of the op calls, in backward order as the grader's
        engine walked them.
    leaves
        Worker node ids of the leaves, in reverse forward order.
    described
        The frame's nodes (validated), by worker node id.
    """

    graph: Graph
    nodes: dict[int, int]
    calls: list[int]
    leaves: list[int]
    described: list[dict[str, Any]] = field(default_factory=list)


def replay(data: Any, arrays: Mapping[str, np.ndarray], *, name: str | None = None) -> Replayed:
    """Record the described graph again with :class:`ReplayedOp` stand-ins and run its backward pass.

    Parameters
    ----------
    data, arrays
        A ``graph`` frame.
    name
        The graph's title.

    Raises
    ------
    ReplayError
        The frame does not describe a graph that can be recorded.
    """
    nodes = _validated_nodes(data, arrays)
    objects: dict[int, Any] = {}
    outputs: dict[int, Tensor] = {}
    with Graph(name=name) as graph:
        for node in nodes:
            node_id = node["id"]
            value = np.asarray(arrays[f"v{node_id}"])
            if node["kind"] == "parameter":
                objects[node_id] = Parameter(value if value.dtype.kind in "fc" else value.astype(float), node["label"])
            elif node["kind"] == "input":
                objects[node_id] = Tensor(value, name=node["label"], requires_grad=bool(node.get("requires_grad")))
            else:
                outputs[node_id] = _replay_call(node, value, arrays, objects)
                objects[node_id] = outputs[node_id]
    roots = [outputs[r] for r in data.get("roots", []) if r in outputs]
    order: list[int] = []
    by_tensor = {id(t): node_id for node_id, t in outputs.items()}
    for root in roots if data.get("backward") else []:
        try:
            for step in iter_backward(root, arrays.get(f"u{by_tensor[id(root)]}"), on_error="record"):
                order.append(by_tensor.get(id(step.output), -1))
        except Exception as error:  # a root that is not scalar and has no recorded gradient: no pass
            raise ReplayError(f"cannot replay the backward pass: {error}") from None
    order += [n["id"] for n in reversed(nodes) if n["kind"] == "op" and n["id"] not in order]
    mapping = _node_ids(graph, nodes, objects, outputs)
    leaves = [n["id"] for n in reversed(nodes) if n["kind"] != "op" and n["id"] in mapping]
    return Replayed(graph, mapping, [n for n in order if n in mapping], leaves, nodes)


def _replay_call(
    node: dict[str, Any], value: np.ndarray, arrays: Mapping[str, np.ndarray], objects: dict[int, Any]
) -> Tensor:
    node_id = node["id"]
    grads = [arrays.get(f"g{node_id}_{k}") for k in range(len(node["inputs"]))]
    attrs = [f"param{j}" for j in range(len(node["params"]))]
    param_grads = {attr: arrays.get(f"p{node_id}_{j}") for j, attr in enumerate(attrs)}
    error = node.get("error") if node.get("status") == "failed" else None
    if node.get("status") == "failed" and not error:
        error = "ReplayedError: backward failed"
    op = ReplayedOp(node["label"], value, grads, param_grads, error)
    for attr, (_, param_id) in zip(attrs, node["params"]):
        setattr(op, attr, objects[param_id])
    out = op(*(objects[i] for i in node["inputs"]))
    if node.get("name"):
        out.name = node["name"]
    return out


def _node_ids(
    graph: Graph, nodes: list[dict[str, Any]], objects: dict[int, Any], outputs: dict[int, Tensor]
) -> dict[int, int]:
    """Worker node id to the recorded graph's node id (parameters found through the edges of their consumers)."""
    mapping: dict[int, int] = {}
    for node_id, t in outputs.items():
        if t.node is not None:
            mapping[node_id] = t.node
    for node in nodes:
        if node["kind"] == "input" and objects[node["id"]].node is not None:
            mapping[node["id"]] = objects[node["id"]].node
    G = graph.nx
    for node in nodes:
        if node["kind"] != "op" or node["id"] not in mapping:
            continue
        consumer = mapping[node["id"]]
        for j, (_, param_id) in enumerate(node["params"]):
            for producer in G.predecessors(consumer):
                if G.edges[producer, consumer].get("param") == f"param{j}":
                    mapping.setdefault(param_id, producer)
    return mapping


def _validated_nodes(data: Any, arrays: Mapping[str, np.ndarray]) -> list[dict[str, Any]]:
    """The frame's nodes, checked: ids in order, inputs before their consumers, values present, sizes sane."""
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise ReplayError("no node list")
    nodes = data["nodes"]
    if len(nodes) > 5000:
        raise ReplayError("more than 5000 nodes")
    kinds: dict[int, str] = {}
    for index, node in enumerate(nodes):
        if (
            not isinstance(node, dict)
            or node.get("id") != index
            or node.get("kind") not in ("input", "parameter", "op")
        ):
            raise ReplayError(f"node {index} is malformed")
        if f"v{index}" not in arrays:
            raise ReplayError(f"node {index} has no value")
        if not isinstance(node.get("label"), str):
            raise ReplayError(f"node {index} has no label")
        if node["kind"] == "op":
            inputs, params = node.get("inputs"), node.get("params")
            if not isinstance(inputs, list) or not isinstance(params, list):
                raise ReplayError(f"node {index}: inputs and params must be lists")
            for source in [*inputs, *(p[1] if isinstance(p, list) and len(p) == 2 else None for p in params)]:
                if not isinstance(source, int) or source not in kinds:
                    raise ReplayError(f"node {index} uses a node that does not come before it")
            if any(kinds[p[1]] != "parameter" for p in params):
                raise ReplayError(f"node {index}: a parameter edge from a node that is not a parameter")
        kinds[index] = node["kind"]
    return nodes
