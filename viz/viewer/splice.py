"""The frames of a walk, compact: one SVG skeleton, the variants of each node and edge, a choice per step.

A stepper's frames share one layout: from frame to frame only some node and edge groups
(``<g id="node3" class="node ...">``, ``<g id="edge_n0_n2" class="edge ...">``) change. So the
viewer receives the frames as

``skeleton``
    ``m + 1`` strings: the text before the first element, between elements, and after the last;
``elements``
    ``m`` pairs ``[element id, [variant text, ...]]``: every distinct text that element has in any frame;
``rows0``
    the variant of every element in frame 0;
``changes``
    for every later frame ``k``, a flat list ``[element, variant, element, variant, ...]`` of the
    elements whose variant differs from frame ``k - 1``.

Frame ``k`` is ``skeleton[0] + elements[0][1][v0] + skeleton[1] + ...``; :func:`expand` rebuilds it
exactly as ``viewer.js`` does (a test checks every frame against the stepper's own SVG). Stepping in the
browser replaces only the groups whose variant changes.

Before splitting, :func:`clean` drops what the viewer does not show: the XML prolog, comments, and the
``<title>`` elements (the browser would show ``n3`` as a tooltip; the hover card replaces it).

When the frames do not share a skeleton at element level (not so for :class:`viz.frames.FrameSet`), the
whole drawing (the ``<g id="graph0">`` group) is the one element; frames whose ``<svg>`` tags differ (a
different size or viewBox) cannot be stepped in place and raise :class:`ValueError`.

Examples
--------
>>> a = '<svg viewBox="0 0 9 9"><g id="graph0" class="graph"><g id="node1" class="node pending">A</g></g></svg>'
>>> b = a.replace("pending", "done")
>>> data = compact([a, b])
>>> len(data["elements"]), data["changes"], expand(data, 1) == b
(1, [[0, 1]], True)
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

__all__ = ["clean", "compact", "expand", "split"]

_ELEMENT = re.compile(r'<g id="([^"]+)" class="(?:node|edge)(?: [^"]*)?"[^>]*>')
_GRAPH = re.compile(r'<g id="graph0" class="graph"[^>]*>')
_G_TAG = re.compile(r"<g[\s>]|</g>")
_TITLE = re.compile(r"<title>.*?</title>\n?", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->\n?", re.DOTALL)
_SVG_TAG = re.compile(r"<svg\b[^>]*>")


def clean(svg: str) -> str:
    """``svg`` from its ``<svg`` tag on, without comments and ``<title>`` elements.

    >>> clean('<?xml version="1.0"?>\\n<svg><!-- c -->\\n<g><title>n1</title>\\n<text>1</text></g></svg>')
    '<svg><g><text>1</text></g></svg>'
    """
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("viz.viewer: every frame must be SVG text containing an <svg> element")
    return _TITLE.sub("", _COMMENT.sub("", svg[start:]))


def _group_end(svg: str, start: int) -> int:
    depth = 0
    for tag in _G_TAG.finditer(svg, start):
        depth += -1 if tag.group().startswith("</") else 1
        if depth == 0:
            return tag.end()
    raise ValueError(f"viz.viewer: unbalanced <g> in a frame at offset {start}")


def split(svg: str, pattern: re.Pattern[str] = _ELEMENT) -> tuple[list[str], list[tuple[str, str]]]:
    """``(skeleton, [(element id, text), ...])`` of one (cleaned) frame; ``len(skeleton) == len(items) + 1``.

    Elements are the outermost groups matching ``pattern`` (node and edge groups by default); a group
    nested in an element stays part of it.

    >>> split('<svg><g id="node1" class="node done"><g><text>1</text></g></g>\\n</svg>')
    (['<svg>', '\\n</svg>'], [('node1', '<g id="node1" class="node done"><g><text>1</text></g></g>')])
    """
    skeleton: list[str] = []
    items: list[tuple[str, str]] = []
    position = 0
    for m in pattern.finditer(svg):
        if m.start() < position:
            continue
        end = _group_end(svg, m.start())
        skeleton.append(svg[position : m.start()])
        element_id = m.group(1) if m.groups() else "graph0"
        items.append((element_id, svg[m.start() : end]))
        position = end
    skeleton.append(svg[position:])
    return skeleton, items


def _splits(frames: Sequence[str]) -> tuple[list[str], list[list[tuple[str, str]]]]:
    """One skeleton and each frame's items, at element level if possible, else the whole graph group."""
    for pattern in (_ELEMENT, _GRAPH):
        parts = [split(svg, pattern) for svg in frames]
        skeleton = parts[0][0]
        ids = [name for name, _ in parts[0][1]]
        if all(p[0] == skeleton and [name for name, _ in p[1]] == ids for p in parts):
            return skeleton, [p[1] for p in parts]
    tags = {m.group() for svg in frames if (m := _SVG_TAG.search(svg))}
    what = "their <svg> tags (size or viewBox) differ" if len(tags) > 1 else "their structure differs"
    raise ValueError(f"viz.viewer: the frames cannot be shown in one picture: {what}; frames must share one layout")


def compact(frames: Sequence[str]) -> dict[str, Any]:
    """The compact form of ``frames`` (see the module docstring); the frames are :func:`clean`-ed first.

    Parameters
    ----------
    frames : sequence of str
        The SVG of every frame, in order (at least one).

    Returns
    -------
    dict
        ``{"format": "splice", "skeleton": [...], "elements": [[id, [variant, ...]], ...],
        "rows0": [...], "changes": [[element, variant, ...], ...]}``.

    Raises
    ------
    ValueError
        No frames, a frame without ``<svg>``, or frames that do not share one layout.
    """
    if not frames:
        raise ValueError("viz.viewer: there must be at least one frame")
    skeleton, per_frame = _splits([clean(svg) for svg in frames])
    ids = [name for name, _ in per_frame[0]]
    variants: list[dict[str, int]] = [{} for _ in ids]
    rows = []
    for items in per_frame:
        row = []
        for i, (_, text) in enumerate(items):
            row.append(variants[i].setdefault(text, len(variants[i])))
        rows.append(row)
    changes = []
    for before, after in itertools.pairwise(rows):
        changes.append([x for i, (a, b) in enumerate(zip(before, after)) if a != b for x in (i, b)])
    return {
        "format": "splice",
        "skeleton": skeleton,
        "elements": [[name, list(v)] for name, v in zip(ids, variants)],
        "rows0": rows[0],
        "changes": changes,
    }


def expand(data: dict[str, Any], k: int) -> str:
    """Frame ``k`` of a :func:`compact` form, built as ``viewer.js`` builds it.

    Raises
    ------
    IndexError
        ``k`` outside ``0 … len(changes)``.
    """
    if not 0 <= k <= len(data["changes"]):
        raise IndexError(f"viz.viewer: frame {k} does not exist (0 … {len(data['changes'])})")
    row = list(data["rows0"])
    for change in data["changes"][:k]:
        for i in range(0, len(change), 2):
            row[change[i]] = change[i + 1]
    skeleton, elements = data["skeleton"], data["elements"]
    parts = [skeleton[0]]
    for i, v in enumerate(row):
        parts += [elements[i][1][v], skeleton[i + 1]]
    return "".join(parts)
