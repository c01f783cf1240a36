"""The recorded computational graph and the recording context.

A :class:`Graph` wraps a :class:`networkx.DiGraph` (``graph.nx``) whose nodes
are op *calls* and leaves (inputs, parameters, constants), and whose edges go
from a producer to the call that consumed it. The graph is written by
:meth:`Differentiable.__call__` and by the backward engine; it never computes
anything itself.

Lifecycle (no global graph keeps anything alive):

* ``with Graph() as g:`` records every op call inside the block into ``g``;
* outside such a block, an op call on tensors of an existing graph records
  into that graph; a call whose inputs come from no graph (raw arrays,
  parameters, leaf tensors, constants) starts a new graph; when tensors of
  different graphs meet, their graphs are merged;
* a graph is referenced by the op-output tensors recorded in it (and by the
  user); it never references a tensor, so it is freed by reference counting
  as soon as its last tensor goes, with no reference cycle for the garbage
  collector to break;
* :func:`no_record` turns recording off: tensors still link to the calls that
  made them, so ``backward`` still works, but nothing enters a networkx graph.

Node attributes (``graph.nx.nodes[n]``)
---------------------------------------
kind : {"op", "input", "parameter", "constant"}
label : str -- the op's ``name`` or class name, or the leaf's name.
name : str or None -- the name of an op call's output tensor (``t.name``).
op : Differentiable or None -- the op instance (op nodes).
op_class : str or None -- the op's class name.
call_index : int or None -- 0 for the first call of this op instance in this
    graph, 1 for the second (weight sharing), ...
value : numpy.ndarray -- the forward value (an op call's output).
shape : tuple of int; dtype : numpy.dtype
grad : numpy.ndarray or None -- dL/d(value); ``None`` until backward reaches
    the node (a running sum while its consumers are being processed).
grads : tuple or None -- what the op's ``backward`` returned, per argument.
param_grads : dict or None -- per parameter attribute name, the gradient this
    call contributed (``None`` when ``backward`` left it untouched).
status : {"forward", "pending", "done", "failed", "skipped"} -- "forward"
    before any backward pass, "pending" inside a pass before the node is
    processed, "skipped" when no gradient reached it.
error : str or None -- the error of a failed backward.
groups : tuple of str -- keys of the groups (clusters) the call belongs to,
    outermost first; see :attr:`Graph.groups`.
site : str or None -- ``file:line`` of the code that made the call (recorded
    only under :func:`graphviz_autodiff.detect_anomaly`).

Edge attributes (``graph.nx.edges[u, v]``)
------------------------------------------
args : tuple of int -- the argument positions of ``v``'s call that ``u`` feeds
    (``(0, 1)`` for ``x * x``); empty for a parameter used as an attribute.
param : str or None -- the attribute name when ``u`` is a parameter of the op.
grad : numpy.ndarray or None -- the gradient flowing from ``v`` back to ``u``.
"""

from __future__ import annotations

import itertools
import sys
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import networkx as nx

from .errors import GraphCycleError

__all__ = ["Graph", "group", "is_recording", "last_graph", "no_record"]


class _RecordingState:
    """Module-level switches read on the hot path (plain attributes, no lookups)."""

    __slots__ = ("anomaly", "context", "groups", "last", "recording")

    def __init__(self) -> None:
        self.recording = True
        self.context: list[Graph] = []
        self.groups: list[_GroupFrame] = []
        self.last: weakref.ref | None = None
        self.anomaly = False


STATE = _RecordingState()

# Unique ids of backward passes (parameters remember which pass their .grad belongs to).
PASS_IDS = itertools.count(1)


class _GroupFrame:
    """One entered group (one call of a composite op or module)."""

    __slots__ = ("__weakref__", "kind", "label", "n_params")

    def __init__(self, label: str, kind: str, n_params: int) -> None:
        self.label = label
        self.kind = kind
        self.n_params = n_params


class Graph:
    """A recorded computational graph: a DAG of op calls and leaves.

    Recording is cheap: a call adds one attribute dict and its in-edges to
    the graph's own tables. The :class:`networkx.DiGraph` is built from them
    when :attr:`nx` is first read (and brought up to date on each later
    read); its node and edge attribute dicts *are* the recorded ones, so
    what the backward engine writes afterwards shows in ``graph.nx`` at once.
    A training loop that never looks at ``graph.nx`` never pays for networkx.

    Parameters
    ----------
    name : str, optional
        A title for drawings.

    Examples
    --------
    >>> import numpy as np
    >>> import graphviz_autodiff as gad
    >>> from graphviz_autodiff.ops import Linear, Squared, Sum
    >>> X, y = np.ones((3, 2)), np.zeros(3)
    >>> with gad.Graph(name="demo") as g:
    ...     loss = Sum()(Squared()(Linear(2)(X), y))
    >>> sorted(g.nx.nodes[n]["label"] for n in g.nx)
    ['Linear', 'Squared', 'Sum', 'X', 'y', 'θ']
    """

    __slots__ = (
        "__weakref__",
        "_attrs",
        "_frames",
        "_groups",
        "_in_edges",
        "_leaves",
        "_manual_done",
        "_manual_pass",
        "_mapping",
        "_merged_into",
        "_next_id",
        "_nx",
        "_op_calls",
        "_synced",
        "name",
    )

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self._nx: nx.DiGraph | None = None  # built on the first read of .nx
        self._next_id = 0
        self._synced = 0  # nodes below this id are in self._nx already
        # node -> attribute dict; node -> {producer: edge attribute dict}
        self._attrs: dict[int, dict[str, Any]] = {}
        self._in_edges: dict[int, dict[int, dict[str, Any]]] = {}
        # id(obj) -> (weakref to the leaf object, node id): one node per leaf.
        self._leaves: dict[int, tuple[weakref.ref, int]] = {}
        # group frame -> group key, made on the first group recorded here.
        self._frames: weakref.WeakKeyDictionary | None = None
        self._groups: dict[str, dict[str, Any]] = {}
        # id(op) -> number of calls of that op recorded here.
        self._op_calls: dict[int, int] = {}
        self._merged_into: Graph | None = None
        self._mapping: dict[int, int] | None = None
        self._manual_pass = next(PASS_IDS)
        self._manual_done: set[int] = set()

    # -- public view -------------------------------------------------------
    @property
    def nx(self) -> nx.DiGraph:
        """The :class:`networkx.DiGraph` of this graph (read it, run algorithms on it).

        Node and edge attributes are documented in :mod:`graphviz_autodiff.graph`.
        """
        g = self.resolve()
        if g._nx is None:
            g._nx = nx.DiGraph()
        if g._synced != g._next_id:
            g._sync()
        return g._nx

    @property
    def groups(self) -> dict[str, dict[str, Any]]:
        """Groups (clusters) by key: ``{"label", "kind", "parent", "n_params"}``."""
        return self.resolve()._groups

    def __len__(self) -> int:
        return len(self.resolve()._attrs)

    def __repr__(self) -> str:
        g = self.resolve()
        title = f" {g.name!r}" if g.name else ""
        n_edges = sum(len(edges) for edges in g._in_edges.values())
        return f"<Graph{title}: {len(g._attrs)} nodes, {n_edges} edges>"

    def op_nodes(self) -> list[int]:
        """Node ids of op calls, in the order they were recorded."""
        attrs = self.resolve()._attrs
        return [n for n in sorted(attrs) if attrs[n]["kind"] == "op"]

    def topological_order(self) -> list[int]:
        """All node ids in a deterministic topological order (ties by node id)."""
        return list(nx.lexicographical_topological_sort(self.nx))

    def __enter__(self) -> Graph:
        STATE.context.append(self.resolve())
        return self

    def __exit__(self, *exc: object) -> None:
        STATE.context.pop()

    # -- networkx view -------------------------------------------------------
    def _sync(self) -> None:
        """Add the nodes and edges recorded since the last sync to ``self._nx``.

        Afterwards the recorded attribute dicts are networkx's own, so later
        writes land in both.
        """
        G = self._nx
        attrs = self._attrs
        new = sorted(n for n in attrs if n >= self._synced)
        for node in new:
            G.add_node(node)
            live = G.nodes[node]
            live.update(attrs[node])
            attrs[node] = live
        for node in new:
            edges = self._in_edges[node]
            for producer, data in edges.items():
                G.add_edge(producer, node)
                live = G.pred[node][producer]  # (G.edges would cache a view that makes a reference cycle)
                live.update(data)
                edges[producer] = live
        self._synced = self._next_id

    # -- merging -----------------------------------------------------------
    def resolve(self) -> Graph:
        """The graph that holds this graph's nodes now: itself, unless it was merged into another."""
        g = self
        while g._merged_into is not None:
            g = g._merged_into
        return g

    def _map_node(self, node: int) -> tuple[Graph, int]:
        """Follow merges: where node ``node`` of this graph lives now."""
        g = self
        while g._merged_into is not None:
            node = g._mapping[node]  # type: ignore[index]
            g = g._merged_into
        return g, node

    def _absorb(self, other: Graph) -> None:
        """Move every node of ``other`` into this graph (``other`` forwards here)."""
        mapping: dict[int, int] = {}
        for key, (ref, node) in other._leaves.items():
            mine = self._leaves.get(key)
            if mine is not None and _same_leaf(mine[0](), ref()):
                mapping[node] = mine[1]
        group_map: dict[str, str] = {}
        for key, info in other._groups.items():
            new_key = f"g{len(self._groups)}"
            group_map[key] = new_key
            self._groups[new_key] = dict(info, parent=group_map.get(info["parent"]))
        if other._frames is not None:
            if self._frames is None:
                self._frames = weakref.WeakKeyDictionary()
            for frame, key in list(other._frames.items()):
                self._frames[frame] = group_map[key]
        for node in sorted(other._attrs):
            if node not in mapping:
                mapping[node] = self._next_id
                self._next_id += 1
        for node in sorted(other._attrs):
            new = mapping[node]
            if new in self._attrs:
                continue  # a leaf both graphs share
            attrs = dict(other._attrs[node])
            attrs["groups"] = tuple(group_map[k] for k in attrs["groups"])
            self._attrs[new] = attrs
            self._in_edges[new] = {mapping[u]: dict(data) for u, data in other._in_edges[node].items()}
        for key, (ref, node) in other._leaves.items():
            if key not in self._leaves or self._leaves[key][0]() is None:
                self._leaves[key] = (ref, mapping[node])
        for key, count in other._op_calls.items():
            self._op_calls[key] = self._op_calls.get(key, 0) + count
        other._nx = None
        other._attrs, other._in_edges, other._leaves, other._groups = {}, {}, {}, {}
        other._merged_into = self
        other._mapping = mapping

    # -- recording (called by Differentiable.__call__) ----------------------
    def _new_node(self, attrs: dict[str, Any]) -> int:
        node = self._next_id
        self._next_id = node + 1
        self._attrs[node] = attrs
        self._in_edges[node] = {}
        return node

    def _leaf_node(self, obj: Any, leaf: Any, kind: str, label: str, value: Any) -> int:
        """The node of a leaf, created on its first use in this graph."""
        key = id(obj)
        entry = self._leaves.get(key)
        if entry is not None and entry[0]() is leaf:
            return entry[1]
        node = self._new_node(_leaf_attrs(kind, label, value))
        self._leaves[key] = (weakref.ref(leaf), node)
        return node

    def _group_keys(self) -> tuple[str, ...]:
        keys = []
        parent = None
        if self._frames is None:
            self._frames = weakref.WeakKeyDictionary()
        for frame in STATE.groups:
            key = self._frames.get(frame)
            if key is None:
                key = f"g{len(self._groups)}"
                self._groups[key] = {
                    "label": frame.label,
                    "kind": frame.kind,
                    "parent": parent,
                    "n_params": frame.n_params,
                }
                self._frames[frame] = key
            keys.append(key)
            parent = key
        return tuple(keys)

    def record_call(
        self,
        op: Any,
        arg_nodes: list[int | None],
        param_nodes: list[tuple[str, int]],
        value: Any,
    ) -> int:
        """Add the node of one op call and its incoming edges; return its id.

        ``arg_nodes[i]`` is the node that feeds argument ``i`` (``None`` when
        the argument is not recorded); ``param_nodes`` lists ``(attribute,
        node)`` for the parameters the op holds. Raises
        :class:`~graphviz_autodiff.errors.GraphCycleError` if a producer is
        not an earlier node of this graph (the result would not be a DAG).
        """
        node = self._next_id
        edges: dict[int, dict[str, Any]] = {}
        for position, producer in enumerate(arg_nodes):
            if producer is None:
                continue
            if producer not in self._attrs or producer >= node:
                raise GraphCycleError(
                    f"{type(op).__name__}: argument {position} comes from node {producer}, which is "
                    f"not an earlier node of this graph; recording it would not give a DAG."
                )
            edge = edges.get(producer)
            if edge is None:
                args = _SINGLE_ARGS[position] if position < len(_SINGLE_ARGS) else (position,)
                edges[producer] = {"args": args, "param": None, "grad": None}
            else:
                edge["args"] += (position,)
        for attr, producer in param_nodes:
            if producer not in edges:
                edges[producer] = {"args": (), "param": attr, "grad": None}
        key = id(op)
        call_index = self._op_calls.get(key, 0)
        self._op_calls[key] = call_index + 1
        attrs = _NODE_TEMPLATE.copy()
        op_class = type(op).__name__
        attrs["label"] = str(getattr(op, "name", None) or op_class)
        attrs["op"] = op
        attrs["op_class"] = op_class
        attrs["call_index"] = call_index
        attrs["value"] = value
        attrs["shape"] = value.shape
        attrs["dtype"] = value.dtype
        if STATE.groups:
            attrs["groups"] = self._group_keys()
        if STATE.anomaly:
            attrs["site"] = _call_site()
        self._attrs[node] = attrs
        self._in_edges[node] = edges
        self._next_id = node + 1
        STATE.last = weakref.ref(self)
        return node


def _same_leaf(a: Any, b: Any) -> bool:
    """Whether two leaf objects stand for the same value (one node after a merge)."""
    if a is None or b is None:
        return False
    # Raw arrays are wrapped in a fresh leaf tensor per graph: same array, same leaf.
    return a is b or (getattr(a, "_op", 0) is None and getattr(b, "_op", 0) is None and a.data is b.data)


# The ``args`` of an edge feeding one argument, shared by all such edges (one tuple each, not one per edge).
_SINGLE_ARGS = tuple((position,) for position in range(16))

# Every node's attributes, in the documented order; a node starts as a copy of this
# (copying a dict and setting the few keys that differ is twice as fast as a literal).
_NODE_TEMPLATE: dict[str, Any] = {
    "kind": "op",
    "label": "",
    "name": None,
    "op": None,
    "op_class": None,
    "call_index": None,
    "value": None,
    "shape": (),
    "dtype": None,
    "grad": None,
    "grads": None,
    "param_grads": None,
    "status": "forward",
    "error": None,
    "groups": (),
    "site": None,
}


def _leaf_attrs(kind: str, label: str, value: Any) -> dict[str, Any]:
    attrs = _NODE_TEMPLATE.copy()
    attrs["kind"] = kind
    attrs["label"] = label
    attrs["value"] = value
    attrs["shape"] = value.shape
    attrs["dtype"] = value.dtype
    return attrs


_PACKAGE_DIR = __file__.rsplit("/", 1)[0]


def _call_site() -> str | None:
    """``file:line`` of the first frame outside graphviz_autodiff."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return None
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def target_graph(graphs: list[Graph]) -> Graph:
    """The graph an op call records into, merging ``graphs`` if they differ."""
    if STATE.context:
        target = STATE.context[-1]
    elif graphs:
        target = graphs[0]
    else:
        return Graph()
    for g in graphs:
        if g is not target:
            target._absorb(g)
    return target


@contextmanager
def no_record() -> Iterator[None]:
    """Turn recording into networkx graphs off inside the block.

    Backward still works: each tensor keeps its link to the call that made it.
    Use it in training loops where no picture is wanted; it removes the cost
    of building the networkx graph.

    Examples
    --------
    >>> import numpy as np
    >>> import graphviz_autodiff as gad
    >>> from graphviz_autodiff.ops import Squared, Sum
    >>> with gad.no_record():
    ...     loss = Sum()(Squared()(np.array([1.0, 2.0]), np.zeros(2)))
    >>> loss.graph is None
    True
    """
    previous = STATE.recording
    STATE.recording = False
    try:
        yield
    finally:
        STATE.recording = previous


def is_recording() -> bool:
    """Whether op calls are currently recorded into networkx graphs."""
    return STATE.recording


def last_graph() -> Graph | None:
    """The graph of the most recent recorded op call, while it is alive."""
    g = STATE.last() if STATE.last is not None else None
    return g.resolve() if g is not None else None


@contextmanager
def group(label: str, *, kind: str = "group", n_params: int = 0) -> Iterator[None]:
    """Record the op calls inside the block as one named group (a cluster in drawings).

    Composite ops and :class:`graphviz_autodiff.nn.Module` use it; you can too.
    """
    frame = _GroupFrame(str(label), kind, n_params)
    STATE.groups.append(frame)
    try:
        yield
    finally:
        STATE.groups.pop()
