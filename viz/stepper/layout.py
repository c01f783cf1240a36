"""The one layout of a walk: measure every label, lay the graph out once, pin the positions.

This module's one job is the geometry shared by every frame of
:mod:`viz.stepper.frames`: :func:`measured_source` gives every node the size
of its biggest label over a few scenes (measured by Graphviz itself),
:class:`Layout` reads the positions from ``dot -Tjson`` and pins them into
any scene's DOT source (for ``neato -n2``), and :func:`merge_hidden` joins
the statements of nodes whose value is hidden (forward walks) into a source.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..dot import run_dot

__all__ = ["Layout", "measured_source", "merge_hidden"]

_GAP_INCHES = 8.0 / 72.0  # Graphviz draws each extra periphery 4 points outside the previous one


@dataclass(frozen=True)
class Layout:
    """Positions from ``dot -Tjson``, as DOT attribute text to insert per node, edge and cluster.

    ``bb`` is the drawing's bounding box in points (x0, y0, x1, y1).
    """

    nodes: dict[str, str]
    edges: dict[tuple[str, str], str]
    clusters: dict[str, str]
    anchors: str
    bb: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    @classmethod
    def from_json(cls, data: bytes) -> Layout:
        layout = json.loads(data.decode("utf-8"))
        objects = {o["_gvid"]: o for o in layout.get("objects", [])}
        nodes, clusters = {}, {}
        for o in objects.values():
            name = o.get("name", "")
            if "pos" in o:
                extra = _GAP_INCHES * (int(o.get("peripheries", "1") or 1) - 1)
                width = max(float(o["width"]) - extra, 0.01)
                height = max(float(o["height"]) - extra, 0.01)
                nodes[name] = f'pos="{o["pos"]}" width={width:.5g} height={height:.5g} fixedsize=shape '
            elif name.startswith("cluster") and "bb" in o:
                parts = [f'bb="{o["bb"]}"']
                for key in ("lp", "lwidth", "lheight"):
                    if key in o:
                        parts.append(f'{key}="{o[key]}"')
                clusters[name] = "graph [" + " ".join(parts) + "]"
        edges = {}
        for e in layout.get("edges", []):
            key = (objects[e["tail"]]["name"], objects[e["head"]]["name"])
            text = f'pos="{e["pos"]}" '
            if "lp" in e:
                text += f'lp="{e["lp"]}" '
            edges[key] = text
        x0, y0, x1, y1 = (float(v) for v in layout["bb"].split(","))
        anchor = 'shape=point width=0 height=0 style=invis label=""'
        anchors = f'\t_anchor0 [pos="{x0:g},{y0:g}" {anchor}]\n\t_anchor1 [pos="{x1:g},{y1:g}" {anchor}]\n'
        return cls(nodes, edges, clusters, anchors, (x0, y0, x1, y1))

    def pin(self, source: str) -> str:
        """``source`` (from :func:`viz.render`) with every position fixed, for ``neato -n2``."""

        def node(m: re.Match) -> str:
            return f"{m.group(1)}{m.group(2)} [{self.nodes.get(m.group(2), '')}"

        def edge(m: re.Match) -> str:
            return f"{m.group(1)}{m.group(2)} -> {m.group(3)} [{self.edges.get((m.group(2), m.group(3)), '')}"

        def cluster(m: re.Match) -> str:
            attrs = self.clusters.get(m.group(2))
            return m.group(0) + (f"{m.group(1)}\t{attrs}\n" if attrs else "")

        out = re.sub(r"^(\t+)(\w+) -> (\w+) \[", edge, source, flags=re.MULTILINE)
        out = re.sub(r"^(\t+)(\w+) \[", node, out, flags=re.MULTILINE)
        out = re.sub(r"^(\t+)subgraph (cluster_\w+) \{\n", cluster, out, flags=re.MULTILINE)
        head, brace, rest = out.partition("{\n")
        return head + brace + self.anchors + rest


# a node or edge statement; not the default statements "graph [", "node [", "edge [" (DOT keywords, never node ids)
_STATEMENT = re.compile(r"^\t+(?!(?:graph|node|edge) \[)(\w+(?: -> \w+)?) \[")


_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)')


_BRACKET = re.compile(r"[<>]")


def _label_of(line: str) -> str:
    """The ``label=<...>`` attribute of a DOT statement (an HTML-like label, brackets balanced)."""
    start = line.find("label=<")
    if start < 0:
        return ""
    depth = 0
    for m in _BRACKET.finditer(line, start + 6):
        depth += 1 if m.group() == "<" else -1
        if depth == 0:
            return line[start : m.end()]
    return line[start:]


def measured_source(sources: list[str], timeout: float | None) -> str:
    """A DOT source for the one layout: every node as big as its biggest label in ``sources``.

    Labels are measured by Graphviz itself (``neato -n2 -Tjson`` on the
    labels alone, every node at the origin: no layout, so it is fast). Each
    node gets the largest width and height of its labels as a fixed size;
    each edge keeps its label of the largest area. Lines other than node and
    edge statements come from ``sources[0]``.
    """
    candidates: dict[str, dict[str, str]] = {}  # statement -> {label: a line with it}
    for source in dict.fromkeys(sources):
        for line in source.splitlines(keepends=True):
            m = _STATEMENT.match(line)
            if m:
                candidates.setdefault(m.group(1), {}).setdefault(_label_of(line), line)
    defaults = {"node": "", "edge": ""}
    for line in sources[0].splitlines():
        for kind in defaults:
            if line.startswith(f"\t{kind} ["):
                defaults[kind] = line.strip()
    edge_font = " ".join(
        f"{k}={v}" for k, v in _ATTR.findall(defaults["edge"]) if k in ("fontname", "fontsize", "fontcolor")
    )
    body, names = [], []
    for key, lines in candidates.items():
        for line in lines.values():
            name = f"m{len(names)}"
            names.append((key, line))
            if " -> " in key:
                head = f'\t{name} [pos="0,0" shape=plaintext margin=0 width=0 height=0 {edge_font} '
            else:
                head = f'\t{name} [pos="0,0" '
            body.append(_STATEMENT.sub(lambda _, head=head: head, line, count=1).rstrip("\n"))
    half = (len(body) + 1) // 2  # two halves, measured in parallel on two cores
    measures = [
        "digraph measure {\n\t" + defaults["node"] + "\n" + "\n".join(part) + "\n}\n"
        for part in (body[:half], body[half:])
        if part
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        outputs = list(pool.map(lambda m: run_dot(m, "json0", engine="neato", args=["-n2"], timeout=timeout), measures))
    size = {}
    for o in (o for out in outputs for o in json.loads(out).get("objects", [])):
        extra = _GAP_INCHES * (int(o.get("peripheries", "1") or 1) - 1)
        size[o["name"]] = (float(o["width"]) - extra, float(o["height"]) - extra)
    best: dict[str, str] = {}
    widest: dict[str, tuple[float, float]] = {}
    for i, (key, line) in enumerate(names):
        w, h = size[f"m{i}"]
        if " -> " in key:
            if key not in widest or w * h > widest[key][0] * widest[key][1]:
                widest[key], best[key] = (w, h), line
        else:
            old = widest.get(key, (0.0, 0.0))
            widest[key] = (max(old[0], w), max(old[1], h))
    out = []
    for line in sources[0].splitlines(keepends=True):
        m = _STATEMENT.match(line)
        if m is None:
            out.append(line)
        elif " -> " in m.group(1):
            out.append(best[m.group(1)])
        else:
            w, h = widest[m.group(1)]
            out.append(line.replace(" [", f" [width={w:.4f} height={h:.4f} fixedsize=shape ", 1))
    return "".join(out)


def merge_hidden(normal: str, hidden_source: str, hidden: set[str]) -> str:
    """``normal`` with the statements of ``hidden`` nodes, and of edges leaving them, from ``hidden_source``."""
    replacements = {}
    for line in hidden_source.splitlines(keepends=True):
        m = _STATEMENT.match(line)
        if m and m.group(1).split(" -> ")[0] in hidden:
            replacements[m.group(1)] = line
    out = []
    for line in normal.splitlines(keepends=True):
        m = _STATEMENT.match(line)
        out.append(replacements.get(m.group(1), line) if m else line)
    return "".join(out)
