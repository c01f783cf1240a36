"""The step debugger: walk the backward (or forward) pass one node at a time.

:class:`StepperModel` is the plain-Python model (no widgets);
:class:`Stepper` is the model plus its widget. One module per job:

* ``steps``: the per-step records (:class:`Step`); ``errors``: the error types;
* ``problems``: what "next problem" stops at; ``texts``: the text panel;
  ``formulas``: a step's formulas with the graph's names (:mod:`viz.drawing.names`);
* ``timeline``: what each frame shows; ``layout`` and ``svg``: the one
  Graphviz layout and SVG splicing; ``frames``: the frames (the graph's
  fallback picture, :func:`viz.drawing.fallback.fallback_svg`, when the layout times out);
* ``model``: :class:`StepperModel` (``to_html`` writes the viewer's page, :mod:`viz.viewer`);
  ``widget``: :class:`Stepper`, whose widget is the viewer (:class:`viz.viewer.Viewer`);
* ``slides``: one file per step, 16:9 slides, GIF, MP4, PDF.
"""

from .errors import StepIndexError, StepperError, UnknownNodeError
from .model import DIRECTIONS, StepperModel
from .problems import Problem
from .steps import Step
from .widget import Stepper

__all__ = [
    "DIRECTIONS",
    "Problem",
    "Step",
    "StepIndexError",
    "Stepper",
    "StepperError",
    "StepperModel",
    "UnknownNodeError",
]
