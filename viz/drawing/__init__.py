"""Draw a recorded graph with Graphviz: :func:`render` builds a :class:`Diagram` (a ``graphviz.Digraph``).

Modules, one job each; every part receives what it reads as arguments:
:mod:`~viz.drawing.builder` (:func:`render`: selection and assembly),
:mod:`~viz.drawing.options` (the options, checked once),
:mod:`~viz.drawing.states` (known gradients and node states),
:mod:`~viz.drawing.nodes` (node and edge labels and attributes),
:mod:`~viz.drawing.clusters` (groups, collapsing),
:mod:`~viz.drawing.overlays` (overlay colours, caption, legend),
:mod:`~viz.drawing.labels` (escaping, numbers, strings);
colours and fonts come from :mod:`viz.themes`.
"""

from .builder import Diagram, render, select, to_dot
from .options import OVERLAYS, RANKDIRS, STATES, RenderOptions, validate_options
from .states import known_grad, status_state

__all__ = [
    "OVERLAYS",
    "RANKDIRS",
    "STATES",
    "Diagram",
    "RenderOptions",
    "known_grad",
    "render",
    "select",
    "status_state",
    "to_dot",
    "validate_options",
]
