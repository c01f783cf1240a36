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
    "GradientCutWarning",
    "GradientTypeError",
    "GraphCycleError",
    "InPlaceModificationError",
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


class GradientTypeError(AutodiffError, TypeError):
    """A gradient is not an array of real numbers (complex, boolean, text or objects).

    Raised where the gradient is made: for what a ``backward`` returned (naming
    the argument) or set on a parameter's ``.grad`` (naming the parameter).
    """


class InPlaceModificationError(AutodiffError, ValueError):
    """A ``backward`` wrote into an array it must only read.

    ``upstream_grad`` is handed to ``backward`` read-only, and parameters'
    values are read-only while it runs: writing into them would change
    gradients and values recorded for other nodes. Compute a new array
    (``upstream_grad * 2``, not ``upstream_grad *= 2``), and update parameters
    after the backward pass, not inside it.
    """


class NonFiniteError(AutodiffError, FloatingPointError):
    """A NaN or infinity appeared while anomaly detection was on."""


class BroadcastWarning(UserWarning):
    """Two arguments broadcast to a shape larger than either of them.

    The classic case is ``Squared()(mu, y)`` with ``mu`` of shape ``(n,)`` and
    ``y`` of shape ``(n, 1)``: the result is ``(n, n)``, not ``(n,)``.
    """


class GradientCutWarning(UserWarning):
    """No gradient reached a parameter (or input) because an op's output cut the path.

    An op whose ``forward`` returns an integer, boolean or other non-float
    array passes no gradient back. The parameters behind it get
    ``.grad = None`` from that pass (never the previous pass's value), and
    this warning names the op whose output cut the path.
    """


class DatasetFormatError(AutodiffError, ValueError):
    """A data file is not a rectangular table of numbers (which line, which column, what was found)."""


class DivergenceWarning(RuntimeWarning):
    """The loss became NaN or infinite during training (usually: the learning rate is too large)."""
