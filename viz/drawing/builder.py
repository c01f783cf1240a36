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

from collections.abc import Mapping, Sequence
from typing import Any

import graphviz
import networkx as nx

from graphviz_autodiff.graph import Graph
from graphviz_autodiff.tensor import Tensor

from ..themes import Theme
from .clusters import cluster_paths, collapse_depth, emit_units, make_units
from .fallback import Fallback, draw
from .labels import escape_attr
from .names import GraphNames, loss_node
from .nodes import add_edges
from .options import OVERLAYS, RANKDIRS, STATES, RenderOptions, validate_options
from .overlays import Presence, Scale, caption, overlay_colours
from .states import NodeFacts, fold_constants, grad_path, known_grads, node_states

__all__ = ["ON_TIMEOUT", "OVERLAYS", "RANKDIRS", "STATES", "Diagram", "render", "select", "to_dot"]


class Diagram(graphviz.Digraph):
    """The :class:`graphviz.Digraph` that :func:`render` returns.

    It is a plain ``Digraph`` (``.source``, ``.pipe()``, ``.render()`` work as
    usual) whose Jupyter display goes through :func:`viz.drawing.fallback.draw`:
    it honours ``timeout``, raises :class:`~viz.dot.GraphvizNotFoundError`
    with install instructions when ``dot`` is missing, and when the layout
    takes longer than ``timeout`` shows a fallback picture (the collapsed view
    or a summary) instead of an error, once: a layout that timed out is not
    tried again with the same timeout.

    Attributes
    ----------
    timeout : float or None
        Seconds Graphviz may take.
    subject : Graph, Tensor or None
        What :func:`render` drew (for the fallback picture).
    render_options : dict
        The options :func:`render` was called with.
    """

    def __init__(
        self,
        *args: Any,
        timeout: float | None = 30.0,
        subject: Graph | Tensor | None = None,
        render_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.timeout = timeout
        self.subject = subject
        self.render_options = dict(render_options or {})

    def _copy_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        copied = super()._copy_kwargs(**kwargs)  # graphviz's own chain drops unknown keywords
        copied.update(timeout=self.timeout, subject=self.subject, render_options=self.render_options)
        return copied

    def fallback(self) -> Fallback | None:
        """What to draw if the layout times out (``None`` when the diagram was not made by :func:`render`)."""
        if self.subject is None:
            return None
        return Fallback(self.subject, self.render_options, self.timeout)

    def draw(self, fmt: str, *, args: Sequence[str] = (), on_timeout: str = "fallback") -> bytes:
        """Graphviz's output in format ``fmt`` (``"svg"``, ``"png"``, ...), with the fallback on a timeout.

        Parameters
        ----------
        fmt : str
            Graphviz output format.
        args : sequence of str
            Extra Graphviz arguments.
        on_timeout : {"fallback", "raise"}
            Draw the fallback picture (with a :class:`~viz.drawing.fallback.FallbackWarning`), or raise
            :class:`~viz.dot.RenderTimeoutError`.
        """
        if on_timeout not in ON_TIMEOUT:
            raise ValueError(f"on_timeout must be one of {', '.join(map(repr, ON_TIMEOUT))}, got {on_timeout!r}")
        fallback = self.fallback() if on_timeout == "fallback" else None
        return draw(self, fmt, timeout=self.timeout, args=args, fallback=fallback)[0]

    def _repr_image_svg_xml(self) -> str:
        return self.draw("svg").decode("utf-8")

    def _repr_image_png(self) -> bytes:
        return self.draw("png")

    def _repr_image_jpeg(self) -> bytes:
        return self.draw("jpeg")


#: What to do when Graphviz times out: draw the fallback picture, or raise RenderTimeoutError.
ON_TIMEOUT = ("fallback", "raise")


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
    legend: bool | str = False,
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
    legend : {False, True, "present", "all"}
        Add a legend (node kinds, states, gradient notation, overlay colour bar)
        at the bottom; the title then becomes its first line. ``True``: every
        kind and state (``inherited`` only with a report or an inherited node);
        ``"present"``: only the kinds and states this picture shows (static
        pictures, slides); ``"all"``: every one (a walk whose frames differ).
    states : dict, optional
        ``{node id: state}`` with states among :data:`STATES` (``"pending",
        "current", "done", "failed", "nonfinite", "inherited"``); overrides the
        state read from the node's ``status`` attribute (and from ``report``).
    report : object, optional
        A gradient-check report: ``report.nodes`` is a list of records with
        ``.node`` (node id or None), ``.kind`` (``"ok"``, ``"wrong_gradient"``,
        ``"shape"``, ``"nonfinite_forward"``, ``"nonfinite_backward"``,
        ``"exception"``, ``"no_gradient"``, ``"reuse"``, ``"inherits_wrong"``),
        ``.diagnosis``, ``.max_rel_error`` and optionally ``.message``. Failing
        nodes are drawn as failed (or nonfinite), with the error on them; a node
        that only receives a wrong gradient (``"inherits_wrong"``) is drawn
        ``inherited`` (orange, marked corners), never as a green "ok".
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
    options = dict(locals())  # the keyword arguments, by name, in the order of the signature
    del options["graph_or_tensor"]
    opts = validate_options(**options)
    graph, nodes = select(graph_or_tensor)
    diagram = _draw(graph, nodes, opts)
    diagram.subject = graph_or_tensor
    diagram.render_options = options
    return diagram


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


# -- what to draw ---------------------------------------------------------------------------------------
def select(graph_or_tensor: Graph | Tensor) -> tuple[Graph, list[int]]:
    """The graph to draw from and the sorted node ids drawn: all of a Graph, or a tensor and its ancestors.

    Raises
    ------
    TypeError
        Neither a Graph nor a Tensor.
    ValueError
        The tensor was not recorded in a graph.
    """
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


def _draw(graph: Graph, nodes: list[int], opts: RenderOptions) -> Diagram:
    """The pipeline of :func:`render`: each step gets what it reads and returns what it makes."""
    G = graph.nx
    facts = NodeFacts()
    if opts.fold_constants:
        nodes, facts.folded = fold_constants(G, nodes, opts.precision, opts.lang)
    facts.grads = known_grads(G, nodes)
    names = GraphNames(G, nodes, root=loss_node(G))
    facts.names, facts.loss = names.names, names.loss
    if opts.only_grad_path:
        nodes = grad_path(G, nodes)
    node_states(G, nodes, facts, opts)
    paths = cluster_paths(G, graph.groups, nodes)
    depth = collapse_depth(paths, nodes, opts.collapse, opts.max_nodes)
    units, rep = make_units(G, graph.groups, nodes, paths, depth, facts, opts.lang)
    colours, scale = overlay_colours(units.values(), opts.overlay, opts.theme)
    dg = Diagram(name="computational_graph", timeout=opts.timeout)
    _graph_attrs(dg, opts, graph.name, scale, Presence.of(units.values()))
    emit_units(dg, units, graph.groups, colours, opts)
    add_edges(dg, G, nodes, units, rep, opts)
    return dg


def _graph_attrs(dg: Diagram, opts: RenderOptions, name: str | None, scale: Scale, present: Presence) -> None:
    t: Theme = opts.theme
    dg.attr(
        "graph",
        rankdir=opts.rankdir,
        bgcolor=t.background,
        fontname=escape_attr(t.fontname),
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
        fontname=escape_attr(t.fontname),
        fontsize=f"{t.value_fontsize:g}",
        fontcolor=t.text,
        shape="box",
        margin="0.1,0.06",
        penwidth=f"{t.penwidth:g}",
    )
    dg.attr(
        "edge",
        fontname=escape_attr(t.fontname),
        fontsize=f"{t.edge_fontsize:g}",
        fontcolor=t.muted,
        color=t.edge,
        arrowsize="0.7",
        penwidth=f"{t.penwidth * 0.9:g}",
    )
    text = caption(opts, opts.title if opts.title is not None else name, scale, present)
    if text:
        dg.attr("graph", label=text, labelloc="b" if opts.legend else "t", labeljust="c")
