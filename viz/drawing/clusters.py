"""Groups in a drawing: cluster paths, collapsing, and emitting nested clusters.

:func:`cluster_paths` finds the cluster path of every node (parameters join
their consumers' common group), :func:`collapse_depth` enforces ``max_nodes``
(falling back to the collapsed view), :func:`make_units` turns nodes and
collapsed groups into drawn :class:`~viz.drawing.nodes.Unit` s, and
:func:`emit_units` writes them inside nested ``cluster_*`` subgraphs.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import graphviz
import networkx as nx

from graphviz_autodiff.i18n import tr

from ..themes import Theme
from .labels import clip, escape, font
from .nodes import Unit, node_attrs, node_unit
from .options import RenderOptions
from .states import NodeFacts

__all__ = ["cluster_paths", "collapse_depth", "count_units", "emit_units", "make_units"]

Paths = dict[int, tuple[str, ...]]


def cluster_paths(G: nx.DiGraph, groups: Mapping[str, Any], nodes: list[int]) -> Paths:
    """Cluster path (group keys, outermost first) of every node of ``nodes``."""
    paths: Paths = {}
    selected = set(nodes)
    for n in nodes:
        attrs = G.nodes[n]
        if attrs["kind"] == "op":
            paths[n] = tuple(k for k in attrs["groups"] if k in groups)
    for n in nodes:
        if n in paths:
            continue
        if G.nodes[n]["kind"] in ("parameter", "constant"):
            consumers = [paths[v] for v in sorted(G.successors(n)) if v in selected and v in paths]
            paths[n] = _common_prefix(consumers) if consumers else ()
        else:
            paths[n] = ()
    return paths


def count_units(paths: Paths, nodes: list[int], depth: int | None) -> int:
    """How many units are drawn when the groups ``depth`` deep are collapsed (``None``: none are)."""
    if depth is None:
        return len(nodes)
    return len({paths[n][depth] if len(paths[n]) > depth else n for n in nodes})


def collapse_depth(paths: Paths, nodes: list[int], depth: int | None, limit: int | None) -> int | None:
    """The collapse depth to draw with: ``depth``, or 0 when that alone brings the drawing under ``limit``.

    Warns (:class:`UserWarning`) whenever the drawing has more than ``limit`` units.
    """
    count = count_units(paths, nodes, depth)
    if limit is None or count <= limit:
        return depth
    advice = (
        f"render: {count} nodes to draw, more than max_nodes={limit}; a drawing this big is slow and hard to "
        f"read. Pass collapse=True to draw each group as one node, render a tensor to draw only what it "
        f"depends on, or only_grad_path=True; max_nodes=None turns this check off."
    )
    if depth is None and any(paths.values()):
        collapsed = count_units(paths, nodes, 0)
        if collapsed <= limit:
            warnings.warn(
                advice + f" Drawing the collapsed view ({collapsed} nodes) instead.", UserWarning, stacklevel=3
            )
            return 0
    warnings.warn(advice + " Drawing all of it.", UserWarning, stacklevel=3)
    return depth


# -- units (drawn nodes) ------------------------------------------------------------------------------------
def make_units(
    G: nx.DiGraph,
    groups: Mapping[str, Any],
    nodes: list[int],
    paths: Paths,
    depth: int | None,
    facts: NodeFacts,
    lang: str,
) -> tuple[dict[Any, Unit], dict[int, Any]]:
    """The drawn units, and ``{graph node: the key of the unit that draws it}``."""
    rep: dict[int, Any] = {}
    members: dict[str, list[int]] = {}
    units: dict[Any, Unit] = {}
    for order, n in enumerate(nodes):
        path = paths[n]
        if depth is not None and len(path) > depth:
            key = path[depth]
            rep[n] = key
            if key not in members:
                members[key] = []
                units[key] = Unit(name=key, kind="group", header="", cluster=path[:depth], order=order)
            members[key].append(n)
        else:
            rep[n] = n
            units[n] = node_unit(G, n, paths[n], order, facts, lang)
    for key, inside in members.items():
        _fill_group_unit(units[key], G, groups.get(key, {}), key, inside, rep, facts, lang)
    return units, rep


def _fill_group_unit(
    unit: Unit,
    G: nx.DiGraph,
    info: Mapping[str, Any],
    key: str,
    inside: list[int],
    rep: dict[int, Any],
    facts: NodeFacts,
    lang: str,
) -> None:
    label = clip(info.get("label", key))
    unit.header = escape(label)
    kind = clip(info.get("kind", ""))
    n_params = int(info.get("n_params", 0) or 0)
    tags = [kind] if kind and kind != label and kind != "group" else []
    tags.append(_params_text(n_params, lang))
    unit.tag = escape(" · ".join(tags))
    unit.state = _group_state([facts.state[n] for n in inside])
    outputs = [
        n for n in inside if G.nodes[n]["kind"] == "op" and not any(rep.get(v, v) == key for v in G.successors(n))
    ]
    if len(outputs) == 1:
        out = outputs[0]
        attrs = G.nodes[out]
        unit.node = out
        unit.var = facts.names.get(out, str(attrs["label"]))
        unit.loss = facts.loss
        unit.value = attrs["value"]
        unit.grad = facts.grads[out]
        unit.shape = attrs["shape"]
        unit.dtype = attrs["dtype"]
    for n in inside:
        unit.notes.extend(facts.notes.get(n, []))


# -- DOT ----------------------------------------------------------------------------------------------------
def emit_units(
    dg: graphviz.Digraph,
    units: Mapping[Any, Unit],
    groups: Mapping[str, Any],
    colours: Mapping[str, str],
    opts: RenderOptions,
) -> None:
    """Write every unit, inside the nested clusters of its groups (``colours``: overlay fills by unit name)."""
    members: dict[str | None, list[Unit]] = {}
    children: dict[str | None, list[str]] = {}
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

    def level(dg: Any, key: str | None) -> None:
        for unit in members.get(key, []):
            dg.node(unit.name, **node_attrs(unit, opts, colours.get(unit.name)))
        for child in children.get(key, []):
            with dg.subgraph(name=f"cluster_{child}") as sub:
                sub.attr(**_cluster_attrs(child, groups.get(child, {}), opts.theme, opts.lang))
                level(sub, child)

    level(dg, None)


def _cluster_attrs(key: str, info: Mapping[str, Any], t: Theme, lang: str) -> dict[str, str]:
    label = escape(clip(info.get("label", key)))
    n_params = int(info.get("n_params", 0) or 0)
    tag = font(escape(_params_text(n_params, lang)), colour=t.muted, size=t.small_fontsize)
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
    for state in ("failed", "nonfinite", "current", "inherited"):
        if state in states:
            return state
    if states and all(s == "done" for s in states):
        return "done"
    if "pending" in states:
        return "pending"
    return "done" if "done" in states else "forward"


def _params_text(n: int, lang: str) -> str:
    return tr("label.params", lang, n=n, count=f"{n:,}".replace(",", " "))
