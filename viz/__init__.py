"""viz: draw graphviz_autodiff graphs with Graphviz.

The core package (``graphviz_autodiff``) records every op call into a
networkx DAG; ``viz`` only reads that DAG and draws it.

Examples
--------
>>> import numpy as np
>>> import viz
>>> from graphviz_autodiff.ops import Identity, Linear, Squared, Sum
>>> X, y = np.ones((5, 4)), np.zeros(5)
>>> L = Sum()(Squared()(Identity()(Linear(4)(X)), y))
>>> L.backward()
>>> dot = viz.render(L, legend=True)          # a graphviz.Digraph; shows inline in Jupyter
>>> svg = viz.to_svg(L)                       # SVG text
>>> path = viz.save(L, "/tmp/lecture5.png")   # by extension: .svg, .pdf, .png, .dot
>>> slide = viz.save(L, "/tmp/slide.png", preset="slide")  # 1920 × 1080, for a 16:9 slide
"""

from . import display, slides, themes
from .dot import (
    GraphvizNotFoundError,
    GraphvizWarning,
    RenderError,
    RenderTimeoutError,
    VizError,
)
from .drawing import OVERLAYS, RANKDIRS, STATES, Diagram, render, to_dot
from .drawing.fallback import FallbackWarning
from .export import FORMATS, save, save_all, to_svg
from .stepper import Stepper, StepperModel
from .themes import THEMES, Theme

__all__ = [
    "FORMATS",
    "OVERLAYS",
    "RANKDIRS",
    "STATES",
    "THEMES",
    "Diagram",
    "FallbackWarning",
    "GraphvizNotFoundError",
    "GraphvizWarning",
    "RenderError",
    "RenderTimeoutError",
    "Stepper",
    "StepperModel",
    "Theme",
    "VizError",
    "display",
    "render",
    "save",
    "save_all",
    "slides",
    "themes",
    "to_dot",
    "to_svg",
]

display.register()  # inline pictures of graphs and tensors when imported inside IPython/Jupyter
