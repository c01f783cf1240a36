"""The step debugger: walk the backward (or forward) pass one node at a time.

:class:`StepperModel` is the plain-Python model (no widgets);
:class:`Stepper` is the model plus its widget. One module per job:

* ``steps``: the per-step records (:class:`Step`); ``errors``: the error types;
* ``problems``: what "next problem" stops at; ``texts``: the text panel;
  ``formulas``: a step's formulas with the graph's names (:mod:`viz.drawing.names`);
* ``timeline``: what each frame shows; ``layout`` and ``svg``: the one
  Graphviz layout and SVG splicing; ``frames``: the frames
  (``fallback``: a summary frame when the layout times out);
* ``model``: :class:`StepperModel`; ``widget``: :class:`Stepper` and its view;
* ``walkthrough``: the HTML page and frame files; ``slides``: 16:9 slides, GIF, MP4, PDF.
"""

from .errors import StepIndexError, StepperError, UnknownNodeError
from .model import DIRECTIONS, StepperModel
from .problems import Problem
from .steps import Step
from .widget import Stepper, StepperView

__all__ = [
    "DIRECTIONS",
    "Problem",
    "Step",
    "StepIndexError",
    "Stepper",
    "StepperError",
    "StepperModel",
    "StepperView",
    "UnknownNodeError",
]
