"""How one drawn node and one edge look: the HTML-like labels and DOT attributes.

A :class:`Unit` is one drawn node (a graph node or a collapsed group).
:func:`node_unit` makes the unit of a graph node (its header with folded
constants), :func:`node_attrs` its DOT attributes (label table with shape,
value, ∂L/∂ row, heat-maps and notes; fill, border, style), and
:func:`add_edges` writes the edges with their shape and gradient labels.
Each function receives what it reads as arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import graphviz
import networkx as nx
import numpy as np

from graphviz_autodiff.i18n import tr

from ..themes import Theme
from .labels import array_norm, clip, escape, font, format_scalar, format_value, grad_font, heatmap_table
from .options import RenderOptions
from .states import NodeFacts

__all__ = ["Unit", "add_edges", "node_attrs", "node_label", "node_unit", "shape_text", "short", "state_colours"]

_PEN = {
    "forward": 1.0,
    "pending": 0.8,
    "current": 2.2,
    "done": 1.2,
    "failed": 2.0,
    "nonfinite": 2.0,
    "inherited": 2.0,
}

_SYMBOLS = {"Mul": ("×", "×"), "Add": ("+", "+"), "Sub": ("−", "−"), "Div": ("÷", "÷"), "Pow": ("^", "^")}


@dataclass
class Unit:
    """One drawn node: a graph node, or a collapsed group."""

    name: str  # DOT node name
    kind: str
    header: str  # escaped HTML
    tag: str = ""  # escaped HTML, muted, after the header
    var: str = ""  # the value's name in keys (z, θ, μ)
    loss: str = "L"  # the loss's name in keys (∂L/∂z, ∂ℓ/∂z)
    value: Any = None
    grad: Any = None  # None: not computed yet
    shape: tuple | None = None
    dtype: str = "float64"
    state: str = "forward"
    notes: list[str] = field(default_factory=list)  # escaped HTML rows (errors, report)
    cluster: tuple[str, ...] = ()
    order: int = 0
    node: int | None = None  # the graph node whose value and gradient are shown


def node_unit(G: nx.DiGraph, n: int, path: tuple[str, ...], order: int, facts: NodeFacts, lang: str) -> Unit:
    """The unit of graph node ``n``, drawn in the cluster ``path``."""
    attrs = G.nodes[n]
    kind = attrs["kind"]
    label = clip(attrs["label"])
    if kind == "op":
        header = escape(_op_header(G, n, label, attrs, facts.folded.get(n)))
        tag = tr("label.call", lang, n=attrs["call_index"] + 1) if attrs.get("call_index") else ""
    else:
        header = escape(label)
        tag = tr(f"node.{kind}", lang) if kind in ("input", "parameter") else ""
    var = facts.names.get(n, label)
    return Unit(
        name=f"n{n}",
        kind=kind,
        header=header,
        tag=escape(tag),
        var=str(var),
        loss=facts.loss,
        value=attrs["value"],
        grad=facts.grads[n],
        shape=attrs["shape"],
        dtype=attrs["dtype"],
        state=facts.state[n],
        notes=facts.notes.get(n, []),
        cluster=path,
        order=order,
        node=n,
    )


def _op_header(G: nx.DiGraph, n: int, label: str, attrs: dict, consts: list[tuple[int, str]] | None) -> str:
    if not consts:
        return label
    op_class = attrs["op_class"]
    n_args = 1 + max([p for p, _ in consts] + [p for u in G.predecessors(n) for p in G.edges[u, n]["args"]])
    if len(consts) == 1 and n_args == 2 and label == op_class and op_class in _SYMBOLS:
        position, value = consts[0]
        symbol = _SYMBOLS[op_class][position]
        return f"{symbol}{value}" if position == 1 or op_class in ("Mul", "Add") else f"{value}{symbol}"
    args = ["·"] * n_args
    for position, value in consts:
        args[position] = value
    return f"{label}({', '.join(args)})"


def state_colours(state: str, theme: Theme, kind: str = "op") -> tuple[str, str]:
    """``(fill, border)`` of a node of ``kind`` drawn in ``state`` (the legend and the viewer use them too).

    The states ``current``, ``failed``, ``nonfinite`` and ``inherited`` have a fill of their own; the
    others keep the kind's fill and only colour the border.

    >>> from viz.themes import get_theme
    >>> state_colours("inherited", get_theme("lecture"))
    ('#ffd3a6', '#e65100')
    """
    t = theme
    fill = {
        "input": t.input_fill,
        "parameter": t.parameter_fill,
        "op": t.op_fill,
        "constant": t.constant_fill,
        "group": t.group_fill,
    }.get(kind, t.op_fill)
    fill = {
        "current": t.current_fill,
        "failed": t.failed_fill,
        "nonfinite": t.nonfinite_fill,
        "inherited": t.inherited_fill,
    }.get(state, fill)
    border = {
        "forward": t.border,
        "pending": t.pending,
        "current": t.current,
        "done": t.done,
        "failed": t.failed,
        "nonfinite": t.nonfinite,
        "inherited": t.inherited,
    }[state]
    return fill, border


def node_attrs(unit: Unit, opts: RenderOptions, metric_colour: str | None) -> dict[str, str]:
    """The DOT attributes of a unit (``metric_colour``: its overlay fill, if any)."""
    t = opts.theme
    state = unit.state
    kind = unit.kind
    fill, colour = state_colours(state, t, kind)
    if metric_colour is not None:
        fill = metric_colour
    style = ["filled"]
    if kind in ("op", "constant"):
        style.append("rounded")
    if state == "pending":
        style.append("dashed")
    if state == "inherited":
        style.append("diagonals")  # marked corners: told apart without colour too
    attrs = {
        "label": node_label(unit, opts),
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


# -- labels ---------------------------------------------------------------------------------------------
def node_label(unit: Unit, opts: RenderOptions) -> str:
    """The HTML-like label of a unit: header, shape, value and gradient rows, notes."""
    t = opts.theme
    if unit.kind == "constant":
        body = '<BR ALIGN="LEFT"/>'.join(format_value(unit.value, opts.precision, opts.max_array, opts.lang))
        return f"<{font(body, face=t.value_fontname)}>"
    rows = []
    head = font(f"<B>{unit.header}</B>", size=t.fontsize)
    if unit.tag:
        head += " " + font(unit.tag, colour=t.muted, size=t.small_fontsize)
    rows.append(f'<TR><TD COLSPAN="2">{head}</TD></TR>')
    if opts.show_shapes and unit.shape is not None:
        shape = font(escape(shape_text(unit.shape, unit.dtype, opts.lang)), colour=t.muted, size=t.small_fontsize)
        rows.append(f'<TR><TD COLSPAN="2">{shape}</TD></TR>')
    if unit.shape is not None:
        rows.extend(_value_rows(unit, opts))
    for note in unit.notes:
        rows.append(f'<TR><TD COLSPAN="2" BALIGN="LEFT" ALIGN="LEFT">{note}</TD></TR>')
    table = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(rows) + "</TABLE>"
    return f"<{table}>"


def shape_text(shape: tuple, dtype: str, lang: str) -> str:
    """``(5, 4)``, ``(3,)`` or "scalar", followed by the dtype when it is not float64 (plain text)."""
    shape = tuple(shape)
    if shape == ():
        out = tr("label.scalar", lang)
    else:
        out = "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
    return out if dtype == "float64" else f"{out} {dtype}"


def _value_rows(unit: Unit, opts: RenderOptions) -> list[str]:
    t = opts.theme
    var = escape(short(unit.var))
    value_lines = format_value(unit.value, opts.precision, opts.max_array, opts.lang)
    rows = [_row(font(f"{var} =", colour=t.muted), value_lines, None, unit.value, opts)]
    key = f"∂{escape(short(unit.loss))}/∂{var}"
    if unit.grad is None:
        rows.append(_row(font(key + " =", colour=t.muted), [font("—", colour=t.muted)], None, None, opts))
    else:
        lines = format_value(unit.grad, opts.precision, opts.max_array, opts.lang)
        rows.append(_row(grad_font(key + " =", t), lines, "grad", unit.grad, opts))
    return rows


def _row(key: str, lines: list[str], style: str | None, array: Any, opts: RenderOptions) -> str:
    t = opts.theme
    body = '<BR ALIGN="LEFT"/>'.join(lines)
    body = font(body, face=t.value_fontname)
    if style == "grad":
        body = grad_font(body, t)
    row = f'<TR><TD ALIGN="RIGHT" VALIGN="TOP">{key}</TD><TD ALIGN="LEFT" BALIGN="LEFT">{body}</TD></TR>'
    if opts.heatmap and array is not None:
        table = heatmap_table(array, t)
        if table is not None:
            row += f'<TR><TD></TD><TD ALIGN="LEFT">{table}</TD></TR>'
    return row


# -- edges ------------------------------------------------------------------------------------------------
def add_edges(
    dg: graphviz.Digraph,
    G: nx.DiGraph,
    nodes: list[int],
    units: Mapping[Any, Unit],
    rep: Mapping[int, Any],
    opts: RenderOptions,
) -> None:
    """Write the edges between drawn units (edges inside a collapsed group vanish, parallel ones merge)."""
    merged: dict[tuple[Any, Any], list[tuple[int, int]]] = {}
    for u in nodes:
        for v in sorted(G.successors(u)):
            if v not in rep:
                continue
            ru, rv = rep[u], rep[v]
            if ru == rv:
                continue
            merged.setdefault((ru, rv), []).append((u, v))
    t = opts.theme
    for (ru, rv), items in merged.items():
        a, b = units[ru].name, units[rv].name
        attrs = {"id": f"edge_{a}_{b}"}
        is_param = all(G.edges[e]["param"] is not None for e in items)
        classes = ["param"] if is_param else []
        if is_param:
            attrs.update(color=t.param_edge, style="dashed")
        label = _edge_label(G, items, units[ru] if units[ru].node == items[0][0] else None, opts)
        if label:
            attrs["label"] = label[0]
            if label[1]:
                classes.append("grad")
        if classes:
            attrs["class"] = " ".join(classes)
        dg.edge(a, b, **attrs)


def _edge_label(
    G: nx.DiGraph, items: list[tuple[int, int]], producer: Unit | None, opts: RenderOptions
) -> tuple[str, bool] | None:
    """Shape, and the gradient flowing back: its name when it is all the producer gets, else its value."""
    t = opts.theme
    parts = []
    has_grad = False
    if len({u for u, _ in items}) == 1:
        u = items[0][0]
        if opts.show_shapes:
            attrs = G.nodes[u]
            parts.append(font(escape(shape_text(attrs["shape"], attrs["dtype"], opts.lang)), colour=t.muted))
        grads = [G.edges[e]["grad"] for e in items]
        if opts.show_edge_grads and all(g is not None for g in grads):
            total = np.asarray(grads[0] if len(grads) == 1 else sum(grads[1:], grads[0]))
            consumers = [v for v in G.successors(u) if G.edges[u, v]["grad"] is not None]
            if producer is not None and producer.grad is not None and len(consumers) == len(items):
                body = escape(f"∂{short(producer.loss)}/∂{short(producer.var)}")  # the producer's whole gradient
            elif total.size <= opts.max_array:
                body = " ".join(format_value(total, opts.precision, opts.max_array, opts.lang))
            else:
                body = escape(f"{tr('label.norm', opts.lang)} {format_scalar(array_norm(total), opts.precision)}")
            parts.append(grad_font(font("← " + body, face=t.value_fontname), t))
            has_grad = True
    if not parts:
        return None
    return "<" + "<BR/>".join(parts) + ">", has_grad


def short(s: str) -> str:
    """A name as written in keys and edge labels (``∂L/∂name``): at most 24 characters."""
    return clip(s, 24)
