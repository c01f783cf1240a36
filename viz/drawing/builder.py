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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import graphviz
import networkx as nx
import numpy as np

from graphviz_autodiff.debug import KINDS
from graphviz_autodiff.graph import Graph
from graphviz_autodiff.i18n import LANGS
from graphviz_autodiff.tensor import Tensor

from ..dot import run_dot
from ..themes import Theme, get_theme
from .clusters import _Clusters
from .nodes import _Nodes
from .overlays import _Overlays
from .states import _node_id, _States

__all__ = ["OVERLAYS", "RANKDIRS", "REPORT_KINDS", "STATES", "Diagram", "render", "to_dot"]

STATES = ("pending", "current", "done", "failed", "nonfinite")
OVERLAYS = ("grad_norm", "magnitude", "nonfinite")
RANKDIRS = ("LR", "TB", "RL", "BT")
REPORT_KINDS = KINDS  # the debugger's verdicts (graphviz_autodiff.debug.KINDS)


class Diagram(graphviz.Digraph):
    """The :class:`graphviz.Digraph` that :func:`render` returns.

    It is a plain ``Digraph`` (``.source``, ``.pipe()``, ``.render()`` work as
    usual) whose Jupyter display goes through :func:`viz.dot.run_dot`:
    it honours ``timeout`` and raises
    :class:`~viz.dot.GraphvizNotFoundError` with install instructions
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


class _Builder(_States, _Nodes, _Clusters, _Overlays):
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
