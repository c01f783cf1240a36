"""Splicing Graphviz SVG: cut a drawing into its node and edge groups, move and mark a group.

This module's one job is string work on the SVG that Graphviz writes, which
:mod:`viz.stepper.frames` uses to join a frame from groups drawn in different
rounds.

Examples
--------
>>> group = '<g id="node3" class="node failed op"><path d="M12.5,-30C12.5,-30 40,-30"/></g>'
>>> corner(group), mark_current(group).split(">")[0]
((12.5, -30.0), '<g id="node3" class="node failed op current"')
"""

from __future__ import annotations

import re

from ..dot import RenderError

__all__ = ["corner", "mark_current", "split_svg", "translate"]

_ELEMENT = re.compile(r'<g id="([^"]+)" class="(?:node|edge)(?: [^"]*)?">')
_G_TAG = re.compile(r"<g[\s>]|</g>")
_CLASS = re.compile(r'class="node ([^"]*)"')


def split_svg(svg: str) -> tuple[str, list[tuple[str, str]], str]:
    """``(prefix, [(element id, <g> text)], suffix)`` of a Graphviz SVG (node and edge groups)."""
    svg = svg[svg.index("<svg") :]
    items: list[tuple[str, str]] = []
    first = last = None
    position = 0
    for m in _ELEMENT.finditer(svg):
        if m.start() < position:
            continue  # a group nested in the previous element
        depth = 0
        end = None
        for tag in _G_TAG.finditer(svg, m.start()):
            depth += -1 if tag.group().startswith("</") else 1
            if depth == 0:
                end = tag.end()
                break
        if end is None:
            raise RenderError(f"viz.stepper.frames: unbalanced <g> in Graphviz's SVG at element {m.group(1)!r}")
        items.append((m.group(1), svg[m.start() : end]))
        if first is None:
            first = m.start()
        position = last = end
    if first is None:
        return svg, [], ""
    return svg[:first], items, svg[last:]


_CORNER = re.compile(r'(?:points|d)="M?(-?[\d.]+),(-?[\d.]+)')


def corner(snippet: str) -> tuple[float, float] | None:
    """The first point of a node group's outline."""
    m = _CORNER.search(snippet)
    return (float(m.group(1)), float(m.group(2))) if m else None


def translate(snippet: str, shift: tuple[float, float]) -> str:
    """Move a group by ``shift`` (a ``transform`` on its opening tag)."""
    end = snippet.index(">")
    return f'{snippet[:end]} transform="translate({shift[0]:g},{shift[1]:g})"{snippet[end:]}'


def mark_current(snippet: str) -> str:
    """Add ``current`` to a node group's class (``class="node failed op current"``)."""

    def add(m: re.Match) -> str:
        classes = m.group(1).split()
        return m.group(0) if "current" in classes else f'class="node {m.group(1)} current"'

    return _CLASS.sub(add, snippet, count=1)
