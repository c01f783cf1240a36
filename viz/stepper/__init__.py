"""The step debugger: walk the backward (or forward) pass one node at a time.

:class:`StepperModel` is the plain-Python model (no widgets);
:class:`Stepper` is the model plus its widget. Frames are spliced from one
Graphviz layout (:mod:`viz.stepper.frames`).
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
