"""The viewer's payload: everything the browser needs to step through a walk, built once, as JSON data.

:func:`build_payload` reads a stepper model through its public API only (see :class:`StepSource`) and
returns a plain ``dict`` of JSON types. The widget (:class:`viz.viewer.Viewer`) syncs it to the front end
once; the exported page (:func:`viz.viewer.to_html`) embeds it. Stepping then happens in the browser.

Schema (``PAYLOAD_VERSION`` 2)
------------------------------
``version`` : int
    2.
``lang``, ``direction``, ``title`` : str
    The stepper's language (``"en"``, ``"ru"``), ``"backward"`` or ``"forward"``, a heading.
``n_steps`` : int
    Steps go from 0 (nothing done) to ``n_steps`` (all done); frame ``k`` is shown at step ``k``.
``start`` : int
    The step shown first.
``strings`` : dict of str
    Every UI word, in ``lang`` (:func:`viz.viewer.strings.strings`); templates use ``{name}`` fields.
``svg`` : dict
    The frames in compact form (:mod:`viz.viewer.splice`): ``format`` (``"splice"``), ``skeleton``,
    ``elements``, ``rows0``, ``changes``. When Graphviz could not draw them at all (not installed):
    ``format`` ``"error"`` and a ``message`` to show instead of the picture. A walk whose layout timed
    out has fallback frames (one summary picture, no node groups): see ``view.fallback``.
``steps`` : list of dict, one per step 1 … ``n_steps``
    ``{"node": id, "element": "node6", "title": "Sum (L)"}``: the step's node, its SVG group id, its
    title with the graph's names (``model.title``).
``texts`` : list of list of str, one per step 0 … ``n_steps``
    The lines of the step's text panel (``model.lines(k)``); lines starting with ``✗`` report an error.
``problems`` : list of (str or None), one per step 0 … ``n_steps``
    Why "next problem" stops at that step (``"NaN / Inf"``, ``"wrong gradient"``, ...), or ``None``.
    A node that only receives a wrong gradient (``inherits_wrong``) is no stop: its culprit is.
``nodes`` : list of dict, one per drawn node, in id order
    The hover card: ``id``, ``element`` (its SVG group id), ``title``, ``label``, ``name`` (the graph's
    name of its value), ``kind`` (``op``, ``input``, ``parameter``, ``constant``), ``op`` (the op's class,
    or ``None``), ``shape`` (list of int), ``dtype``, ``value`` and ``grad`` (summaries, see
    :func:`summarize`; ``grad`` may be ``None``), ``value_step`` and ``grad_step`` (the first step at which
    each is known; ``grad_step`` is ``None`` in a forward walk), ``step`` (the step ``run to`` goes to for
    this node), ``chain`` (the chain-rule lines that give this node's gradient, possibly empty),
    ``inherited_from`` (the title of the node whose wrong gradient this one receives, or ``None``).
    With fallback frames (no node to hover) ``value``, ``grad`` are ``None`` and ``chain`` is empty.
``legend`` : list of dict
    The node states some frame shows, in the drawing's order: ``state``, ``label`` (in ``lang``), ``fill``
    and ``border`` (``#rrggbb``, the drawing's own colours).
``view`` : dict
    Initial view: ``text_size`` (the SVG font size of the values, in user units), ``min_font_px``
    (value text must be at least this big on screen: the initial zoom is ``max(fit, min_font_px /
    text_size)``), ``natural_zoom`` (1 pt = 1 pt: never zoom in further than this to fit),
    ``max_height`` (the picture's height at most this fraction of the window), ``min_height_px``,
    ``background`` (the drawing's background colour, ``#rrggbb``, or ``None``; the picture's frame gets it
    too), ``picture`` (``"light"`` or ``"dark"``: the tone of that background, so that a light drawing
    is inverted in a dark theme), ``fallback`` (the frames are a summary without the steps' nodes).

Examples
--------
>>> import numpy as np, viz
>>> from graphviz_autodiff.ops import Squared, Sum
>>> model = viz.StepperModel(Sum()(Squared()(np.array([1.0, 2.0]), np.zeros(2))))
>>> payload = build_payload(model)
>>> payload["n_steps"], [s["title"] for s in payload["steps"]], payload["view"]["min_font_px"]
(2, ['Sum (L)', 'Squared (s)'], 11.0)
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from ..dot import VizError
from ..drawing.nodes import state_colours
from ..drawing.states import INHERITS_WRONG
from ..themes import get_theme
from .splice import compact
from .strings import strings

__all__ = ["CHECK_LIMIT", "PAYLOAD_VERSION", "STATES_SHOWN", "StepSource", "build_payload", "summarize"]

PAYLOAD_VERSION = 2
#: Without ``check=``, the gradient check runs for walks of at most this many steps.
CHECK_LIMIT = 1000
#: The node states the viewer's legend may list, in this order (those some frame shows).
STATES_SHOWN = ("forward", "pending", "current", "done", "failed", "nonfinite", "inherited")
#: Arrays up to this many values are listed in the hover card; bigger ones are summarised (min / mean / max).
MAX_LISTED = 6

_FONT_SIZE = re.compile(r'<text\b[^>]*font-size="([\d.]+)"')
_BACKGROUND = re.compile(r'<polygon fill="#([0-9a-fA-F]{6})"')
_NODE_STATE = re.compile(r'<g id="node\d+" class="node (\w+)')


class StepSource(Protocol):
    """What :func:`build_payload` reads from a stepper model (``viz.StepperModel`` has all of it).

    Attributes
    ----------
    lang : str
        ``"en"`` or ``"ru"``.
    direction : str
        ``"backward"`` or ``"forward"``.
    n_steps : int
        The number of steps.
    step_index : int
        The current step (the payload starts there).
    steps : sequence
        One record per step with ``.node`` (the node id of the op call).
    nodes : sequence of int
        The drawn nodes.
    graph : object
        With ``.nx``, the networkx graph whose node attributes follow ``graphviz_autodiff.graph``'s schema
        (``kind``, ``label``, ``op_class``, ``value``, ``shape``, ``dtype``, ``grad``).
    names : GraphNames
        The names of the nodes (``.name(node)``) and of the loss (``.loss``), as the frames show them.
    options : dict
        The render options of the frames (``theme`` is read).
    report : object or None
        The gradient-check report (``.nodes``: records with ``.node``, ``.kind``, ``.inherits_from``), once
        known.

    Methods
    -------
    svg(k) -> str
        The SVG of frame ``k``; all frames share one layout.
    lines(k) -> list of str
        The text panel of step ``k``.
    chain_lines(k) -> list of str
        The chain-rule lines of step ``k``, with the graph's names.
    problem_title(k, check=...) -> str or None
        Why "next problem" stops at step ``k``, in words.
    step_of(node) -> int
        The step ``run to`` goes to for a node id.
    title(node) -> str
        A node's title (``Linear (z)``).
    """

    lang: str
    direction: str
    step_index: int
    nodes: Sequence[int]
    graph: Any
    names: Any
    options: dict[str, Any]

    @property
    def n_steps(self) -> int: ...

    @property
    def steps(self) -> Sequence[Any]: ...

    @property
    def report(self) -> Any: ...

    def svg(self, k: int | None = None) -> str: ...

    def lines(self, k: int | None = None) -> list[str]: ...

    def chain_lines(self, k: int | None = None) -> list[str]: ...

    def problem_title(self, k: int | None = None, *, check: bool = True) -> str | None: ...

    def step_of(self, target: Any) -> int: ...

    def title(self, node: int) -> str: ...


# -- numbers ----------------------------------------------------------------------------------------------
def _number(x: Any) -> str:
    """One number, 4 significant digits (``nan``, ``inf`` as such)."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x:.4g}"
    return "0" if text == "-0" else text


def _listed(a: np.ndarray) -> str:
    if a.ndim == 0:
        return _number(a.item())
    return "[" + ", ".join(_listed(row) for row in a) + "]"


def summarize(value: Any, max_listed: int = MAX_LISTED) -> dict[str, Any] | None:
    """A JSON summary of an array for the hover card (``None`` for ``None``).

    Returns
    -------
    dict or None
        ``shape`` (list), ``dtype`` (str), ``size``; ``values`` (the values as text) when there are at
        most ``max_listed``, else ``None``; ``min``, ``mean``, ``max`` over the finite values (text) when
        there are more, else ``None``; ``nan`` and ``inf``, the counts of NaN and ±Inf.

    Examples
    --------
    >>> summarize(np.array([1.0, 2.5]))["values"]
    '[1, 2.5]'
    >>> s = summarize(np.array([0.0, 1.0, np.nan, np.inf, 3.0, 4.0, 5.0]))
    >>> s["values"], s["min"], s["mean"], s["max"], s["nan"], s["inf"]
    (None, '0', '2.6', '5', 1, 1)
    """
    if value is None:
        return None
    a = np.asarray(value)
    numeric = a.dtype.kind in "biuf"
    out: dict[str, Any] = {
        "shape": [int(d) for d in a.shape],
        "dtype": str(a.dtype),
        "size": int(a.size),
        "values": None,
        "min": None,
        "mean": None,
        "max": None,
        "nan": 0,
        "inf": 0,
    }
    if not numeric:
        text = str(a)
        out["values"] = text if len(text) <= 200 else text[:199] + "…"
        return out
    if a.dtype.kind == "f":
        out["nan"], out["inf"] = int(np.isnan(a).sum()), int(np.isinf(a).sum())
    if a.size <= max_listed:
        out["values"] = _listed(a)
        return out
    finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a.ravel()
    if finite.size:
        out["min"], out["mean"], out["max"] = (_number(f(finite)) for f in (np.min, np.mean, np.max))
    return out


# -- nodes ------------------------------------------------------------------------------------------------
def _node_chain(model: StepSource, node: int, step_nodes: dict[int, int]) -> list[str]:
    """An op call's own chain-rule lines; for a leaf, the lines of its consumers that give ``∂L/∂<leaf>``."""
    if node in step_nodes:
        return [str(line) for line in model.chain_lines(step_nodes[node])]
    lhs = f"∂{model.names.loss}/∂{model.names.name(node)}"
    out: list[str] = []
    for consumer in sorted(model.graph.nx.successors(node)):
        if consumer in step_nodes:
            for line in model.chain_lines(step_nodes[consumer]):
                if line.startswith(lhs) and line[len(lhs) : len(lhs) + 1] in (" ", "=") and line not in out:
                    out.append(str(line))
    return out


def _inherited(model: StepSource) -> dict[int, str]:
    """``{node: the culprit's title}`` of the nodes the report says receive a wrong gradient."""
    report = model.report if model.direction == "backward" else None
    drawn = set(model.nodes)
    out = {}
    for record in getattr(report, "nodes", None) or ():
        node = getattr(record, "node", None)
        if getattr(record, "kind", None) == INHERITS_WRONG and node in drawn:
            culprit = getattr(record, "inherits_from", None)
            out[int(node)] = model.title(culprit) if culprit in drawn else "?"
    return out


def _nodes(model: StepSource, cards: bool = True) -> list[dict[str, Any]]:
    """Every drawn node's entry; without ``cards`` (fallback frames: no node to hover) no values or formulas."""
    G = model.graph.nx
    step_nodes = {int(s.node): i + 1 for i, s in enumerate(model.steps)}
    backward = model.direction == "backward"
    inherited = _inherited(model)
    out = []
    for node in sorted(int(n) for n in model.nodes):
        attrs = G.nodes[node]
        step = int(model.step_of(node))
        kind = str(attrs.get("kind"))
        out.append(
            {
                "id": node,
                "element": f"node{node}",
                "title": model.title(node),
                "label": str(attrs.get("label")),
                "name": model.names.name(node),
                "kind": kind,
                "op": attrs.get("op_class") if kind == "op" else None,
                "shape": [int(d) for d in (attrs.get("shape") or ())],
                "dtype": None if attrs.get("dtype") is None else str(attrs["dtype"]),
                "value": summarize(attrs.get("value")) if cards else None,
                "grad": summarize(attrs.get("grad")) if backward and cards else None,
                "value_step": 0 if backward or kind != "op" else step,
                "grad_step": step if backward else None,
                "step": step,
                "chain": _node_chain(model, node, step_nodes) if cards else [],
                "inherited_from": inherited.get(node),
            }
        )
    return out


# -- the view ---------------------------------------------------------------------------------------------
def _text_size(svg: dict[str, Any]) -> float:
    """The most common font size of the text in node groups (the values' size); ties go to the smaller."""
    sizes: Counter[float] = Counter()
    for element, variants in svg["elements"]:
        if element.startswith("node"):
            for text in variants:
                sizes.update(float(s) for s in _FONT_SIZE.findall(text))
    if not sizes:
        return 14.0
    return min(sizes, key=lambda s: (-sizes[s], s))


def _background(svg: dict[str, Any]) -> str | None:
    """The drawing's background colour (``#rrggbb``), if it has one."""
    m = _BACKGROUND.search(svg["skeleton"][0])
    return f"#{m.group(1).lower()}" if m else None


def _tone(colour: str | None) -> str:
    """``"dark"`` for a dark background colour, else ``"light"``."""
    if colour is None:
        return "light"
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "dark" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 else "light"


def _legend(svg: dict[str, Any], theme: Any, lang: str) -> list[dict[str, str]]:
    """The node states some frame shows, in the drawing's order, with their words and colours."""
    from graphviz_autodiff.i18n import tr

    shown = {m.group(1) for element, variants in svg["elements"] for text in variants if (m := _NODE_STATE.match(text))}
    t = get_theme(theme)
    out = []
    for state in STATES_SHOWN:
        if state in shown:
            fill, border = state_colours(state, t)
            out.append({"state": state, "label": tr(f"state.{state}", lang), "fill": fill, "border": border})
    return out


def _frames(model: StepSource, n: int) -> dict[str, Any]:
    """The compact frames, or ``{"format": "error", "message": ...}`` when Graphviz cannot draw them."""
    from graphviz_autodiff.i18n import tr

    try:
        return compact([model.svg(k) for k in range(n + 1)])
    except (VizError, OSError) as error:  # no Graphviz, or it failed: the texts still work
        message = tr("status.draw_error", model.lang, error=f"{type(error).__name__}: {error}")
        return {"format": "error", "message": message, "elements": [], "skeleton": [""]}


def build_payload(
    model: StepSource,
    *,
    title: str | None = None,
    start: int | None = None,
    check: bool | None = None,
    min_font_px: float = 11.0,
    max_height: float = 0.62,
    min_height_px: int = 240,
) -> dict[str, Any]:
    """The viewer's payload for a stepper model (schema in the module docstring).

    Parameters
    ----------
    model : StepSource
        A :class:`viz.StepperModel` (or any object with the same public API).
    title : str, optional
        A heading (default: the page title of the walk's direction, in the model's language).
    start : int, optional
        The step shown first (default: ``model.step_index``).
    check : bool, optional
        Find the steps that fail the gradient check too (runs :func:`graphviz_autodiff.debug.check`
        once, unless the model has a report), not only exceptions and NaN/Inf; the check also tells which
        nodes only receive a wrong gradient (state ``inherited``). Default: for walks of at most
        :data:`CHECK_LIMIT` steps (the check of a bigger graph takes seconds).
    min_font_px : float, default 11
        The smallest on-screen size of value text the initial zoom allows (CSS px).
    max_height : float, default 0.62
        The picture is at most this fraction of the window's height.
    min_height_px : int, default 240
        The picture is at least this tall.

    Returns
    -------
    dict
        JSON types only; ``json.dumps`` gives the same text for the same model every time.

    Raises
    ------
    ValueError
        A bad ``start``, ``min_font_px``, ``max_height`` or ``min_height_px``, or frames that do not share
        one layout.
    """
    from graphviz_autodiff.i18n import tr

    n = int(model.n_steps)
    start = int(model.step_index) if start is None else start
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not 0 <= start <= n:
        raise ValueError(f"build_payload: start must be a step between 0 and {n}, got {start!r}")
    if not (isinstance(min_font_px, (int, float)) and min_font_px > 0):
        raise ValueError(f"build_payload: min_font_px must be a positive number, got {min_font_px!r}")
    if not (isinstance(max_height, (int, float)) and 0 < max_height <= 1):
        raise ValueError(f"build_payload: max_height must be a fraction in (0, 1], got {max_height!r}")
    if isinstance(min_height_px, bool) or not isinstance(min_height_px, int) or min_height_px < 1:
        raise ValueError(f"build_payload: min_height_px must be a positive int, got {min_height_px!r}")
    lang = model.lang
    check = n <= CHECK_LIMIT if check is None else bool(check)
    # Problems first: the gradient check they may run adds its findings to the texts and the frames.
    problems = [None] + [model.problem_title(k, check=check) for k in range(1, n + 1)]
    svg = _frames(model, n)
    steps = [{"node": int(s.node), "element": f"node{int(s.node)}", "title": model.title(s.node)} for s in model.steps]
    ids = {element for element, _ in svg["elements"]}
    fallback = svg["format"] == "splice" and any(step["element"] not in ids for step in steps)
    background = _background(svg)
    return {
        "version": PAYLOAD_VERSION,
        "lang": lang,
        "direction": model.direction,
        "title": title if title is not None else tr(f"html.title_{model.direction}", lang),
        "n_steps": n,
        "start": int(start),
        "strings": strings(lang),
        "svg": svg,
        "steps": steps,
        "texts": [[str(line) for line in model.lines(k)] for k in range(n + 1)],
        "problems": problems,
        "nodes": _nodes(model, cards=not fallback),
        "legend": _legend(svg, model.options.get("theme", "lecture"), lang),
        "view": {
            "text_size": _text_size(svg),
            "min_font_px": float(min_font_px),
            "natural_zoom": 4 / 3,
            "max_height": float(max_height),
            "min_height_px": min_height_px,
            "background": background,
            "picture": _tone(background),
            "fallback": fallback,
        },
    }
