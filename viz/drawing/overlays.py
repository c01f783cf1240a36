"""The drawing's overlay colours, caption and legend.

:func:`overlay_colours` colours the drawn units by gradient norm, by
magnitude (log scale) or by NaN/Inf; :func:`caption` builds the text under or
over the graph: title, gradient-check summary, and the :func:`legend` of
node kinds, states, notation and the overlay's colour bar.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphviz_autodiff.i18n import tr
from graphviz_autodiff.util import has_nonfinite

from ..themes import Theme, scale_colour
from .labels import MAX_NAME, array_norm, clip, escape, font, format_scalar, grad_font, split_lines
from .nodes import Unit, state_colours
from .options import RenderOptions
from .states import INHERITS_WRONG

__all__ = ["Presence", "Scale", "caption", "legend", "overlay_colours"]

_TITLE_LINES = 3  # a title with line breaks is drawn on at most this many lines

#: The overlay's log10 range ``(low, high)``, or ``None`` when it has none.
Scale = tuple[float, float] | None


@dataclass(frozen=True)
class Presence:
    """What a picture shows, for a legend of only what is there (``legend="present"``).

    Attributes
    ----------
    kinds, states : frozenset of str
        Kinds (``input``, ``op``, ``group``...) and states of the drawn units.
    dashes : bool
        Some value row shows a gradient not computed yet (``—``).
    grads : bool
        Some unit shows a gradient (so edges may carry ``←`` gradients).
    """

    kinds: frozenset[str] = frozenset()
    states: frozenset[str] = frozenset()
    dashes: bool = False
    grads: bool = False

    @classmethod
    def of(cls, units: Iterable[Unit]) -> Presence:
        """What the drawn ``units`` show."""
        units = list(units)
        return cls(
            kinds=frozenset(u.kind for u in units),
            states=frozenset(u.state for u in units),
            dashes=any(u.grad is None and u.shape is not None for u in units),
            grads=any(u.grad is not None for u in units),
        )


def overlay_colours(units: Iterable[Unit], overlay: str | None, theme: Theme) -> tuple[dict[str, str], Scale]:
    """Fill colours ``{unit name: colour}`` of an overlay, and its log10 range for the colour bar."""
    if overlay is None:
        return {}, None
    t = theme
    colours: dict[str, str] = {}
    if overlay == "nonfinite":
        for unit in units:
            bad = has_nonfinite(unit.value) or has_nonfinite(unit.grad)
            colours[unit.name] = t.nonfinite_fill if bad else t.overlay_scale[0]
        return colours, None
    metric = {}
    for unit in units:
        if overlay == "grad_norm":
            metric[unit.name] = None if unit.grad is None else array_norm(unit.grad)
        else:
            metric[unit.name] = None if unit.value is None else _max_abs(unit.value)
    logs = [math.log10(m) for m in metric.values() if m is not None and math.isfinite(m) and m > 0]
    lo, hi = (min(logs), max(logs)) if logs else (0.0, 0.0)
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
    return colours, ((lo, hi) if logs else None)


def caption(opts: RenderOptions, title: str | None, scale: Scale, present: Presence | None = None) -> str | None:
    """The HTML-like graph label: title, report summary and legend (``None`` if there is nothing)."""
    t = opts.theme
    rows = []
    if title:
        lines = split_lines(title)
        if len(lines) > _TITLE_LINES:
            lines = [*lines[: _TITLE_LINES - 1], lines[_TITLE_LINES - 1] + " …"]
        text_lines = "<BR/>".join(escape(clip(line, 2 * MAX_NAME)) for line in lines)
        rows.append(f"<TR><TD>{font('<B>' + text_lines + '</B>', size=t.title_fontsize)}</TD></TR>")
    if opts.report is not None:
        rows.append(f"<TR><TD>{_report_summary(opts)}</TD></TR>")
    if opts.legend:
        rows.append(f"<TR><TD>{legend(opts, scale, present or Presence())}</TD></TR>")
    if not rows:
        return None
    return '<<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="2">' + "".join(rows) + "</TABLE>>"


def _report_summary(opts: RenderOptions) -> str:
    t = opts.theme
    kinds = [str(getattr(r, "kind", "ok")) for r in opts.report.nodes]
    inherited = kinds.count(INHERITS_WRONG)
    bad = len(kinds) - kinds.count("ok") - inherited
    if inherited:
        summary = tr("label.report_inherited", opts.lang, bad=bad, n=len(kinds), inherited=inherited)
    else:
        summary = tr("label.report", opts.lang, bad=bad, n=len(kinds))
    return font(escape(summary), colour=t.failed if bad or inherited else t.done, size=t.small_fontsize)


def legend(opts: RenderOptions, scale: Scale, present: Presence) -> str:
    """The legend table: node kinds, states, notation, and the overlay's colour bar.

    ``opts.legend`` chooses the entries: ``"standard"`` every kind and state
    (``inherited`` only with a report or an inherited node), ``"all"`` every
    one, ``"present"`` only what ``present`` says the picture shows, in one row.
    """
    t = opts.theme
    lang = opts.lang
    size = t.small_fontsize
    mode = opts.legend

    def cell(label: str, fill: str, border: str, width: float = 1.0, style: str = "") -> str:
        content = font(escape(label), colour=t.text, size=size)
        return f'<TD BGCOLOR="{fill}" COLOR="{border}" BORDER="{max(1, round(width))}"{style}>{content}</TD>'

    kinds = {
        "input": cell(tr("node.input", lang), t.input_fill, t.border),
        "parameter": cell(tr("node.parameter", lang), t.parameter_fill, t.border, 2),
        "op": cell(tr("node.op", lang), t.op_fill, t.border, 1, ' STYLE="rounded"'),
        "constant": cell(tr("node.constant", lang), t.constant_fill, t.border),
        "group": cell(tr("node.group", lang), t.group_fill, t.border),
    }
    widths = {"forward": 1, "pending": 1, "current": 3}
    states = {
        state: cell(tr(f"state.{state}", lang), *state_colours(state, t), widths.get(state, 2))
        for state in ("forward", "pending", "current", "done", "failed", "nonfinite", "inherited")
    }
    notes = {
        "dashes": f"<TD>{font(escape(tr('legend.not_computed', lang)), colour=t.muted, size=size)}</TD>",
        "grads": f"<TD>{grad_font(font(escape(tr('legend.edge_grad', lang)), size=size), t)}</TD>",
    }
    if mode == "present":
        kinds = {k: v for k, v in kinds.items() if k in present.kinds}
        states = {k: v for k, v in states.items() if k in present.states}
        notes = {k: v for k, v in notes.items() if getattr(present, k)}
    elif mode == "standard" and opts.report is None and "inherited" not in present.states:
        del states["inherited"]
    cells = list(notes.values())
    if opts.heatmap:
        cells.append(f"<TD>{font(escape(tr('legend.heatmap', lang)), colour=t.muted, size=size)}</TD>")
    heading = font("<B>" + escape(tr("legend.title", lang)) + "</B>", size=t.fontsize * 0.8)
    if mode == "present":  # short: one row, under a picture of any shape
        rows = [_inner_row([f"<TD>{heading}</TD>", *kinds.values(), *states.values(), *cells], spacing=6)]
    else:
        rows = [f'<TR><TD ALIGN="LEFT">{heading}</TD></TR>']
        rows += [_inner_row(list(group.values())) for group in (kinds, states) if group]
        if cells:
            rows.append(_inner_row(cells, spacing=8))
    if opts.overlay is not None:
        rows.append(f"<TR><TD>{_colour_bar(opts, scale)}</TD></TR>")
    return (
        '<TABLE BORDER="1" CELLBORDER="0" COLOR="'
        + t.cluster_border
        + '" CELLSPACING="3" CELLPADDING="2" BGCOLOR="'
        + t.background
        + '">'
        + "".join(rows)
        + "</TABLE>"
    )


def _colour_bar(opts: RenderOptions, scale: Scale) -> str:
    t = opts.theme
    lang = opts.lang
    size = t.small_fontsize
    name = escape(tr(f"overlay.{opts.overlay}", lang))
    cells = [f"<TD>{font(name, size=size)}</TD>"]
    if opts.overlay == "nonfinite":
        cells.append(
            f'<TD BGCOLOR="{t.overlay_scale[0]}" BORDER="1">{font(escape(tr("overlay.finite", lang)), size=size)}</TD>'
        )
        cells.append(f'<TD BGCOLOR="{t.nonfinite_fill}" BORDER="1">{font("NaN / Inf", size=size)}</TD>')
    else:
        lo, hi = scale if scale is not None else (0.0, 0.0)
        cells.append(f"<TD>{font(escape(format_scalar(10.0**lo, 2)), size=size)}</TD>")
        for i in range(8):
            colour = scale_colour(t.overlay_scale, i / 7)
            cells.append(f'<TD BGCOLOR="{colour}" WIDTH="16" HEIGHT="12" FIXEDSIZE="TRUE"></TD>')
        cells.append(f"<TD>{font(escape(format_scalar(10.0**hi, 2)), size=size)}</TD>")
        cells.append(
            f'<TD BGCOLOR="{t.overlay_missing}" BORDER="1">{font(escape(tr("overlay.no_data", lang)), size=size)}</TD>'
        )
    return _inner_table(cells, spacing=1)


def _inner_table(cells: list[str], spacing: int = 4) -> str:
    return f'<TABLE BORDER="0" CELLSPACING="{spacing}" CELLPADDING="3"><TR>' + "".join(cells) + "</TR></TABLE>"


def _inner_row(cells: list[str], spacing: int = 4) -> str:
    return f'<TR><TD ALIGN="LEFT">{_inner_table(cells, spacing)}</TD></TR>'


def _max_abs(a: Any) -> float:
    a = np.asarray(a)
    if a.dtype.kind not in "fciub" or a.size == 0:
        return float("nan")
    if has_nonfinite(a):
        return float("inf")
    return float(np.abs(a).max())
