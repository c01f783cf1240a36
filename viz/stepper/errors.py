"""The stepper's error types."""

from __future__ import annotations

from ..dot import VizError

__all__ = ["StepIndexError", "StepperError", "UnknownNodeError"]


class StepperError(VizError):
    """Base class of the stepper's errors."""


class StepIndexError(StepperError, IndexError):
    """A step index outside ``0 … n_steps``."""


class UnknownNodeError(StepperError, LookupError):
    """``run_to`` was given a node that is not in the stepper's graph."""
