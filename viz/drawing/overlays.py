"""The drawing's overlay colours, caption and legend.

This module's one job is :class:`_Overlays`, a mixin of the renderer
(:class:`viz.drawing.builder._Builder`): it colours nodes by gradient norm, by
magnitude (log scale) or by NaN/Inf, and builds the caption under or over
the graph: title, gradient-check summary, and the legend of node kinds,
states, notation and the overlay's colour bar.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from graphviz_autodiff.i18n import tr
from graphviz_autodiff.util import has_nonfinite

from ..themes import scale_colour
from .labels import array_norm, escape, font, format_scalar

if TYPE_CHECKING:
    from .nodes import _Unit


class _Overlays:
    """Mixin of :class:`viz.drawing.builder._Builder`: overlay colours, caption and legend."""

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
                bad = has_nonfinite(unit.value) or has_nonfinite(unit.grad)
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
            summary = escape(tr("label.report", o.lang, bad=bad, n=len(records)))
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
            cell(tr("node.input", lang), t.input_fill, t.border),
            cell(tr("node.parameter", lang), t.parameter_fill, t.border, 2),
            cell(tr("node.op", lang), t.op_fill, t.border, 1, ' STYLE="rounded"'),
            cell(tr("node.constant", lang), t.constant_fill, t.border),
            cell(tr("node.group", lang), t.group_fill, t.border),
        ]
        states = [
            cell(tr("state.forward", lang), t.op_fill, t.border),
            cell(tr("state.pending", lang), t.op_fill, t.pending),
            cell(tr("state.current", lang), t.current_fill, t.current, 3),
            cell(tr("state.done", lang), t.op_fill, t.done, 2),
            cell(tr("state.failed", lang), t.failed_fill, t.failed, 2),
            cell(tr("state.nonfinite", lang), t.nonfinite_fill, t.nonfinite, 2),
        ]
        notes = [
            f"<TD>{font(escape(tr('legend.not_computed', lang)), colour=t.muted, size=size)}</TD>",
            f"<TD>{self._grad_font(font(escape(tr('legend.edge_grad', lang)), size=size))}</TD>",
        ]
        if o.heatmap:
            notes.append(f"<TD>{font(escape(tr('legend.heatmap', lang)), colour=t.muted, size=size)}</TD>")
        heading = font("<B>" + escape(tr("legend.title", lang)) + "</B>", size=t.fontsize * 0.8)
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
        name = escape(tr(f"overlay.{o.overlay}", lang))
        cells = [f"<TD>{font(name, size=size)}</TD>"]
        if o.overlay == "nonfinite":
            finite = font(escape(tr("overlay.finite", lang)), size=size)
            cells.append(f'<TD BGCOLOR="{t.overlay_scale[0]}" BORDER="1">{finite}</TD>')
            cells.append(f'<TD BGCOLOR="{t.nonfinite_fill}" BORDER="1">{font("NaN / Inf", size=size)}</TD>')
        else:
            lo, hi = self.scale if self.scale is not None else (0.0, 0.0)
            cells.append(f"<TD>{font(escape(format_scalar(10.0**lo, 2)), size=size)}</TD>")
            for i in range(8):
                colour = scale_colour(t.overlay_scale, i / 7)
                cells.append(f'<TD BGCOLOR="{colour}" WIDTH="16" HEIGHT="12" FIXEDSIZE="TRUE"></TD>')
            cells.append(f"<TD>{font(escape(format_scalar(10.0**hi, 2)), size=size)}</TD>")
            no_data = font(escape(tr("overlay.no_data", lang)), size=size)
            cells.append(f'<TD BGCOLOR="{t.overlay_missing}" BORDER="1">{no_data}</TD>')
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
