"""When Graphviz cannot lay a graph out in time: one fallback picture, and no second try of the same layout.

A big graph can take Graphviz longer than the ``timeout`` (5,000 nodes take
minutes). Instead of an error, the display, :func:`viz.to_svg` (and, on
request, :func:`viz.save`) draw once:

1. the **collapsed view** (each top-level group as one node), when the graph
   has groups and that view has at most :data:`COLLAPSED_LIMIT` nodes; else
2. a **summary picture**: the graph's title, its node and edge counts, a
   histogram of its ops, why it is not drawn (the timeout) and what to do
   (a larger ``timeout=``, ``collapse=True``, ``only_grad_path=True``, drawing
   a tensor).

The failure is remembered (by the layout's structure: nodes, edges and
clusters, not the numbers in the labels), so the next picture of the same
graph, for example after ``backward()`` or at the next step, goes to the
fallback at once instead of waiting for the timeout again. A larger timeout
tries the layout again. :func:`forget_failures` clears the memory.

For the stepper and other callers
---------------------------------
* :func:`draw` runs Graphviz on a diagram with this policy (given a
  :class:`Fallback`) and returns the output bytes and which fallback was
  used (``None``, ``"collapsed"``, ``"summary"``).
* :func:`fallback_svg` returns the SVG of the fallback picture of a graph
  (collapsed view or summary) for a given reason, without trying the big
  layout at all.
* :func:`summary_diagram` / :func:`summarize` build the summary picture.

Examples
--------
>>> import numpy as np
>>> from graphviz_autodiff.ops import Sum
>>> s = summarize(Sum()(np.ones(3)))
>>> s.n_nodes, s.ops
(2, (('Sum', 1),))
>>> svg = fallback_svg(Sum()(np.ones(3)), "a test")
>>> svg.startswith("<svg") and "a test" in svg
True
"""

from __future__ import annotations

import hashlib
import re
import threading
import warnings
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import graphviz

from graphviz_autodiff.graph import Graph
from graphviz_autodiff.i18n import tr
from graphviz_autodiff.tensor import Tensor

from ..dot import RenderTimeoutError, run_dot
from ..themes import Theme, get_theme
from .labels import MAX_NAME, clip, escape, escape_attr, font

__all__ = [
    "COLLAPSED_LIMIT",
    "FALLBACK_TIMEOUT",
    "Fallback",
    "FallbackWarning",
    "GraphSummary",
    "draw",
    "failed_before",
    "fallback_svg",
    "forget_failures",
    "layout_key",
    "remember_failure",
    "summarize",
    "summary_diagram",
]

#: The collapsed view is the fallback only when it has at most this many nodes (a layout of well under a second).
COLLAPSED_LIMIT = 150
#: Seconds the fallback picture may take at most (it is small: the collapsed view or a single table).
FALLBACK_TIMEOUT = 10.0
_HISTOGRAM_ROWS = 12  # op kinds listed in the summary; the rest are counted together
_MEMORY_SIZE = 256  # layouts remembered as failed
_KIND_WORDS = ("input", "parameter", "constant", "op")


class FallbackWarning(UserWarning):
    """Graphviz did not lay the graph out in time; a fallback picture was drawn instead (the message says which)."""


@dataclass(frozen=True)
class GraphSummary:
    """What a summary picture says about a graph.

    Attributes
    ----------
    title : str or None
        The graph's name.
    n_nodes, n_edges, n_groups : int
        Counts of what would be drawn.
    kinds : tuple of (str, int)
        Node kinds and their counts (``("op", 2499), ("input", 2500)``), in a fixed order.
    ops : tuple of (str, int)
        Op labels and their counts, most frequent first (ties by label).
    """

    title: str | None
    n_nodes: int
    n_edges: int
    n_groups: int
    kinds: tuple[tuple[str, int], ...]
    ops: tuple[tuple[str, int], ...]


def summarize(graph_or_tensor: Graph | Tensor) -> GraphSummary:
    """Count the nodes, edges, groups, kinds and ops of a graph (or of the part a tensor depends on)."""
    from .builder import select

    graph, nodes = select(graph_or_tensor)
    G = graph.nx
    sub = G.subgraph(nodes)
    kinds = Counter(G.nodes[n]["kind"] for n in nodes)
    ops = Counter(str(G.nodes[n]["label"]) for n in nodes if G.nodes[n]["kind"] == "op")
    groups = {k for n in nodes if G.nodes[n]["kind"] == "op" for k in G.nodes[n]["groups"] if k in graph.groups}
    order = ("input", "parameter", "constant", "op")
    return GraphSummary(
        title=graph.name,
        n_nodes=len(nodes),
        n_edges=sub.number_of_edges(),
        n_groups=len(groups),
        kinds=tuple((k, kinds[k]) for k in (*order, *sorted(set(kinds) - set(order))) if kinds[k]),
        ops=tuple(sorted(ops.items(), key=lambda item: (-item[1], item[0]))),
    )


def summary_diagram(
    summary: GraphSummary,
    reason: str,
    *,
    theme: str | Theme = "lecture",
    lang: str = "en",
    timeout: float | None = None,
    advice: Sequence[str] | None = None,
) -> graphviz.Digraph:
    """The summary picture: one table with the counts, the op histogram, ``reason`` and advice.

    Parameters
    ----------
    summary : GraphSummary
        From :func:`summarize`.
    reason : str
        Why the graph is not drawn (plain text, escaped here).
    theme, lang
        As for :func:`viz.render`.
    timeout : float or None
        The timeout that was too short; the advice names a larger one.
    advice : sequence of str, optional
        What else to do (plain text, one line each; default: draw less, with :func:`viz.render`'s options).
    """
    from .builder import Diagram

    t = get_theme(theme)
    size = t.small_fontsize
    rows = []
    title = summary.title or tr("summary.title", lang)
    rows.append(_row(font(f"<B>{escape(clip(title, 2 * MAX_NAME))}</B>", size=t.title_fontsize)))
    counts = tr("summary.counts", lang, nodes=summary.n_nodes, edges=summary.n_edges, groups=summary.n_groups)
    rows.append(_row(font(escape(counts), size=t.fontsize)))
    kinds = " · ".join(
        f"{tr(f'node.{k}', lang) if k in ('input', 'parameter', 'constant', 'op') else k}: {n}"
        for k, n in summary.kinds
    )
    rows.append(_row(font(escape(kinds), colour=t.muted, size=size)))
    rows.append(_row(font(escape(reason), colour=t.failed, size=size)))
    rows.append(_row(_histogram(summary.ops, t, lang)))
    lines = [tr("summary.advice_smaller", lang)] if advice is None else [str(line) for line in advice]
    if timeout is not None:
        lines.insert(0, tr("summary.advice_timeout", lang, timeout=f"{timeout:g}", larger=f"{_larger(timeout):g}"))
    for line in lines:
        rows.append(_row(font(escape(line), colour=t.muted, size=size)))
    table = '<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="3">' + "".join(rows) + "</TABLE>"
    dg = Diagram(name="computational_graph_summary", timeout=timeout)
    dg.attr("graph", bgcolor=t.background, pad="0.2")
    dg.attr("node", fontname=escape_attr(t.fontname), fontcolor=t.text, fontsize=f"{t.value_fontsize:g}")
    attrs = {"id": "summary", "class": "summary", "shape": "box", "style": "rounded,filled"}
    dg.node("summary", label=f"<{table}>", fillcolor=t.op_fill, color=t.border, **attrs)
    return dg


def _row(content: str, align: str = "LEFT") -> str:
    return f'<TR><TD ALIGN="{align}" BALIGN="LEFT">{content}</TD></TR>'


def _larger(timeout: float) -> float:
    return float(max(60, 4 * round(timeout)))


def _histogram(ops: tuple[tuple[str, int], ...], t: Theme, lang: str) -> str:
    if not ops:
        return font(escape(tr("summary.no_ops", lang)), colour=t.muted, size=t.small_fontsize)
    shown = ops[:_HISTOGRAM_ROWS]
    top = shown[0][1]
    size = t.small_fontsize
    heading = font("<B>" + escape(tr("summary.ops", lang)) + "</B>", size=size)
    rows = [f'<TR><TD COLSPAN="3" ALIGN="LEFT">{heading}</TD></TR>']
    for label, count in shown:
        width = max(2, round(160 * count / top))
        cell = f'<TD BGCOLOR="{t.current}" WIDTH="{width}" HEIGHT="{round(size)}" FIXEDSIZE="TRUE"></TD>'
        bar = f'<TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR>{cell}</TR></TABLE>'
        rows.append(
            f'<TR><TD ALIGN="RIGHT">{font(escape(clip(label, 32)), size=size)}</TD>'
            f'<TD ALIGN="LEFT">{bar}</TD><TD ALIGN="LEFT">{font(str(count), size=size)}</TD></TR>'
        )
    rest = ops[_HISTOGRAM_ROWS:]
    if rest:
        more = tr("summary.more", lang, kinds=len(rest), calls=sum(n for _, n in rest))
        rows.append(f'<TR><TD COLSPAN="3" ALIGN="LEFT">{font(escape(more), colour=t.muted, size=size)}</TD></TR>')
    return '<TABLE BORDER="0" CELLSPACING="1" CELLPADDING="1">' + "".join(rows) + "</TABLE>"


# -- memory of failed layouts ---------------------------------------------------------------------------------
_FAILED: OrderedDict[str, float] = OrderedDict()
_LOCK = threading.Lock()
_STRUCTURE = re.compile(
    r"^\t+(?:subgraph (cluster_\w+) \{|(\w+) -> (\w+) \[|(?!(?:graph|node|edge) )(\w+) \[)|rankdir=(\w+)",
    re.MULTILINE,
)


def layout_key(source: str) -> str:
    """A key of the layout problem in DOT ``source``: its nodes, edges, clusters and direction.

    Labels (the numbers, the states) do not enter it, so every picture of the
    same graph (before and after backward, every stepper frame) has one key.
    """
    digest = hashlib.sha256()
    for m in _STRUCTURE.finditer(source):
        digest.update("|".join(g or "" for g in m.groups()).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def remember_failure(source: str, timeout: float) -> None:
    """Remember that laying out ``source`` took longer than ``timeout`` seconds."""
    key = layout_key(source)
    with _LOCK:
        _FAILED[key] = max(timeout, _FAILED.get(key, 0.0))
        _FAILED.move_to_end(key)
        while len(_FAILED) > _MEMORY_SIZE:
            _FAILED.popitem(last=False)


def failed_before(source: str, timeout: float | None) -> bool:
    """Whether this layout already failed with a timeout at least as long as ``timeout``."""
    if timeout is None:
        return False
    with _LOCK:
        failed = _FAILED.get(layout_key(source))
    return failed is not None and failed >= timeout


def forget_failures() -> None:
    """Forget every remembered failure (the next picture tries every layout again)."""
    with _LOCK:
        _FAILED.clear()


# -- the fallback picture ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fallback:
    """What to draw when the layout of ``subject`` fails: its collapsed view, or its summary.

    Attributes
    ----------
    subject : Graph or Tensor
        What was to be drawn.
    options : dict
        Its render options (``theme``, ``lang``, ...).
    timeout : float or None
        The timeout that was too short (the summary's advice names a larger one).
    advice : tuple of str, optional
        The summary's advice instead of the default one (:func:`summary_diagram`).
    """

    subject: Graph | Tensor
    options: dict[str, Any] = field(default_factory=dict)
    timeout: float | None = None
    advice: tuple[str, ...] | None = None

    def picture(self, reason: str, *, summary_only: bool = False) -> tuple[graphviz.Digraph, str]:
        """The fallback picture and its kind (``"collapsed"`` or ``"summary"``), not drawn yet.

        The collapsed view (with ``reason`` under the title) when the graph has
        groups and at most :data:`COLLAPSED_LIMIT` units collapsed and
        ``summary_only`` is false; otherwise the summary picture.
        """
        from .builder import render, select
        from .clusters import cluster_paths, count_units

        options = self.options
        theme, lang = options.get("theme", "lecture"), options.get("lang", "en")
        if not summary_only:
            graph, nodes = select(self.subject)
            paths = cluster_paths(graph.nx, graph.groups, nodes)
            if any(paths.values()) and count_units(paths, nodes, 0) <= COLLAPSED_LIMIT:
                keep = {k: v for k, v in options.items() if k not in ("collapse", "max_nodes", "title", "timeout")}
                title = options.get("title") or graph.name
                note = tr("summary.fallback_collapsed", lang, reason=reason)
                title = f"{title}\n{note}" if title else note
                return render(self.subject, collapse=True, max_nodes=None, title=title, **keep), "collapsed"
        summary = summary_diagram(
            summarize(self.subject), reason, theme=theme, lang=lang, timeout=self.timeout, advice=self.advice
        )
        return summary, "summary"


def draw(
    diagram: graphviz.Digraph,
    fmt: str,
    *,
    timeout: float | None,
    args: Sequence[str] = (),
    fallback: Fallback | None = None,
) -> tuple[bytes, str | None]:
    """Run Graphviz on ``diagram``; on a timeout, draw the ``fallback`` picture once instead.

    A layout that failed before with at least this ``timeout`` is not tried
    again (:func:`failed_before`): the fallback is drawn at once.

    Parameters
    ----------
    diagram : graphviz.Digraph
        What to draw.
    fmt : str
        Graphviz output format (``"svg"``, ``"png"``, ``"pdf"``).
    timeout : float or None
        Seconds Graphviz may take for the layout.
    args : sequence of str
        Extra Graphviz arguments (``-Gdpi=150``).
    fallback : Fallback, optional
        What to draw instead. Without one, a timeout raises :class:`~viz.dot.RenderTimeoutError`.

    Returns
    -------
    (bytes, str or None)
        Graphviz's output, and ``None`` or the fallback's kind (``"collapsed"``, ``"summary"``).

    Warns
    -----
    FallbackWarning
        A fallback was drawn.
    """
    source = diagram.source
    known = failed_before(source, timeout)
    if not known:
        try:
            return run_dot(source, fmt, timeout=timeout, args=args), None
        except RenderTimeoutError:
            if fallback is None or timeout is None:
                raise
            remember_failure(source, timeout)
    elif fallback is None:
        raise RenderTimeoutError(
            f"Graphviz did not finish this layout within timeout={timeout} s before; pass a larger timeout=..."
        )
    lang = fallback.options.get("lang", "en")
    reason = tr("summary.fallback_reason", lang, timeout=f"{timeout:g}")
    data, kind = _draw_fallback(fallback, reason, fmt, args, timeout)
    warnings.warn(
        f"viz: Graphviz did not lay the graph out within timeout={timeout} s"
        + (" (it failed before, so it was not tried again)" if known else "")
        + f"; drawing the {kind} view instead. Pass a larger timeout=... to draw it whole.",
        FallbackWarning,
        stacklevel=3,
    )
    return data, kind


def _draw_fallback(
    fallback: Fallback, reason: str, fmt: str, args: Sequence[str], timeout: float | None
) -> tuple[bytes, str]:
    budget = FALLBACK_TIMEOUT if timeout is None else min(timeout, FALLBACK_TIMEOUT)
    picture, kind = fallback.picture(reason)
    if kind == "collapsed":
        if not failed_before(picture.source, budget):
            try:
                return run_dot(picture.source, fmt, timeout=budget, args=args), kind
            except RenderTimeoutError:
                remember_failure(picture.source, budget)
        picture, kind = fallback.picture(reason, summary_only=True)
    return run_dot(picture.source, fmt, timeout=FALLBACK_TIMEOUT, args=args), kind


def fallback_svg(
    graph_or_tensor: Graph | Tensor,
    reason: str,
    *,
    summary_only: bool = False,
    timeout: float | None = None,
    advice: Sequence[str] | None = None,
    **options: Any,
) -> str:
    """The SVG (a standalone ``<svg>`` element, no XML prolog) of the fallback picture of a graph.

    For callers that already know the full layout is out of reach (the
    stepper after a timeout): nothing big is laid out. The collapsed view is
    tried (within :data:`FALLBACK_TIMEOUT`) unless ``summary_only``; the
    summary picture is the last resort.

    Parameters
    ----------
    graph_or_tensor : Graph or Tensor
        What could not be drawn.
    reason : str
        Why (shown in the picture; plain text).
    summary_only : bool
        Skip the collapsed view.
    timeout : float or None
        The timeout that was too short (the summary's advice names a larger one).
    advice : sequence of str, optional
        The summary's advice instead of the default one (the stepper's: step through a smaller part).
    **options
        Render options (``theme``, ``lang``, ...) for the collapsed view and the summary.

    Examples
    --------
    >>> import numpy as np
    >>> from graphviz_autodiff.ops import Sum
    >>> svg = fallback_svg(Sum()(np.ones(3)), "too big", timeout=30)
    >>> svg.startswith("<svg") and "too big" in svg and "timeout=120" in svg
    True
    """
    fallback = Fallback(graph_or_tensor, dict(options), timeout, None if advice is None else tuple(advice))
    if summary_only:
        picture, _ = fallback.picture(reason, summary_only=True)
        svg = run_dot(picture.source, "svg", timeout=FALLBACK_TIMEOUT).decode("utf-8")
    else:
        svg = _draw_fallback(fallback, reason, "svg", (), None)[0].decode("utf-8")
    return svg[svg.index("<svg") :]
