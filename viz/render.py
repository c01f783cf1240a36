"""Draw a recorded graph (``graph.nx``) as a :class:`graphviz.Digraph`.

:func:`render` reads only the networkx DAG and its node and edge attributes
(see :mod:`graphviz_autodiff.graph`); it never walks tensors or calls ops.
A :class:`~graphviz_autodiff.Graph` is drawn whole; a
:class:`~graphviz_autodiff.Tensor` as the part of its graph it depends on
(``nx.ancestors``).

What a drawing shows
--------------------
* Op nodes (rounded white boxes): the op's label, ``call k`` for the k-th
  call of a shared op, the output shape, the forward value and the upstream
  gradient ∂L/∂out. Inputs (blue boxes) and parameters (amber boxes with a
  double border) show their name, shape, value and gradient.
* A gradient that backward has not produced yet is drawn as a muted dash,
  never as 0.
* Edges go forward (producer → consumer) and carry the producer's shape and,
  after backward, the gradient flowing back along them (``← …``).
* Scalar constants (the ``2`` in ``2 * x``) are folded into the op's label
  with ``fold_constants=True`` (the default): ``Mul`` with a constant 2 is
  drawn as ``×2``, ``Add`` as ``+2``, ``Sub`` as ``−2`` (or ``2−``), ``Div``
  as ``÷2`` (or ``2÷``), ``Pow`` as ``^2`` (or ``2^``), any other op (or a
  renamed one) as ``Label(·, 2)``. With ``fold_constants=False`` they are
  small grey nodes.
* Groups (composite ops such as ``MSE``, modules, ``with gad.group(...)``)
  are clusters labelled with their parameter count; parameters used only
  inside a group are drawn inside it, data inputs outside.

Node and edge ids are stable: graph node ``3`` is the DOT node ``n3`` (the
SVG ``<title>``) with ``id="node3"``; a collapsed group ``g0`` is the DOT node
``g0`` with ``id="group_g0"``; clusters have ``id="cluster_g0"``; edges have
``id="edge_n0_n2"``. Every node's ``class`` holds its state and kind
(``"current op"``), so a browser can select ``svg g.node.current``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import graphviz
import networkx as nx
import numpy as np

from graphviz_autodiff.debug import KINDS
from graphviz_autodiff.graph import Graph
from graphviz_autodiff.tensor import Tensor

from ._graphviz import run_dot
from .labels import LANGS, array_norm, core_text, escape, font, format_scalar, format_value, heatmap_table, text
from .labels import wrap as wrap_text
from .themes import Theme, get_theme, scale_colour

__all__ = ["OVERLAYS", "RANKDIRS", "REPORT_KINDS", "STATES", "Diagram", "render", "to_dot"]

STATES = ("pending", "current", "done", "failed", "nonfinite")
OVERLAYS = ("grad_norm", "magnitude", "nonfinite")
RANKDIRS = ("LR", "TB", "RL", "BT")
REPORT_KINDS = KINDS  # the debugger's verdicts (graphviz_autodiff.debug.KINDS)
_STATE_RANK = {"forward": 0, "pending": 1, "done": 2, "current": 3, "nonfinite": 4, "failed": 5}
_PEN = {"forward": 1.0, "pending": 0.8, "current": 2.2, "done": 1.2, "failed": 2.0, "nonfinite": 2.0}
_SYMBOLS = {"Mul": ("×", "×"), "Add": ("+", "+"), "Sub": ("−", "−"), "Div": ("÷", "÷"), "Pow": ("^", "^")}


class Diagram(graphviz.Digraph):
    """The :class:`graphviz.Digraph` that :func:`render` returns.

    It is a plain ``Digraph`` (``.source``, ``.pipe()``, ``.render()`` work as
    usual) whose Jupyter display goes through :func:`viz._graphviz.run_dot`:
    it honours ``timeout`` and raises
    :class:`~viz._graphviz.GraphvizNotFoundError` with install instructions
    when ``dot`` is missing.
    """

    def __init__(self, *args: Any, timeout: float | None = 30.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timeout = timeout

    def _copy_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        copied = super()._copy_kwargs(**kwargs)  # graphviz's own chain drops unknown keywords
        copied["timeout"] = self.timeout
        return copied

    def _repr_image_svg_xml(self) -> str:
        return run_dot(self.source, "svg", timeout=self.timeout).decode("utf-8")

    def _repr_image_png(self) -> bytes:
        return run_dot(self.source, "png", timeout=self.timeout)

    def _repr_image_jpeg(self) -> bytes:
        return run_dot(self.source, "jpeg", timeout=self.timeout)


@dataclass(frozen=True)
class _Options:
    theme: Theme
    rankdir: str
    precision: int
    max_array: int
    heatmap: bool
    show_edge_grads: bool
    show_shapes: bool
    overlay: str | None
    only_grad_path: bool
    collapse: int | None
    legend: bool
    states: dict[int, str]
    report: Any
    fold_constants: bool
    lang: str
    title: str | None
    max_nodes: int | None
    timeout: float | None


@dataclass
class _Unit:
    """One drawn node: a graph node, or a collapsed group."""

    name: str  # DOT node name
    kind: str
    header: str  # escaped HTML
    tag: str = ""  # escaped HTML, muted, after the header
    var: str = ""  # the value's name in keys (z, θ, out)
    value: Any = None
    grad: Any = None  # None: not computed yet
    shape: tuple | None = None
    dtype: str = "float64"
    state: str = "forward"
    notes: list[str] = field(default_factory=list)  # escaped HTML rows (errors, report)
    cluster: tuple[str, ...] = ()
    order: int = 0
    node: int | None = None  # the graph node whose value and gradient are shown


def render(
    graph_or_tensor: Graph | Tensor,
    *,
    theme: str | Theme = "lecture",
    rankdir: str = "LR",
    precision: int = 4,
    max_array: int = 6,
    heatmap: bool = False,
    show_edge_grads: bool = True,
    show_shapes: bool = True,
    overlay: str | None = None,
    only_grad_path: bool = False,
    collapse: bool | int = False,
    legend: bool = False,
    states: Mapping[int | str, str] | None = None,
    report: Any = None,
    fold_constants: bool = True,
    lang: str = "en",
    title: str | None = None,
    max_nodes: int | None = 500,
    timeout: float | None = 30.0,
) -> Diagram:
    """Draw a recorded graph, or the part of it a tensor depends on.

    Parameters
    ----------
    graph_or_tensor : Graph or Tensor
        A :class:`~graphviz_autodiff.Graph` is drawn whole; a
        :class:`~graphviz_autodiff.Tensor` as itself and its ancestors.
    theme : {"lecture", "compact", "dark", "print"} or Theme
        Fonts, sizes and colours (see :mod:`viz.themes`).
    rankdir : {"LR", "TB", "RL", "BT"}
        Direction of the forward pass (left to right by default).
    precision : int, default 4
        Significant digits of numbers (1 to 17).
    max_array : int, default 6
        Arrays with at most this many elements are written in full; larger
        ones as ``min · mean · max`` (plus NaN/Inf counts).
    heatmap : bool
        Also draw each array value and gradient as a small heat-map (a table
        of coloured cells; blue negative, red positive).
    show_edge_grads : bool
        Write on each edge the gradient flowing back along it (``← …``).
    show_shapes : bool
        Write shapes on nodes and edges.
    overlay : {None, "grad_norm", "magnitude", "nonfinite"}
        Colour nodes by the norm of their gradient, by the largest ``|value|``
        (both on a log scale), or by whether value or gradient holds NaN/Inf;
        the legend (if on) shows the colour bar.
    only_grad_path : bool
        Hide nodes that no gradient reached (after a backward pass).
    collapse : bool or int
        ``True`` draws every top-level group as one node; an int ``d``
        collapses the groups nested ``d`` deep (``0`` is the same as ``True``).
    legend : bool
        Add a legend (node kinds, states, gradient notation, overlay colour bar)
        at the bottom; the title then becomes its first line.
    states : dict, optional
        ``{node id: state}`` with states among ``"pending", "current", "done",
        "failed", "nonfinite"``; overrides the state read from the node's
        ``status`` attribute (and from ``report``).
    report : object, optional
        A gradient-check report: ``report.nodes`` is a list of records with
        ``.node`` (node id or None), ``.kind`` (``"ok"``, ``"wrong_gradient"``,
        ``"shape"``, ``"nonfinite_forward"``, ``"nonfinite_backward"``,
        ``"exception"``, ``"no_gradient"``, ``"reuse"``), ``.diagnosis``,
        ``.max_rel_error`` and optionally ``.message``. Failing nodes are drawn
        as failed, with the error on them.
    fold_constants : bool, default True
        Fold scalar constants into the op's label (``×2``) instead of drawing
        them as nodes.
    lang : {"en", "ru"}
        Language of the legend and of the few words on nodes.
    title : str, optional
        A title (defaults to the graph's ``name``).
    max_nodes : int or None, default 500
        Above this many nodes, warn (:class:`UserWarning`); if collapsing the
        groups brings the drawing under the limit, draw it collapsed. ``None``
        turns the check off.
    timeout : float or None, default 30
        Seconds Graphviz may take when the diagram is displayed or exported.

    Returns
    -------
    Diagram
        A :class:`graphviz.Digraph`; it displays inline in Jupyter.

    Raises
    ------
    TypeError
        ``graph_or_tensor`` is neither a Graph nor a Tensor.
    ValueError
        An option has a value outside its allowed set (the message lists them),
        or the tensor was not recorded in a graph.

    Examples
    --------
    >>> import numpy as np
    >>> import viz
    >>> from graphviz_autodiff.ops import Identity, Linear, Squared, Sum
    >>> X, y = np.ones((3, 2)), np.zeros(3)
    >>> L = Sum()(Squared()(Identity()(Linear(2)(X)), y))
    >>> L.backward()
    >>> dot = viz.render(L, theme="compact")
    >>> "n0" in dot.source and "∂L/∂" in dot.source
    True
    """
    opts = _validate(
        theme=theme,
        rankdir=rankdir,
        precision=precision,
        max_array=max_array,
        heatmap=heatmap,
        show_edge_grads=show_edge_grads,
        show_shapes=show_shapes,
        overlay=overlay,
        only_grad_path=only_grad_path,
        collapse=collapse,
        legend=legend,
        states=states,
        report=report,
        fold_constants=fold_constants,
        lang=lang,
        title=title,
        max_nodes=max_nodes,
        timeout=timeout,
    )
    graph, nodes = _select(graph_or_tensor)
    return _Builder(graph, nodes, opts).build()


def to_dot(graph_or_tensor: Graph | Tensor, **options: Any) -> str:
    """The DOT source of :func:`render` with the same options (deterministic).

    Examples
    --------
    >>> import numpy as np
    >>> from graphviz_autodiff.ops import Sum
    >>> to_dot(Sum()(np.ones(3))).startswith("digraph")
    True
    """
    return render(graph_or_tensor, **options).source


# -- options ------------------------------------------------------------------------------------------
def _choice(option: str, value: Any, allowed: tuple) -> None:
    if value not in allowed:
        raise ValueError(f"render: {option} must be one of {', '.join(map(repr, allowed))}, got {value!r}")


def _flag(option: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"render: {option} must be True or False, got {value!r}")
    return bool(value)


def _int(option: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"render: {option} must be an int >= {low}, got {value!r}")
    if high is not None and value > high:
        raise ValueError(f"render: {option} must be an int between {low} and {high}, got {value!r}")
    return int(value)


def _validate(**o: Any) -> _Options:
    theme = get_theme(o["theme"])
    _choice("rankdir", o["rankdir"], RANKDIRS)
    _choice("overlay", o["overlay"], (None, *OVERLAYS))
    _choice("lang", o["lang"], LANGS)
    collapse = o["collapse"]
    if collapse is True:
        depth = 0
    elif collapse is False or collapse is None:
        depth = None
    else:
        depth = _int("collapse", collapse, 0)
    max_nodes = None if o["max_nodes"] is None else _int("max_nodes", o["max_nodes"], 1)
    timeout = o["timeout"]
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ValueError(f"render: timeout must be a positive number of seconds or None, got {timeout!r}")
    title = o["title"]
    if title is not None and not isinstance(title, str):
        raise ValueError(f"render: title must be a str or None, got {type(title).__name__}")
    report = o["report"]
    if report is not None and not hasattr(report, "nodes"):
        raise ValueError(
            f"render: report must have a .nodes list of records (.node, .kind, .diagnosis, .max_rel_error), "
            f"got {type(report).__name__}"
        )
    return _Options(
        theme=theme,
        rankdir=o["rankdir"],
        precision=_int("precision", o["precision"], 1, 17),
        max_array=_int("max_array", o["max_array"], 0),
        heatmap=_flag("heatmap", o["heatmap"]),
        show_edge_grads=_flag("show_edge_grads", o["show_edge_grads"]),
        show_shapes=_flag("show_shapes", o["show_shapes"]),
        overlay=o["overlay"],
        only_grad_path=_flag("only_grad_path", o["only_grad_path"]),
        collapse=depth,
        legend=_flag("legend", o["legend"]),
        states=_validate_states(o["states"]),
        report=report,
        fold_constants=_flag("fold_constants", o["fold_constants"]),
        lang=o["lang"],
        title=title,
        max_nodes=max_nodes,
        timeout=None if timeout is None else float(timeout),
    )


def _node_id(key: Any) -> int | None:
    """A graph node id from an int or a DOT name like ``"n3"`` (``None`` if neither)."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
        return int(key)
    if isinstance(key, str) and key[:1] == "n" and key[1:].isdigit():
        return int(key[1:])
    return None


def _validate_states(states: Mapping | None) -> dict[int, str]:
    if states is None:
        return {}
    if not isinstance(states, Mapping):
        raise ValueError(f"render: states must be a dict {{node id: state}}, got {type(states).__name__}")
    out = {}
    for key, state in states.items():
        node = _node_id(key)
        if node is None:
            raise ValueError(f"render: states keys must be graph node ids (3 or 'n3'), got {key!r}")
        _choice(f"states[{key!r}]", state, STATES)
        out[node] = state
    return out


# -- what to draw ---------------------------------------------------------------------------------------
def _select(graph_or_tensor: Any) -> tuple[Graph, list[int]]:
    if isinstance(graph_or_tensor, Graph):
        graph = graph_or_tensor
        return graph, sorted(graph.nx)
    if isinstance(graph_or_tensor, Tensor):
        graph = graph_or_tensor.graph
        node = graph_or_tensor.node
        if graph is None or node is None or node not in graph.nx:
            raise ValueError(
                "render: this tensor is not part of a recorded graph (it was made under no_record(), or it is a "
                "leaf no op has used yet); draw a tensor computed by ops, or its Graph."
            )
        return graph, sorted(nx.ancestors(graph.nx, node) | {node})
    raise TypeError(
        f"render: expected a graphviz_autodiff Graph or Tensor, got {type(graph_or_tensor).__name__}"
        + (
            " (a Parameter is drawn as part of the graph of an op that uses it)"
            if hasattr(graph_or_tensor, "grad")
            else ""
        )
    )


def _nonfinite(a: Any) -> bool:
    if a is None:
        return False
    a = np.asarray(a)
    return a.dtype.kind in "fc" and not np.isfinite(a).all()


class _Builder:
    """Turns the selected part of ``graph.nx`` into a :class:`Diagram` (one use)."""

    def __init__(self, graph: Graph, nodes: list[int], opts: _Options) -> None:
        self.graph = graph
        self.G = graph.nx
        self.opts = opts
        self.theme = opts.theme
        self.nodes = nodes
        self.folded: dict[int, list[tuple[int, str]]] = {}
        self.grads: dict[int, Any] = {}
        self.state: dict[int, str] = {}
        self.notes: dict[int, list[str]] = {}
        self.scale: tuple[float, float] | None = None

    # -- selection ---------------------------------------------------------------------------------
    def build(self) -> Diagram:
        if self.opts.fold_constants:
            self._fold()
        for n in self.nodes:
            self.grads[n] = self._known_grad(n)
        if self.opts.only_grad_path:
            self._only_grad_path()
        self._states()
        paths = self._paths()
        depth = self._guard(paths, self.opts.collapse)
        units, rep = self._units(paths, depth)
        metrics = self._overlay_metrics(units)
        dg = Diagram(name="computational_graph", timeout=self.opts.timeout)
        self._graph_attrs(dg)
        self._emit(dg, units, metrics)
        self._edges(dg, units, rep)
        return dg

    def _fold(self) -> None:
        G = self.G
        keep = []
        selected = set(self.nodes)
        for n in self.nodes:
            attrs = G.nodes[n]
            succ = [v for v in G.successors(n) if v in selected]
            if attrs["kind"] == "constant" and len(succ) == 1 and not G.in_degree(n):
                v = succ[0]
                text_value = " ".join(format_value(attrs["value"], self.opts.precision, 1, self.opts.lang))
                for position in G.edges[n, v]["args"] or (0,):
                    self.folded.setdefault(v, []).append((position, text_value))
                continue
            keep.append(n)
        self.nodes = keep

    def _known_grad(self, n: int) -> Any:
        """The node's gradient if backward has completed it, else ``None``."""
        G = self.G
        attrs = G.nodes[n]
        grad = attrs["grad"]
        if grad is None:
            return None
        status = attrs["status"]
        if attrs["kind"] == "op":
            return grad if status in ("done", "failed") else None
        if status in ("pending", "forward") and any(G.nodes[s]["status"] == "pending" for s in G.successors(n)):
            return None  # a leaf whose consumers have not all sent their gradient yet
        return grad

    def _only_grad_path(self) -> None:
        G = self.G
        reached = [
            n for n in self.nodes if G.nodes[n]["grad"] is not None or G.nodes[n]["status"] in ("done", "failed")
        ]
        if not reached:
            warnings.warn(
                "render: only_grad_path=True but no gradient has reached any node yet (run backward first); "
                "drawing every node.",
                UserWarning,
                stacklevel=4,
            )
            return
        self.nodes = reached

    def _states(self) -> None:
        G = self.G
        for n in self.nodes:
            attrs = G.nodes[n]
            status = attrs["status"]
            if status == "failed":
                state = "failed"
            elif _nonfinite(attrs["value"]) or _nonfinite(self.grads[n]):
                state = "nonfinite"
            elif status in ("pending", "skipped"):
                state = "done" if attrs["kind"] != "op" and self.grads[n] is not None else "pending"
            elif status == "done":
                state = "done"
            else:
                state = "forward"
            self.state[n] = state
            if attrs.get("error"):
                self.notes.setdefault(n, []).extend(self._error_rows(attrs["error"]))
        self._apply_report()
        selected = set(self.nodes)
        for n, state in self.opts.states.items():
            if n in selected:
                self.state[n] = state

    def _apply_report(self) -> None:
        report = self.opts.report
        if report is None:
            return
        selected = set(self.nodes)
        for record in report.nodes:
            n = _node_id(getattr(record, "node", None))
            if n is None or n not in selected:
                continue
            kind = str(getattr(record, "kind", "ok"))
            if kind != "ok":
                new = "nonfinite" if kind.startswith("nonfinite") else "failed"
                if _STATE_RANK[new] > _STATE_RANK[self.state[n]]:
                    self.state[n] = new
            self.notes.setdefault(n, []).extend(self._report_rows(record, kind))

    def _error_rows(self, error: str) -> list[str]:
        t = self.theme
        lines = [escape(line) for line in wrap_text("✗ " + str(error), 44, 4)]
        return [font('<BR ALIGN="LEFT"/>'.join(lines), colour=t.failed, size=t.small_fontsize)]

    def _report_rows(self, record: Any, kind: str) -> list[str]:
        t = self.theme
        lang = self.opts.lang
        ok = kind == "ok"
        head = ("✓ " if ok else "✗ ") + core_text(f"kind.{kind}", lang, kind)
        err = getattr(record, "max_rel_error", None)
        if err is not None:
            head += f" · {text('rel_error', lang)} {format_scalar(float(err), 2)}"
        lines = [escape(head)]
        if not ok:
            diagnosis = getattr(record, "diagnosis", None)
            if diagnosis:
                lines.extend(
                    escape(line) for line in wrap_text(core_text(f"diag.{diagnosis}", lang, str(diagnosis)), 44, 2)
                )
            message = getattr(record, "message", None)
            if message:
                lines.extend(escape(line) for line in wrap_text(str(message), 44, 3))
        colour = t.done if ok else t.failed
        return [font('<BR ALIGN="LEFT"/>'.join(lines), colour=colour, size=t.small_fontsize)]

    def _paths(self) -> dict[int, tuple[str, ...]]:
        """Cluster path (group keys, outermost first) of every selected node."""
        G = self.G
        groups = self.graph.groups
        paths: dict[int, tuple[str, ...]] = {}
        selected = set(self.nodes)
        for n in self.nodes:
            attrs = G.nodes[n]
            if attrs["kind"] == "op":
                paths[n] = tuple(k for k in attrs["groups"] if k in groups)
        for n in self.nodes:
            if n in paths:
                continue
            if G.nodes[n]["kind"] in ("parameter", "constant"):
                consumers = [paths[v] for v in sorted(G.successors(n)) if v in selected and v in paths]
                paths[n] = _common_prefix(consumers) if consumers else ()
            else:
                paths[n] = ()
        return paths

    def _guard(self, paths: dict[int, tuple[str, ...]], depth: int | None) -> int | None:
        limit = self.opts.max_nodes
        count = self._count(paths, depth)
        if limit is None or count <= limit:
            return depth
        advice = (
            f"render: {count} nodes to draw, more than max_nodes={limit}; a drawing this big is slow and hard to "
            f"read. Pass collapse=True to draw each group as one node, render a tensor to draw only what it "
            f"depends on, or only_grad_path=True; max_nodes=None turns this check off."
        )
        if depth is None and any(paths.values()):
            collapsed = self._count(paths, 0)
            if collapsed <= limit:
                warnings.warn(
                    advice + f" Drawing the collapsed view ({collapsed} nodes) instead.", UserWarning, stacklevel=4
                )
                return 0
        warnings.warn(advice + " Drawing all of it.", UserWarning, stacklevel=4)
        return depth

    def _count(self, paths: dict[int, tuple[str, ...]], depth: int | None) -> int:
        if depth is None:
            return len(self.nodes)
        return len({paths[n][depth] if len(paths[n]) > depth else n for n in self.nodes})

    # -- units (drawn nodes) ------------------------------------------------------------------------------
    def _units(self, paths: dict, depth: int | None) -> tuple[dict[Any, _Unit], dict[int, Any]]:
        rep: dict[int, Any] = {}
        members: dict[str, list[int]] = {}
        units: dict[Any, _Unit] = {}
        for order, n in enumerate(self.nodes):
            path = paths[n]
            if depth is not None and len(path) > depth:
                key = path[depth]
                rep[n] = key
                if key not in members:
                    members[key] = []
                    units[key] = _Unit(name=key, kind="group", header="", cluster=path[:depth], order=order)
                members[key].append(n)
            else:
                rep[n] = n
                units[n] = self._node_unit(n, paths[n], order)
        for key, inside in members.items():
            self._group_unit(units[key], key, inside, rep)
        return units, rep

    def _node_unit(self, n: int, path: tuple[str, ...], order: int) -> _Unit:
        attrs = self.G.nodes[n]
        kind = attrs["kind"]
        lang = self.opts.lang
        if kind == "op":
            label = str(attrs["label"])
            header = escape(self._op_header(n, label, attrs))
            tag = text("call", lang, n=attrs["call_index"] + 1) if attrs.get("call_index") else ""
            var = attrs["name"] or text("out", lang)
        else:
            label = str(attrs["label"])
            header = escape(label)
            tag = text(kind, lang) if kind in ("input", "parameter") else ""
            var = label
        return _Unit(
            name=f"n{n}",
            kind=kind,
            header=header,
            tag=escape(tag),
            var=str(var),
            value=attrs["value"],
            grad=self.grads[n],
            shape=attrs["shape"],
            dtype=attrs["dtype"],
            state=self.state[n],
            notes=self.notes.get(n, []),
            cluster=path,
            order=order,
            node=n,
        )

    def _op_header(self, n: int, label: str, attrs: dict) -> str:
        consts = self.folded.get(n)
        if not consts:
            return label
        op_class = attrs["op_class"]
        n_args = 1 + max(
            [p for p, _ in consts] + [p for u in self.G.predecessors(n) for p in self.G.edges[u, n]["args"]]
        )
        if len(consts) == 1 and n_args == 2 and label == op_class and op_class in _SYMBOLS:
            position, value = consts[0]
            symbol = _SYMBOLS[op_class][position]
            return f"{symbol}{value}" if position == 1 or op_class in ("Mul", "Add") else f"{value}{symbol}"
        args = ["·"] * n_args
        for position, value in consts:
            args[position] = value
        return f"{label}({', '.join(args)})"

    def _group_unit(self, unit: _Unit, key: str, inside: list[int], rep: dict[int, Any]) -> None:
        G = self.G
        info = self.graph.groups.get(key, {})
        lang = self.opts.lang
        label = str(info.get("label", key))
        unit.header = escape(label)
        kind = str(info.get("kind", ""))
        n_params = int(info.get("n_params", 0) or 0)
        tags = [kind] if kind and kind != label and kind != "group" else []
        tags.append(_params_text(n_params, lang))
        unit.tag = escape(" · ".join(tags))
        states = [self.state[n] for n in inside]
        unit.state = _group_state(states)
        outputs = [
            n for n in inside if G.nodes[n]["kind"] == "op" and not any(rep.get(v, v) == key for v in G.successors(n))
        ]
        if len(outputs) == 1:
            out = outputs[0]
            attrs = G.nodes[out]
            unit.node = out
            unit.var = attrs["name"] or text("out", lang)
            unit.value = attrs["value"]
            unit.grad = self.grads[out]
            unit.shape = attrs["shape"]
            unit.dtype = attrs["dtype"]
        for n in inside:
            unit.notes.extend(self.notes.get(n, []))

    # -- DOT ----------------------------------------------------------------------------------------------
    def _graph_attrs(self, dg: Diagram) -> None:
        t = self.theme
        dg.attr(
            "graph",
            rankdir=self.opts.rankdir,
            bgcolor=t.background,
            fontname=t.fontname,
            fontsize=f"{t.fontsize:g}",
            fontcolor=t.text,
            nodesep=f"{t.nodesep:g}",
            ranksep=f"{t.ranksep:g}",
            pad="0.2",
            newrank="true",
            outputorder="edgesfirst",
        )
        dg.attr(
            "node",
            fontname=t.fontname,
            fontsize=f"{t.value_fontsize:g}",
            fontcolor=t.text,
            shape="box",
            margin="0.1,0.06",
            penwidth=f"{t.penwidth:g}",
        )
        dg.attr(
            "edge",
            fontname=t.fontname,
            fontsize=f"{t.edge_fontsize:g}",
            fontcolor=t.muted,
            color=t.edge,
            arrowsize="0.7",
            penwidth=f"{t.penwidth * 0.9:g}",
        )
        caption = self._caption()
        if caption:
            dg.attr("graph", label=caption, labelloc="b" if self.opts.legend else "t", labeljust="c")

    def _emit(self, dg: Diagram, units: dict[Any, _Unit], metrics: dict[str, str]) -> None:
        members: dict[str | None, list[_Unit]] = {}
        children: dict[str | None, list[str]] = {}
        groups = self.graph.groups
        order = {key: i for i, key in enumerate(groups)}
        for unit in sorted(units.values(), key=lambda u: u.order):
            path = unit.cluster
            members.setdefault(path[-1] if path else None, []).append(unit)
            for i, key in enumerate(path):
                parent = path[i - 1] if i else None
                siblings = children.setdefault(parent, [])
                if key not in siblings:
                    siblings.append(key)
        for siblings in children.values():
            siblings.sort(key=lambda k: order.get(k, len(order)))
        self._emit_level(dg, None, members, children, metrics)

    def _emit_level(self, dg: Any, key: str | None, members: dict, children: dict, metrics: dict) -> None:
        for unit in members.get(key, []):
            dg.node(unit.name, **self._node_attrs(unit, metrics.get(unit.name)))
        for child in children.get(key, []):
            with dg.subgraph(name=f"cluster_{child}") as sub:
                sub.attr(**self._cluster_attrs(child))
                self._emit_level(sub, child, members, children, metrics)

    def _cluster_attrs(self, key: str) -> dict[str, str]:
        t = self.theme
        info = self.graph.groups.get(key, {})
        label = escape(info.get("label", key))
        n_params = int(info.get("n_params", 0) or 0)
        tag = font(escape(_params_text(n_params, self.opts.lang)), colour=t.muted, size=t.small_fontsize)
        return {
            "label": f"<{font('<B>' + label + '</B>', size=t.fontsize * 0.85)}  {tag}>",
            "id": f"cluster_{key}",
            "class": "group",
            "style": "rounded,filled,dashed",
            "fillcolor": t.cluster_fill,
            "color": t.cluster_border,
            "fontcolor": t.text,
            "labeljust": "l",
            "penwidth": "1",
        }

    def _node_attrs(self, unit: _Unit, metric_colour: str | None) -> dict[str, str]:
        t = self.theme
        state = unit.state
        kind = unit.kind
        fill = {
            "input": t.input_fill,
            "parameter": t.parameter_fill,
            "op": t.op_fill,
            "constant": t.constant_fill,
            "group": t.group_fill,
        }.get(kind, t.op_fill)
        fill = {"current": t.current_fill, "failed": t.failed_fill, "nonfinite": t.nonfinite_fill}.get(state, fill)
        if metric_colour is not None:
            fill = metric_colour
        style = ["filled"]
        if kind in ("op", "constant"):
            style.append("rounded")
        if state == "pending":
            style.append("dashed")
        colour = {
            "forward": t.border,
            "pending": t.pending,
            "current": t.current,
            "done": t.done,
            "failed": t.failed,
            "nonfinite": t.nonfinite,
        }[state]
        attrs = {
            "label": self._label(unit),
            "id": f"node{unit.name[1:]}" if kind != "group" else f"group_{unit.name}",
            "class": f"{state} {kind}",
            "shape": "box3d" if kind == "group" else "box",
            "style": ",".join(style),
            "fillcolor": fill,
            "color": colour,
            "penwidth": f"{t.penwidth * _PEN[state]:g}",
        }
        if kind == "parameter":
            attrs["peripheries"] = "2"
        if state == "pending":
            attrs["fontcolor"] = t.muted
        return attrs

    # -- labels ---------------------------------------------------------------------------------------
    def _label(self, unit: _Unit) -> str:
        t = self.theme
        o = self.opts
        if unit.kind == "constant":
            body = '<BR ALIGN="LEFT"/>'.join(format_value(unit.value, o.precision, o.max_array, o.lang))
            return f"<{font(body, face=t.value_fontname)}>"
        rows = []
        head = font(f"<B>{unit.header}</B>", size=t.fontsize)
        if unit.tag:
            head += " " + font(unit.tag, colour=t.muted, size=t.small_fontsize)
        rows.append(f'<TR><TD COLSPAN="2">{head}</TD></TR>')
        if o.show_shapes and unit.shape is not None:
            shape = font(escape(self._shape_text(unit.shape, unit.dtype)), colour=t.muted, size=t.small_fontsize)
            rows.append(f'<TR><TD COLSPAN="2">{shape}</TD></TR>')
        if unit.shape is not None:
            rows.extend(self._value_rows(unit))
        for note in unit.notes:
            rows.append(f'<TR><TD COLSPAN="2" BALIGN="LEFT" ALIGN="LEFT">{note}</TD></TR>')
        table = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(rows) + "</TABLE>"
        return f"<{table}>"

    def _shape_text(self, shape: tuple, dtype: str) -> str:
        shape = tuple(shape)
        if shape == ():
            out = text("scalar", self.opts.lang)
        else:
            out = "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
        return out if dtype == "float64" else f"{out} {dtype}"

    def _value_rows(self, unit: _Unit) -> list[str]:
        t = self.theme
        o = self.opts
        var = escape(_short(unit.var))
        value_lines = format_value(unit.value, o.precision, o.max_array, o.lang)
        rows = [self._row(font(f"{var} =", colour=t.muted), value_lines, None, unit.value)]
        key = f"∂L/∂{var}"
        if unit.grad is None:
            rows.append(self._row(font(key + " =", colour=t.muted), [font("—", colour=t.muted)], None, None))
        else:
            lines = format_value(unit.grad, o.precision, o.max_array, o.lang)
            rows.append(self._row(self._grad_font(key + " ="), lines, "grad", unit.grad))
        return rows

    def _grad_font(self, content: str) -> str:
        t = self.theme
        out = font(content, colour=t.grad)
        return f"<I>{out}</I>" if t.grad_italic else out

    def _row(self, key: str, lines: list[str], style: str | None, array: Any) -> str:
        t = self.theme
        body = '<BR ALIGN="LEFT"/>'.join(lines)
        body = font(body, face=t.value_fontname)
        if style == "grad":
            body = self._grad_font(body)
        row = f'<TR><TD ALIGN="RIGHT" VALIGN="TOP">{key}</TD><TD ALIGN="LEFT" BALIGN="LEFT">{body}</TD></TR>'
        if self.opts.heatmap and array is not None:
            table = heatmap_table(array, t)
            if table is not None:
                row += f'<TR><TD></TD><TD ALIGN="LEFT">{table}</TD></TR>'
        return row

    def _edges(self, dg: Diagram, units: dict[Any, _Unit], rep: dict[int, Any]) -> None:
        G = self.G
        merged: dict[tuple[Any, Any], list[tuple[int, int]]] = {}
        for u in self.nodes:
            for v in sorted(G.successors(u)):
                if v not in rep:
                    continue
                ru, rv = rep[u], rep[v]
                if ru == rv:
                    continue
                merged.setdefault((ru, rv), []).append((u, v))
        t = self.theme
        for (ru, rv), items in merged.items():
            a, b = units[ru].name, units[rv].name
            attrs = {"id": f"edge_{a}_{b}"}
            is_param = all(G.edges[e]["param"] is not None for e in items)
            classes = ["param"] if is_param else []
            if is_param:
                attrs.update(color=t.param_edge, style="dashed")
            label = self._edge_label(items, units[ru] if units[ru].node == items[0][0] else None)
            if label:
                attrs["label"] = label[0]
                if label[1]:
                    classes.append("grad")
            if classes:
                attrs["class"] = " ".join(classes)
            dg.edge(a, b, **attrs)

    def _edge_label(self, items: list[tuple[int, int]], producer: _Unit | None) -> tuple[str, bool] | None:
        """Shape, and the gradient flowing back: its name when it is all the producer gets, else its value."""
        G = self.G
        t = self.theme
        o = self.opts
        parts = []
        has_grad = False
        if len({u for u, _ in items}) == 1:
            u = items[0][0]
            if o.show_shapes:
                attrs = G.nodes[u]
                parts.append(font(escape(self._shape_text(attrs["shape"], attrs["dtype"])), colour=t.muted))
            grads = [G.edges[e]["grad"] for e in items]
            if o.show_edge_grads and all(g is not None for g in grads):
                total = np.asarray(grads[0] if len(grads) == 1 else sum(grads[1:], grads[0]))
                consumers = [v for v in G.successors(u) if G.edges[u, v]["grad"] is not None]
                if producer is not None and producer.grad is not None and len(consumers) == len(items):
                    body = escape(f"∂L/∂{_short(producer.var)}")  # the whole gradient of the producer
                elif total.size <= o.max_array:
                    body = " ".join(format_value(total, o.precision, o.max_array, o.lang))
                else:
                    body = escape(f"{text('norm', o.lang)} {format_scalar(array_norm(total), o.precision)}")
                parts.append(self._grad_font(font("← " + body, face=t.value_fontname)))
                has_grad = True
        if not parts:
            return None
        return "<" + "<BR/>".join(parts) + ">", has_grad

    # -- overlay, caption and legend ----------------------------------------------------------------------
    def _overlay_metrics(self, units: dict[Any, _Unit]) -> dict[str, str]:
        overlay = self.opts.overlay
        if overlay is None:
            self.scale = None
            return {}
        t = self.theme
        colours: dict[str, str] = {}
        if overlay == "nonfinite":
            for unit in units.values():
                bad = _nonfinite(unit.value) or _nonfinite(unit.grad)
                colours[unit.name] = t.nonfinite_fill if bad else t.overlay_scale[0]
            self.scale = None
            return colours
        metric = {}
        for unit in units.values():
            if overlay == "grad_norm":
                metric[unit.name] = None if unit.grad is None else array_norm(unit.grad)
            else:
                metric[unit.name] = None if unit.value is None else _max_abs(unit.value)
        logs = [math.log10(m) for m in metric.values() if m is not None and math.isfinite(m) and m > 0]
        lo, hi = (min(logs), max(logs)) if logs else (0.0, 0.0)
        self.scale = (lo, hi) if logs else None
        for name, m in metric.items():
            if m is None:
                colours[name] = t.overlay_missing
            elif not math.isfinite(m):
                colours[name] = t.nonfinite_fill
            elif m <= 0:
                colours[name] = t.overlay_scale[0]
            else:
                position = 0.5 if hi == lo else (math.log10(m) - lo) / (hi - lo)
                colours[name] = scale_colour(t.overlay_scale, position)
        return colours

    def _caption(self) -> str | None:
        t = self.theme
        o = self.opts
        rows = []
        title = o.title if o.title is not None else self.graph.name
        if title:
            rows.append(f"<TR><TD>{font('<B>' + escape(title) + '</B>', size=t.title_fontsize)}</TD></TR>")
        report = o.report
        if report is not None:
            records = list(report.nodes)
            bad = sum(1 for r in records if str(getattr(r, "kind", "ok")) != "ok")
            summary = escape(text("report", o.lang, bad=bad, n=len(records)))
            rows.append(f"<TR><TD>{font(summary, colour=t.failed if bad else t.done, size=t.small_fontsize)}</TD></TR>")
        if o.legend:
            rows.append(f"<TR><TD>{self._legend()}</TD></TR>")
        if not rows:
            return None
        return '<<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="2">' + "".join(rows) + "</TABLE>>"

    def _legend(self) -> str:
        t = self.theme
        o = self.opts
        lang = o.lang
        size = t.small_fontsize

        def cell(label: str, fill: str, border: str, width: float = 1.0, style: str = "") -> str:
            content = font(escape(label), colour=t.text, size=size)
            return f'<TD BGCOLOR="{fill}" COLOR="{border}" BORDER="{max(1, round(width))}"{style}>{content}</TD>'

        kinds = [
            cell(text("input", lang), t.input_fill, t.border),
            cell(text("parameter", lang), t.parameter_fill, t.border, 2),
            cell(text("op", lang), t.op_fill, t.border, 1, ' STYLE="rounded"'),
            cell(text("constant", lang), t.constant_fill, t.border),
            cell(text("group", lang), t.group_fill, t.border),
        ]
        states = [
            cell(text("forward", lang), t.op_fill, t.border),
            cell(text("pending", lang), t.op_fill, t.pending),
            cell(text("current", lang), t.current_fill, t.current, 3),
            cell(text("done", lang), t.op_fill, t.done, 2),
            cell(text("failed", lang), t.failed_fill, t.failed, 2),
            cell(text("nonfinite", lang), t.nonfinite_fill, t.nonfinite, 2),
        ]
        notes = [
            f"<TD>{font(escape(text('not_computed', lang)), colour=t.muted, size=size)}</TD>",
            f"<TD>{self._grad_font(font(escape(text('edge_grad', lang)), size=size))}</TD>",
        ]
        if o.heatmap:
            notes.append(f"<TD>{font(escape(text('heatmap', lang)), colour=t.muted, size=size)}</TD>")
        heading = font("<B>" + escape(text("legend", lang)) + "</B>", size=t.fontsize * 0.8)
        rows = [
            f'<TR><TD ALIGN="LEFT">{heading}</TD></TR>',
            _inner_row(kinds),
            _inner_row(states),
            _inner_row(notes, spacing=8),
        ]
        if o.overlay is not None:
            rows.append(f"<TR><TD>{self._colour_bar()}</TD></TR>")
        return (
            '<TABLE BORDER="1" CELLBORDER="0" COLOR="'
            + t.cluster_border
            + '" CELLSPACING="3" CELLPADDING="2" BGCOLOR="'
            + t.background
            + '">'
            + "".join(rows)
            + "</TABLE>"
        )

    def _colour_bar(self) -> str:
        t = self.theme
        o = self.opts
        lang = o.lang
        size = t.small_fontsize
        name = escape(text(f"overlay_{o.overlay}", lang))
        cells = [f"<TD>{font(name, size=size)}</TD>"]
        if o.overlay == "nonfinite":
            cells.append(
                f'<TD BGCOLOR="{t.overlay_scale[0]}" BORDER="1">{font(escape(text("finite", lang)), size=size)}</TD>'
            )
            cells.append(f'<TD BGCOLOR="{t.nonfinite_fill}" BORDER="1">{font("NaN / Inf", size=size)}</TD>')
        else:
            lo, hi = self.scale if self.scale is not None else (0.0, 0.0)
            cells.append(f"<TD>{font(escape(format_scalar(10.0**lo, 2)), size=size)}</TD>")
            for i in range(8):
                colour = scale_colour(t.overlay_scale, i / 7)
                cells.append(f'<TD BGCOLOR="{colour}" WIDTH="16" HEIGHT="12" FIXEDSIZE="TRUE"></TD>')
            cells.append(f"<TD>{font(escape(format_scalar(10.0**hi, 2)), size=size)}</TD>")
            cells.append(
                f'<TD BGCOLOR="{t.overlay_missing}" BORDER="1">{font(escape(text("no_data", lang)), size=size)}</TD>'
            )
        return _inner_table(cells, spacing=1)


def _inner_table(cells: list[str], spacing: int = 4) -> str:
    return f'<TABLE BORDER="0" CELLSPACING="{spacing}" CELLPADDING="3"><TR>' + "".join(cells) + "</TR></TABLE>"


def _inner_row(cells: list[str], spacing: int = 4) -> str:
    return f'<TR><TD ALIGN="LEFT">{_inner_table(cells, spacing)}</TD></TR>'


def _common_prefix(paths: list[tuple[str, ...]]) -> tuple[str, ...]:
    first = paths[0]
    size = len(first)
    for p in paths[1:]:
        size = min(size, len(p))
        for i in range(size):
            if p[i] != first[i]:
                size = i
                break
    return first[:size]


def _group_state(states: list[str]) -> str:
    for state in ("failed", "nonfinite", "current"):
        if state in states:
            return state
    if states and all(s == "done" for s in states):
        return "done"
    if "pending" in states:
        return "pending"
    return "done" if "done" in states else "forward"


def _params_text(n: int, lang: str) -> str:
    return text("param", lang) if n == 1 else text("params", lang, n=f"{n:,}".replace(",", " "))


def _short(s: str, limit: int = 24) -> str:
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _max_abs(a: Any) -> float:
    a = np.asarray(a)
    if a.dtype.kind not in "fciub" or a.size == 0:
        return float("nan")
    if _nonfinite(a):
        return float("inf")
    return float(np.abs(a).max())
