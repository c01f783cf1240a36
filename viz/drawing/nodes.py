"""How one drawn node and one edge look: the HTML-like labels and DOT attributes.

This module's one job is :class:`_Nodes`, a mixin of the renderer
(:class:`viz.drawing.builder._Builder`), and :class:`_Unit`, one drawn node (a graph
node or a collapsed group): it builds a unit's header (with folded
constants), its label table (shape, value, ∂L/∂ row, heat-maps, notes), its
fill, border and style, and the edges with their shape and gradient labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from graphviz_autodiff.i18n import tr

from .labels import array_norm, escape, font, format_scalar, format_value, heatmap_table

if TYPE_CHECKING:
    from .builder import Diagram

_PEN = {"forward": 1.0, "pending": 0.8, "current": 2.2, "done": 1.2, "failed": 2.0, "nonfinite": 2.0}


_SYMBOLS = {"Mul": ("×", "×"), "Add": ("+", "+"), "Sub": ("−", "−"), "Div": ("÷", "÷"), "Pow": ("^", "^")}


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


class _Nodes:
    """Mixin of :class:`viz.drawing.builder._Builder`: units, their labels and attributes, and the edges."""

    def _node_unit(self, n: int, path: tuple[str, ...], order: int) -> _Unit:
        attrs = self.G.nodes[n]
        kind = attrs["kind"]
        lang = self.opts.lang
        if kind == "op":
            label = str(attrs["label"])
            header = escape(self._op_header(n, label, attrs))
            tag = tr("label.call", lang, n=attrs["call_index"] + 1) if attrs.get("call_index") else ""
            var = attrs["name"] or tr("label.out", lang)
        else:
            label = str(attrs["label"])
            header = escape(label)
            tag = tr(f"node.{kind}", lang) if kind in ("input", "parameter") else ""
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
            out = tr("label.scalar", self.opts.lang)
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
                    body = escape(f"{tr('label.norm', o.lang)} {format_scalar(array_norm(total), o.precision)}")
                parts.append(self._grad_font(font("← " + body, face=t.value_fontname)))
                has_grad = True
        if not parts:
            return None
        return "<" + "<BR/>".join(parts) + ">", has_grad


def _short(s: str, limit: int = 24) -> str:
    return s if len(s) <= limit else s[: limit - 1] + "…"
