"""Groups in a drawing: cluster paths, collapsing, and emitting nested clusters.

This module's one job is :class:`_Clusters`, a mixin of the renderer
(:class:`viz.drawing.builder._Builder`): it finds the cluster path of every node
(parameters join their consumers' common group), enforces ``max_nodes``
(falling back to the collapsed view), turns nodes and collapsed groups into
drawn units, and writes the nested ``cluster_*`` subgraphs.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from graphviz_autodiff.i18n import tr

from .labels import escape, font
from .nodes import _Unit

if TYPE_CHECKING:
    from .builder import Diagram


class _Clusters:
    """Mixin of :class:`viz.drawing.builder._Builder`: cluster paths, collapsed groups and nested clusters."""

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
            unit.var = attrs["name"] or tr("label.out", lang)
            unit.value = attrs["value"]
            unit.grad = self.grads[out]
            unit.shape = attrs["shape"]
            unit.dtype = attrs["dtype"]
        for n in inside:
            unit.notes.extend(self.notes.get(n, []))

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
    return tr("label.params", lang, n=n, count=f"{n:,}".replace(",", " "))
