"""Typed exceptions and warnings of graphviz_autodiff.

Every error a user can trigger has its own class, so tests and tools can catch
exactly what they expect, and every message says which op, which argument,
what was expected, what was received and what to do about it.
"""

from __future__ import annotations

__all__ = [
    "AutodiffError",
    "BroadcastWarning",
    "DatasetFormatError",
    "DivergenceWarning",
    "ForwardOutputError",
    "GradientCountError",
    "GraphCycleError",
    "MissingGradientError",
    "NonFiniteError",
    "NonScalarBackwardError",
    "ShapeRuleError",
]


class AutodiffError(Exception):
    """Base class of every error raised by graphviz_autodiff."""


class ShapeRuleError(AutodiffError, ValueError):
    """A gradient's shape differs from the shape of its argument.

    The lecture's rule: ``backward`` must return, for every argument, a
    gradient of exactly that argument's shape.
    """


class GradientCountError(AutodiffError, ValueError):
    """``backward`` returned a different number of gradients than ``forward`` took."""


class MissingGradientError(AutodiffError, ValueError):
    """``backward`` returned ``None`` for a floating-point argument that needs a gradient."""


class NonScalarBackwardError(AutodiffError, ValueError):
    """``Tensor.backward()`` was called on a non-scalar without an explicit gradient."""


class GraphCycleError(AutodiffError, ValueError):
    """Recording a call would make the computational graph cyclic."""


class ForwardOutputError(AutodiffError, TypeError):
    """``forward`` returned something that is not one array or number."""


class NonFiniteError(AutodiffError, FloatingPointError):
    """A NaN or infinity appeared while anomaly detection was on."""


class BroadcastWarning(UserWarning):
    """Two arguments broadcast to a shape larger than either of them.

    The classic case is ``Squared()(mu, y)`` with ``mu`` of shape ``(n,)`` and
    ``y`` of shape ``(n, 1)``: the result is ``(n, n)``, not ``(n,)``.
    """


class DatasetFormatError(AutodiffError, ValueError):
    """A data file is not a rectangular table of numbers (which line, which column, what was found)."""


class DivergenceWarning(RuntimeWarning):
    """The loss became NaN or infinite during training (usually: the learning rate is too large)."""
