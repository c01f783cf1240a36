"""Readable by default: choose the layout direction that makes the values biggest on screen.

A drawing shown at "fit to width" is shrunk until it fits the page, so its
text shrinks with it: the lecture's graph drawn left to right is about 6.5:1,
and at 1400 px its value text would be about 11 px; drawn top to bottom it
needs no shrinking and its values stay at about 19 px. :func:`choose_rankdir`
tries the candidate directions, measures each drawing's value text on screen
(:func:`value_font_px`: the SVG's ``viewBox`` and font sizes, at fit to
width) and keeps the most readable; a long chain comes out top to bottom, a
wide fan of parallel branches left to right. Graphs too big to try are
decided from their shape (:func:`shape_rankdir`). The viewer applies its own
zoom on top.

Examples
--------
>>> import numpy as np
>>> from graphviz_autodiff.ops import Identity, Linear, Squared, Sum
>>> L = Sum()(Squared()(Identity()(Linear(4)(np.ones((5, 4)))), np.zeros(5)))
>>> choice = choose_rankdir(L, width_px=1400)
>>> choice.rankdir, choice.font_px >= 11
('TB', True)
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from graphviz_autodiff.graph import Graph
from graphviz_autodiff.tensor import Tensor

from .dot import RenderTimeoutError
from .export import to_svg

__all__ = ["CSS_PX_PER_PT", "Readability", "choose_rankdir", "fit_font_px", "shape_rankdir", "value_font_px"]

#: CSS pixels per point (a point is 1/72 inch, a CSS pixel 1/96 inch).
CSS_PX_PER_PT = 96 / 72

_SVG = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)pt"[^>]*?\bviewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"', re.S)
_NODE_GROUP = re.compile(r'<g id="node\d+" class="node[^"]*">(.*?)</g>', re.S)
_FONT_SIZE = re.compile(r'<text\b[^>]*\bfont-size="([\d.]+)"')


@dataclass(frozen=True)
class Readability:
    """The chosen direction and how big the values would be on screen.

    Attributes
    ----------
    rankdir : str
        ``"LR"`` or ``"TB"`` (or another candidate).
    font_px : float or None
        The value text's on-screen size in CSS px at fit to width (``None`` when decided from the shape).
    candidates : dict
        ``{rankdir: font_px}`` of every direction tried.
    width_px : float
        The available width the decision was made for.
    """

    rankdir: str
    font_px: float | None
    width_px: float
    candidates: dict[str, float] = field(default_factory=dict)


def fit_font_px(
    font: float,
    size: tuple[float, float],
    width_px: float,
    height_px: float | None = None,
    *,
    enlarge: bool = False,
    px_per_unit: float = CSS_PX_PER_PT,
) -> float:
    """The on-screen size (CSS px) of text of ``font`` units in a drawing of ``size`` units fitted to a box.

    Parameters
    ----------
    font : float
        The text's font size in the drawing's units (points, in Graphviz's SVG).
    size : (float, float)
        The drawing's width and height in the same units (its ``viewBox``).
    width_px, height_px : float
        The box it is shown in (``height_px`` ``None``: fit to width only).
    enlarge : bool
        Whether a drawing smaller than the box is enlarged (a slide) or kept at its natural size (a page).
    px_per_unit : float
        CSS px per unit at the natural size (4/3: a point).

    >>> fit_font_px(14, (2800, 300), 1400), fit_font_px(14, (600, 300), 1400)
    (7.0, 18.666666666666664)
    """
    scale = width_px / size[0]
    if height_px is not None:
        scale = min(scale, height_px / size[1])
    return font * (scale if enlarge else min(scale, px_per_unit))


def value_font_px(svg: str, width_px: float, height_px: float | None = None, *, enlarge: bool = False) -> float:
    """The on-screen size (CSS px) of a drawing's value text when it is shown at fit to width.

    Fit to width shrinks a drawing wider than ``width_px`` CSS px (never enlarges it). The value text
    is the most common font size of the text in node groups (ties go to the smaller).

    Parameters
    ----------
    svg : str
        A Graphviz SVG (``width`` in points, a ``viewBox``).
    width_px : float
        The width available, in CSS px.
    height_px : float, optional
        The height available too (fit into a box, as on a slide).
    enlarge : bool
        Also enlarge a drawing smaller than the box (a slide does; a page at fit to width does not).

    Raises
    ------
    ValueError
        Not an SVG with a width in points and a ``viewBox``, or no text in its nodes.

    Examples
    --------
    >>> svg = '<svg width="2000pt" height="10pt" viewBox="0.00 0.00 2000.00 10.00">' + (
    ...     '<g id="node1" class="node"><text font-size="14.00">1</text></g></svg>')
    >>> round(value_font_px(svg, 1400), 2)
    9.8
    """
    m = _SVG.search(svg)
    if m is None:
        raise ValueError("value_font_px: expected a Graphviz SVG with width in pt and a viewBox")
    width_pt, view_width, view_height = float(m.group(1)), float(m.group(4)), float(m.group(5))
    natural = width_pt * CSS_PX_PER_PT / view_width  # px per unit at 100 %
    sizes: Counter[float] = Counter()
    for group in _NODE_GROUP.findall(svg):
        sizes.update(float(s) for s in _FONT_SIZE.findall(group))
    if not sizes:
        raise ValueError("value_font_px: the drawing has no text in its nodes")
    font = min(sizes, key=lambda s: (-sizes[s], s))
    return fit_font_px(font, (view_width, view_height), width_px, height_px, enlarge=enlarge, px_per_unit=natural)


def shape_rankdir(G: Any) -> str:
    """``"TB"`` when the graph is longer (ranks along its longest path) than wide (nodes in its widest rank).

    Drawn left to right a graph is as wide as its number of ranks; top to bottom, as wide as its
    widest rank (boxes are wider than tall, so each rank of boxes side by side costs the same).

    >>> shape_rankdir(nx.path_graph(5, create_using=nx.DiGraph)), shape_rankdir(nx.star_graph(6).to_directed())
    ('TB', 'LR')
    """
    if len(G) == 0 or not nx.is_directed_acyclic_graph(G):
        return "LR"
    ranks = [len(layer) for layer in nx.topological_generations(G)]
    return "TB" if len(ranks) > max(ranks) else "LR"


def choose_rankdir(
    graph_or_tensor: Graph | Tensor,
    *,
    width_px: float = 1400.0,
    height_px: float | None = None,
    enlarge: bool = False,
    candidates: tuple[str, ...] = ("LR", "TB"),
    max_trial_nodes: int = 300,
    **render_options: Any,
) -> Readability:
    """The layout direction whose drawing shows the values biggest at fit to ``width_px``.

    Parameters
    ----------
    graph_or_tensor : Graph or Tensor
        What will be drawn.
    width_px : float, default 1400
        The width available to the drawing, in CSS px.
    height_px : float, optional
        The height available too (a slide's picture box); ``enlarge`` a drawing smaller than it.
    enlarge : bool
        As for :func:`value_font_px`.
    candidates : tuple of str
        Directions to try, in order of preference for a tie.
    max_trial_nodes : int, default 300
        Above this many nodes nothing is drawn: the direction follows :func:`shape_rankdir`
        (as it does when a trial drawing times out).
    **render_options
        Options of :func:`viz.render` (not ``rankdir``).

    Returns
    -------
    Readability
        The direction, the value text's on-screen size, and the size with every candidate.
    """
    if "rankdir" in render_options:
        raise ValueError("choose_rankdir: rankdir is what it chooses; pass the other render options only")
    if not width_px > 0:
        raise ValueError(f"choose_rankdir: width_px must be positive, got {width_px!r}")
    G = graph_or_tensor.nx if isinstance(graph_or_tensor, Graph) else graph_or_tensor.graph.nx
    if isinstance(graph_or_tensor, Tensor):
        G = G.subgraph(nx.ancestors(G, graph_or_tensor.node) | {graph_or_tensor.node})
    if len(G) > max_trial_nodes:
        return Readability(shape_rankdir(G), None, width_px)
    try:
        svgs = {rd: to_svg(graph_or_tensor, rankdir=rd, **render_options) for rd in candidates}
    except RenderTimeoutError:
        return Readability(shape_rankdir(G), None, width_px)
    sizes = {rd: value_font_px(svg, width_px, height_px, enlarge=enlarge) for rd, svg in svgs.items()}
    best = max(candidates, key=lambda rd: (sizes[rd], -candidates.index(rd)))
    return Readability(best, sizes[best], width_px, sizes)
