"""How the stepper names the nodes of a graph in texts and formulas."""

from __future__ import annotations

from typing import Any

from ..drawing.labels import text as label_text

__all__ = ["GraphNames"]


class GraphNames:
    """The names of a graph's nodes: a leaf's label, an op output's name (or ``out``)."""

    def __init__(self, G: Any, lang: str) -> None:
        self.G = G
        self.lang = lang

    def name(self, node: int | None) -> str:
        """The name of a node's value in formulas: the leaf's label, the output's name, or "out"."""
        if node is None:
            return "?"
        attrs = self.G.nodes[node]
        if attrs["kind"] != "op":
            return str(attrs["label"])
        return str(attrs["name"] or label_text("out", self.lang))

    def title(self, node: int) -> str:
        """A node's title in texts: its label, and the output's name when it has one (``Linear (z)``)."""
        attrs = self.G.nodes[node]
        name = attrs["name"] if attrs["kind"] == "op" else None
        return f"{attrs['label']} ({name})" if name else str(attrs["label"])
