"""The step debugger: walk the backward (or forward) pass one node at a time.

:class:`StepperModel` is the plain-Python model (no widgets);
:class:`Stepper` adds the widget. Frames are spliced from one Graphviz layout
(:mod:`viz.stepper.frames`).
"""

from .model import DIRECTIONS, Step, StepIndexError, Stepper, StepperError, StepperModel, UnknownNodeError

__all__ = ["DIRECTIONS", "Step", "StepIndexError", "Stepper", "StepperError", "StepperModel", "UnknownNodeError"]
