"""Draw a recorded graph with Graphviz: :func:`render` builds a :class:`Diagram` (a ``graphviz.Digraph``).

Modules: :mod:`~viz.drawing.builder` (the options and the assembly),
:mod:`~viz.drawing.labels` (the text and numbers on nodes and edges),
:mod:`~viz.drawing.nodes`, :mod:`~viz.drawing.states`, :mod:`~viz.drawing.clusters`,
:mod:`~viz.drawing.overlays`; colours and fonts come from :mod:`viz.themes`.
"""

from .builder import OVERLAYS, RANKDIRS, REPORT_KINDS, STATES, Diagram, render, to_dot

__all__ = ["OVERLAYS", "RANKDIRS", "REPORT_KINDS", "STATES", "Diagram", "render", "to_dot"]
