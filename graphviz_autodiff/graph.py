"""The recorded computational graph and the recording context.

A :class:`Graph` wraps a :class:`networkx.DiGraph` (``graph.nx``) whose nodes
are op *calls* and leaves (inputs, parameters, constants), and whose edges go
from a producer to the call that consumed it. The graph is written through
its public write API (:meth:`Graph.record_call`, :meth:`Graph.add_leaf`,
:meth:`Graph.begin_pass`, :meth:`Graph.write_step`, ...) by
:meth:`Differentiable.__call__ <graphviz_autodiff.Differentiable.__call__>`
and by the backward engine; it never computes anything itself.

Recording is compact: a call adds one tuple to the graph's table of rows, a
backward step one tuple to its list of events. The node and edge attribute
dicts documented below are built from them the first time someone reads
:attr:`Graph.nx` (or :attr:`Graph.groups`); from then on the graph is *live*:
each later write goes straight into those dicts, so a ``G = graph.nx`` kept
across the steps of a pass shows every step at once. A training loop that
never looks at a graph never pays for dicts or networkx.

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
  made them, so ``backward`` still works, but nothing enters a graph.

The recording switches (``with Graph()``, :func:`no_record`, :func:`group`,
anomaly mode) are per thread: see :mod:`graphviz_autodiff.context`.

Node attributes (``graph.nx.nodes[n]``)
---------------------------------------
kind : {"op", "input", "parameter", "constant"}
label : str -- the op's ``name`` or class name, or the leaf's name.
name : str or None -- the name of an op call's output tensor (``t.name``).
op : Differentiable or None -- the op instance (op nodes).
op_class : str or None -- the op's class name.
call_index : int or None -- 0 for the first call of this op instance in this
    graph, 1 for the second (weight sharing), ... (in node order).
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

import inspect
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

from .context import Mode, get_last, get_mode, reset_mode, set_last, set_mode
from .errors import GraphCycleError
from .i18n import Message

__all__ = ["Graph", "enter_group", "group", "is_recording", "last_graph", "leave_group", "no_record"]


class _GroupFrame:
    """One entered group (one call of a composite op or module).

    A module's parameter count is taken from the module when the graph is
    read (counting them on every call would cost more than recording it).
    """

    __slots__ = ("__weakref__", "kind", "label", "module", "n_params")

    def __init__(self, label: str, kind: str, n_params: int, module: Any = None) -> None:
        self.label = label
        self.kind = kind
        self.n_params = n_params
        self.module = module

    def count(self) -> int:
        """The number of trainable numbers of the group."""
        return self.n_params if self.module is None else self.module.n_params()


# Kinds of the events a backward pass writes (kept in order until ``graph.nx`` is read).
_BEGIN, _STEPS, _LEAVES, _RESET, _SET = range(5)

# The node attributes a backward pass writes, as they are before a pass and inside one.
_RESULT_KEYS = ("grad", "grads", "param_grads", "status", "error")
_PENDING = {"grad": None, "grads": None, "param_grads": None, "status": "pending", "error": None}


class _ManualPass:
    """The lecture's manual chain (``op.backward(g)`` by hand) in one graph: which calls it stepped, parameter sums."""

    __slots__ = ("done", "totals")

    def __init__(self) -> None:
        self.done: set[int] = set()
        self.totals: dict[int, tuple[Any, Any]] = {}


class Graph:
    """A recorded computational graph: a DAG of op calls and leaves.

    Recording is cheap: a call adds one row (a tuple) to the graph's table.
    The :class:`networkx.DiGraph` and its documented node and edge attribute
    dicts are built when :attr:`nx` is first read (and brought up to date on
    each later read); after that, what the backward engine writes shows in
    ``graph.nx`` at once.

    Parameters
    ----------
    name : str, optional
        A title for drawings.

    Attributes
    ----------
    name : str or None
        The title.
    merged_into : Graph or None
        The graph that absorbed this one when tensors of both met in one call
        (this one is then empty and forwards there: see :meth:`resolve`).

    Notes
    -----
    The write API (:meth:`record_call`, :meth:`add_leaf`, :meth:`add_constant`,
    :meth:`set_name`, :meth:`begin_pass`, :meth:`write_step`,
    :meth:`write_steps`, :meth:`finish_leaves` and the manual-chain methods)
    is what ``Differentiable.__call__`` and the engine use; tools that build
    graphs by hand may use it too.

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
        "_edges",
        "_frame_keys",
        "_groups",
        "_leaves",
        "_log",
        "_manual",
        "_mapping",
        "_names",
        "_nx",
        "_op_calls",
        "_ref",
        "_rows",
        "_synced",
        "merged_into",
        "name",
    )

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        # Row per node, in node order (node ids are list positions):
        #   ("op", op, value, args, params, group frames, site) for an op call, where args holds the
        #   producer node of each argument (None: not recorded) and params (attribute, node) pairs;
        #   (kind, label, value) for a leaf.
        self._rows: list[tuple] = []
        self._names: dict[int, str | None] = {}  # names given later (Tensor.name = ...)
        # id(key object) -> (weakref to the leaf object, node): one node per leaf.
        self._leaves: dict[int, tuple[weakref.ref, int]] = {}
        self._log: list[tuple] = []  # backward events not yet applied to the dicts
        # Built on the first read of .nx: the DiGraph, and its attribute dicts by node.
        self._nx: nx.DiGraph | None = None
        self._attrs: list[dict[str, Any]] = []
        self._edges: list[dict[int, dict[str, Any]]] = []
        self._synced = 0
        self._groups: dict[str, dict[str, Any]] = {}
        self._frame_keys: dict[_GroupFrame, str] = {}
        self._op_calls: dict[int, int] = {}
        self._manual: _ManualPass | None = None
        self.merged_into: Graph | None = None  # the graph that absorbed this one
        self._mapping: dict[int, int] | None = None
        self._ref = weakref.ref(self)

    # -- reading -------------------------------------------------------------
    @property
    def nx(self) -> nx.DiGraph:
        """The :class:`networkx.DiGraph` of this graph (read it, run algorithms on it).

        Node and edge attributes are documented in :mod:`graphviz_autodiff.graph`.
        """
        g: Graph = self.resolve()
        if g._nx is None:
            import networkx

            g._nx = networkx.DiGraph()
        if g._synced != len(g._rows):
            g._sync()
        if g._log:
            g._replay()
        return g._nx

    @property
    def groups(self) -> dict[str, dict[str, Any]]:
        """Groups (clusters) by key: ``{"label", "kind", "parent", "n_params"}``."""
        g: Graph = self.resolve()
        g.nx  # noqa: B018 - group keys are given in node order while the dicts are built
        return g._groups

    def __len__(self) -> int:
        g: Graph = self.resolve()
        return len(g._rows)

    def __repr__(self) -> str:
        g: Graph = self.resolve()
        title = f" {g.name!r}" if g.name else ""
        n_edges = sum(len(_producers(row)) for row in g._rows if row[0] == "op")
        return f"<Graph{title}: {len(g._rows)} nodes, {n_edges} edges>"

    def op_nodes(self) -> list[int]:
        """Node ids of op calls, in the order they were recorded."""
        g: Graph = self.resolve()
        return [n for n, row in enumerate(g._rows) if row[0] == "op"]

    def topological_order(self) -> list[int]:
        """All node ids in a deterministic topological order (ties by node id)."""
        import networkx

        return list(networkx.lexicographical_topological_sort(self.nx))

    def label(self, node: int) -> str | None:
        """The label node ``node`` is drawn with (a leaf's name, an op's ``name`` or class name)."""
        g, node = self.locate(node)
        if g is not self:
            return g.label(node)
        row = self._rows[node]
        if row[0] == "op":
            op = row[1]
            return str(getattr(op, "name", None) or type(op).__name__)
        return self._names[node] if node in self._names else row[1]

    def site(self, node: int) -> str | None:
        """``file:line`` where the call of node ``node`` was made (recorded under anomaly mode only)."""
        g, node = self.locate(node)
        if g is not self:
            return g.site(node)
        row = self._rows[node]
        return row[6] if row[0] == "op" else None

    def grad_of(self, node: int) -> Any:
        """The ``grad`` attribute of node ``node`` now (during a pass: the running sum)."""
        g, node = self.locate(node)
        return g.nx.nodes[node]["grad"]

    def __enter__(self) -> Graph:
        mode = get_mode()
        set_mode(mode.but(graphs=(*mode.graphs, self.resolve())))
        return self

    def __exit__(self, *exc: object) -> None:
        mode = get_mode()
        if mode.graphs:
            set_mode(mode.but(graphs=mode.graphs[:-1]))

    # -- merging -----------------------------------------------------------
    def resolve(self) -> Graph:
        """The graph that holds this graph's nodes now: itself, unless it was merged into another."""
        g: Graph = self
        while g.merged_into is not None:
            g = g.merged_into
        return g

    def locate(self, node: int | None) -> tuple[Graph, int | None]:
        """Where node ``node`` of this graph lives now: ``(graph, node)``, following merges."""
        g: Graph = self
        while g.merged_into is not None:
            node = g._mapping[node]  # type: ignore[index]
            g = g.merged_into
        return g, node

    @staticmethod
    def for_inputs(graphs: list[Graph]) -> Graph:
        """The graph an op call records into, given the graphs its inputs live in (merged if they differ).

        The graph of the innermost ``with Graph():`` block if there is one, else
        the first of ``graphs``, else a new graph.
        """
        context = get_mode().graphs
        if not context and not graphs:
            return Graph()
        target: Graph = context[-1].resolve() if context else graphs[0]
        for g in graphs:
            if g is not target:
                target._absorb(g)
        return target

    def _absorb(self, other: Graph) -> None:
        """Move every node of ``other`` into this graph (``other`` forwards here from now on)."""
        results = other._results() if other._log or other._nx is not None else []
        mapping: dict[int, int] = {}
        for key, (ref, node) in other._leaves.items():
            mine = self._leaves.get(key)
            if mine is not None and _same_leaf(mine[0](), ref()):
                mapping[node] = mine[1]
        shared = set(mapping)
        rows = self._rows
        for node, row in enumerate(other._rows):
            if node in shared:
                continue
            mapping[node] = len(rows)
            if row[0] == "op":
                args = tuple(None if u is None else mapping[u] for u in row[3])
                params = tuple((attr, mapping[u]) for attr, u in row[4])
                row = (row[0], row[1], row[2], args, params, row[5], row[6])
            rows.append(row)
        for node, name in other._names.items():
            if node not in shared:
                self._names[mapping[node]] = name
        for key, (ref, node) in other._leaves.items():
            if key not in self._leaves or self._leaves[key][0]() is None:
                self._leaves[key] = (ref, mapping[node])
        for node, fields, edge_grads in results:
            if node not in shared:
                moved = tuple((mapping[u], grad) for u, grad in edge_grads)
                self._write((_SET, mapping[node], fields, moved))
        other._rows, other._names, other._leaves, other._log = [], {}, {}, []
        other._nx, other._attrs, other._edges, other._synced = None, [], [], 0
        other.merged_into = self
        other._mapping = mapping

    def _results(self) -> list[tuple[int, dict[str, Any], tuple]]:
        """What backward passes wrote here, node by node (to carry it over a merge)."""
        self.nx  # noqa: B018 - builds the dicts and applies the events
        found = []
        for node, attrs in enumerate(self._attrs):
            edge_grads = tuple((u, e["grad"]) for u, e in self._edges[node].items() if e["grad"] is not None)
            found.append((node, {k: attrs[k] for k in _RESULT_KEYS}, edge_grads))
        return found

    # -- recording (Differentiable.__call__) ------------------------------------
    def record_call(
        self,
        op: Any,
        arg_nodes: Iterable[int | None],
        param_nodes: Iterable[tuple[str, int]],
        value: Any,
        mode: Mode | None = None,
    ) -> int:
        """Add the node of one op call and its incoming edges; return its id.

        Parameters
        ----------
        op : Differentiable
            The op called.
        arg_nodes : sequence of int or None
            The node that feeds each argument (``None`` when the argument
            is not recorded).
        param_nodes : sequence of (str, int)
            ``(attribute, node)`` for the parameters the op holds.
        value : numpy.ndarray
            What ``forward`` returned.
        mode : Mode, optional
            The recording mode of the call (its groups, anomaly mode); the
            current one if omitted.

        Raises
        ------
        GraphCycleError
            A producer is not an earlier node of this graph (the result would not be a DAG).
        """
        rows = self._rows
        node = len(rows)
        args = tuple(arg_nodes)
        for producer in args:
            if producer is not None and not 0 <= producer < node:
                position = args.index(producer)
                raise GraphCycleError(
                    Message("exc.cycle", {"op": type(op).__name__, "position": position, "node": producer})
                )
        if mode is None:
            mode = get_mode()
        rows.append(("op", op, value, args, tuple(param_nodes), mode.groups, _call_site() if mode.anomaly else None))
        if get_last() is not self._ref:
            set_last(self._ref)
        return node

    def add_leaf(self, leaf: Any, kind: str, label: str | None, value: Any, *, key: Any = None) -> int:
        """The node of a leaf (an input, a parameter), made on its first use in this graph.

        Parameters
        ----------
        leaf : Tensor or Parameter
            The leaf object (kept weakly: one node per leaf while it lives).
        kind : {"input", "parameter"}
        label : str
            The name drawn for it.
        value : numpy.ndarray
            Its value now.
        key : object, optional
            The object that identifies the leaf, if not ``leaf`` itself (a
            raw array wrapped into a leaf tensor is identified by the array).
        """
        ident = id(leaf if key is None else key)
        entry = self._leaves.get(ident)
        if entry is not None and entry[0]() is leaf:
            return entry[1]
        node = len(self._rows)
        self._rows.append((kind, label, value))
        self._leaves[ident] = (weakref.ref(leaf), node)
        return node

    def find_leaf(self, key: Any) -> tuple[Any, int] | None:
        """``(leaf, node)`` of the live leaf identified by ``key`` (see :meth:`add_leaf`), or ``None``."""
        entry = self._leaves.get(id(key))
        if entry is None:
            return None
        leaf = entry[0]()
        return None if leaf is None else (leaf, entry[1])

    def n_leaves(self) -> int:
        """How many leaf objects this graph has seen (inputs and parameters)."""
        return len(self._leaves)

    def add_constant(self, label: str, value: Any) -> int:
        """Add a constant leaf (a number an op was called with); return its node."""
        self._rows.append(("constant", label, value))
        return len(self._rows) - 1

    def set_name(self, node: int, name: str | None) -> None:
        """Name node ``node``: an op call's output name, or a leaf's label."""
        g, node = self.locate(node)
        if g is not self:
            g.set_name(node, name)
            return
        self._names[node] = name
        if node < self._synced:
            self._attrs[node]["name" if self._rows[node][0] == "op" else "label"] = name

    # -- backward results (the engine) -----------------------------------------
    def begin_pass(self, nodes: Iterable[int]) -> None:
        """A backward pass over the calls ``nodes`` starts: their results and their producers' become "pending"."""
        self._manual = None
        self._write((_BEGIN, tuple(nodes)))

    def write_step(
        self,
        node: int,
        upstream: Any,
        grads: tuple | None,
        param_grads: dict[str, Any],
        status: str,
        error: BaseException | None = None,
    ) -> None:
        """Write one backward step: the call's results, its in-edges' gradients, its producers' running sums.

        Parameters
        ----------
        node : int
            The call's node.
        upstream : numpy.ndarray or None
            dL/d(output) the call received.
        grads : tuple or None
            What its ``backward`` returned, per argument (``None``: failed or skipped).
        param_grads : dict
            ``{attribute: contribution or None}`` per parameter the op holds.
        status : {"done", "failed", "skipped"}
        error : Exception, optional
            Why the step failed.
        """
        text = None if error is None else f"{type(error).__name__}: {error}"
        self.write_steps([(node, upstream, grads, param_grads, status, text)])

    def write_steps(self, steps: list[tuple]) -> None:
        """Write backward steps in the order they ran, each ``(node, upstream, grads, param_grads, status, error)``.

        As :meth:`write_step`, with ``error`` the text of the error (``"ValueError: ..."``) or ``None``.
        The list is kept as given (do not change it afterwards).
        """
        event = (_STEPS, steps)
        if self._nx is None and len(self._log) < len(self._rows) + 64:
            self._log.append(event)  # the common case: nobody has read this graph (see _write)
        else:
            self._write(event)

    def finish_leaves(self, nodes: Iterable[int]) -> None:
        """Mark the leaves feeding the calls ``nodes`` "done" (a gradient reached them) or "skipped"."""
        self._write((_LEAVES, tuple(nodes)))

    def start_manual_step(self, node: int) -> None:
        """Before ``op.backward(g)`` called by hand on the call of ``node`` (the lecture's manual chain).

        Starts a new manual pass, with every result reset, when none is
        running or when ``node`` was already stepped in it.
        """
        manual = self._manual
        if manual is None or not manual.done or node in manual.done:
            self._manual = _ManualPass()
            self._write((_RESET, len(self._rows)))

    def end_manual_step(self, node: int) -> None:
        """After a successful manual step of ``node``."""
        if self._manual is not None:
            self._manual.done.add(node)

    def manual_sum(self, param: Any, contribution: Any) -> Any:
        """``param``'s gradient summed over the manual steps of this manual pass, with ``contribution`` added.

        A running sum continues only while ``param.grad`` is still the sum
        last returned (anything else that set it starts afresh).
        """
        if self._manual is None:
            self._manual = _ManualPass()
        totals = self._manual.totals
        entry = totals.get(id(param))
        if entry is not None and entry[0] is param and param.grad is entry[1]:
            contribution = entry[1] + contribution
        totals[id(param)] = (param, contribution)
        return contribution

    # -- the attribute dicts -------------------------------------------------------
    def _write(self, event: tuple) -> None:
        """Keep a backward event for later, or apply it now if the dicts exist."""
        if self._nx is None:
            log = self._log
            log.append(event)
            if len(log) > 2 * len(self._rows) + 64:  # passes repeated on a graph nobody reads: bound the log
                self.nx  # noqa: B018
        else:
            if self._synced != len(self._rows):
                self._sync()
            self._apply(event)

    def _replay(self) -> None:
        log, self._log = self._log, []
        for event in log:
            self._apply(event)

    def _sync(self) -> None:
        """Build the attribute dicts of the rows recorded since the last sync (they become networkx's own)."""
        G = self._nx
        rows, names = self._rows, self._names
        start, end = self._synced, len(rows)
        for node in range(start, end):
            G.add_node(node)
            live = G.nodes[node]
            live.update(self._node_attrs(node, rows[node], names))
            self._attrs.append(live)
        for node in range(start, end):
            edges = _edge_attrs(rows[node])
            for producer, data in edges.items():
                G.add_edge(producer, node)
                live = G.pred[node][producer]  # (G.edges would cache a view that makes a reference cycle)
                live.update(data)
                edges[producer] = live
            self._edges.append(edges)
        self._synced = end

    def _node_attrs(self, node: int, row: tuple, names: dict[int, str | None]) -> dict[str, Any]:
        attrs = _NODE_TEMPLATE.copy()
        value = row[2]
        if row[0] == "op":
            op = row[1]
            op_class = type(op).__name__
            attrs["label"] = str(getattr(op, "name", None) or op_class)
            attrs["name"] = names.get(node)
            attrs["op"] = op
            attrs["op_class"] = op_class
            calls = self._op_calls.get(id(op), 0)
            self._op_calls[id(op)] = calls + 1
            attrs["call_index"] = calls
            if row[5]:
                attrs["groups"] = self._group_keys(row[5])
            attrs["site"] = row[6]
        else:
            attrs["kind"] = row[0]
            attrs["label"] = names[node] if node in names else row[1]
        attrs["value"] = value
        attrs["shape"] = value.shape
        attrs["dtype"] = value.dtype
        return attrs

    def _group_keys(self, frames: tuple) -> tuple[str, ...]:
        keys = []
        parent = None
        for frame in frames:
            key = self._frame_keys.get(frame)
            if key is None:
                key = f"g{len(self._groups)}"
                self._groups[key] = {
                    "label": frame.label,
                    "kind": frame.kind,
                    "parent": parent,
                    "n_params": frame.count(),
                }
                self._frame_keys[frame] = key
            keys.append(key)
            parent = key
        return tuple(keys)

    def _apply(self, event: tuple) -> None:
        """Apply one backward event to the attribute dicts."""
        attrs, edges = self._attrs, self._edges
        kind = event[0]
        if kind == _STEPS:
            for node, upstream, grads, by_param, status, error in event[1]:
                mine = attrs[node]
                mine["grad"] = upstream
                mine["grads"] = grads
                mine["param_grads"] = by_param
                mine["status"] = status
                mine["error"] = error
                if grads is None:
                    continue
                for u, edge in edges[node].items():
                    flow = _flow(edge, grads, by_param)
                    edge["grad"] = flow
                    if flow is not None:
                        producer = attrs[u]
                        producer["grad"] = flow if producer["grad"] is None else producer["grad"] + flow
        elif kind == _BEGIN:
            for node in event[1]:
                attrs[node].update(_PENDING)
                for u, edge in edges[node].items():
                    edge["grad"] = None
                    attrs[u].update(_PENDING)
        elif kind == _LEAVES:
            for node in event[1]:
                for u in edges[node]:
                    producer = attrs[u]
                    if producer["kind"] != "op":
                        producer["status"] = "done" if producer["grad"] is not None else "skipped"
        elif kind == _RESET:
            for node in range(event[1]):
                attrs[node].update(_PENDING)
                for edge in edges[node].values():
                    edge["grad"] = None
        else:  # _SET: results carried over a merge
            _, node, fields, edge_grads = event
            attrs[node].update(fields)
            for u, grad in edge_grads:
                edges[node][u]["grad"] = grad


def _flow(edge: dict[str, Any], grads: tuple, by_param: dict[str, Any]) -> Any:
    """The gradient flowing back along ``edge``: its arguments' gradients summed, or its parameter's."""
    args = edge["args"]
    if len(args) == 1:
        return grads[args[0]]
    if not args:
        return by_param.get(edge["param"])
    flow = None
    for position in args:
        if grads[position] is not None:
            flow = grads[position] if flow is None else flow + grads[position]
    return flow


def _producers(row: tuple) -> set[int]:
    """The nodes an op row has in-edges from."""
    return {u for u in row[3] if u is not None} | {u for _, u in row[4]}


def _edge_attrs(row: tuple) -> dict[int, dict[str, Any]]:
    """The in-edges of a row, ``{producer: edge attributes}``, arguments first, then parameters."""
    if row[0] != "op":
        return {}
    edges: dict[int, dict[str, Any]] = {}
    for position, producer in enumerate(row[3]):
        if producer is None:
            continue
        edge = edges.get(producer)
        if edge is None:
            args = _SINGLE_ARGS[position] if position < len(_SINGLE_ARGS) else (position,)
            edges[producer] = {"args": args, "param": None, "grad": None}
        else:
            edge["args"] += (position,)
    for attr, producer in row[4]:
        if producer not in edges:
            edges[producer] = {"args": (), "param": attr, "grad": None}
    return edges


def _same_leaf(a: Any, b: Any) -> bool:
    """Whether two leaf objects stand for the same value (one node after a merge)."""
    if a is None or b is None:
        return False
    # Raw arrays are wrapped in a fresh leaf tensor per graph: same array, same leaf.
    return a is b or (getattr(a, "call", 0) is None and getattr(b, "call", 0) is None and a.data is b.data)


# The ``args`` of an edge feeding one argument, shared by all such edges (one tuple each, not one per edge).
_SINGLE_ARGS = tuple((position,) for position in range(16))

# Every node's attributes, in the documented order; a node starts as a copy of this.
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

_PACKAGE_DIR = __file__.rsplit("/", 1)[0]


def _call_site() -> str | None:
    """``file:line`` of the first frame outside graphviz_autodiff."""
    frame = outside_frame()
    return None if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


def outside_frame() -> Any:
    """The innermost stack frame of code outside graphviz_autodiff (the caller's), or ``None``."""
    frame = inspect.currentframe()
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return frame


@contextmanager
def no_record() -> Iterator[None]:
    """Turn recording into graphs off inside the block (in this thread).

    Backward still works: each tensor keeps its link to the call that made it.
    Use it in training loops where no picture is wanted; it removes the cost
    of recording.

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
    token = set_mode(get_mode().but(recording=False))
    try:
        yield
    finally:
        reset_mode(token)


def is_recording() -> bool:
    """Whether op calls are currently recorded into graphs (in this thread)."""
    return get_mode().recording


def last_graph() -> Graph | None:
    """The graph of the most recent recorded op call in this thread, while it is alive."""
    ref = get_last()
    g = ref() if ref is not None else None
    return g.resolve() if g is not None else None


@contextmanager
def group(label: str, *, kind: str = "group", n_params: int = 0) -> Iterator[None]:
    """Record the op calls inside the block as one named group (a cluster in drawings).

    Composite ops and :class:`graphviz_autodiff.nn.Module` use it; you can too.
    """
    token = enter_group(str(label), kind, n_params)
    try:
        yield
    finally:
        leave_group(token)


def enter_group(label: str, kind: str = "group", n_params: int = 0, *, module: Any = None) -> Any:
    """Start a group (what :func:`group` does on entry); return the token :func:`leave_group` takes.

    With ``module``, the group's parameter count is ``module.n_params()``,
    asked when the graph is read.
    """
    mode = get_mode()
    return set_mode(mode.but(groups=(*mode.groups, _GroupFrame(label, kind, n_params, module))))


#: End the group that :func:`enter_group` started (give it the token).
leave_group = reset_mode
