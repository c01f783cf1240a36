"""Typed exceptions and warnings of graphviz_autodiff.

Every error a user can trigger has its own class, so tests and tools can catch
exactly what they expect, and every message says which op, which argument,
what was expected, what was received and what to do about it.

The engine's messages come from the catalogue (:mod:`graphviz_autodiff.i18n`):
such an error keeps its :class:`~graphviz_autodiff.i18n.Message` and says it in
any language with :meth:`AutodiffError.message` (what the Russian stepper and a
grader's Russian report show); ``str(error)`` is said in
:func:`~graphviz_autodiff.i18n.message_lang` (English unless set).
"""

from __future__ import annotations

from typing import Any

from .i18n import Message, message_lang

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
    "describe_error",
    "error_message",
]


class _Said:
    """An exception or warning whose text may come from the catalogue: it can say itself in any language."""

    said: Message | None
    #: The op whose ``backward`` broke the contract, when a backward pass found it (``None`` otherwise): tools
    #: point at that ``backward`` when the traceback holds no line of the user's code.
    op: Any = None

    def __init__(self, message: Any = "", *args: Any) -> None:
        self.said = message if isinstance(message, Message) else None
        super().__init__(message.text(message_lang()) if self.said is not None else message, *args)

    def __reduce__(self) -> tuple:
        # Pickled (multiprocessing, joblib) as its text: the op it names and its Message stay behind.
        return type(self), self.args

    def message(self, lang: str = "en") -> str:
        """The message in ``lang`` (its text as raised when it does not come from the catalogue).

        Examples
        --------
        >>> from graphviz_autodiff.i18n import Message
        >>> error = NonScalarBackwardError(Message("exc.nonscalar", {"shape": (3,)}))
        >>> str(error)[:56]
        'backward() without a gradient needs a one-element tensor'
        >>> error.message("ru")[:41]
        'Для backward() без градиента нужен тензор'
        """
        return self.said.text(lang) if self.said is not None else str(self)


def error_message(error: BaseException, lang: str | None = None) -> str:
    """What ``error`` says, in ``lang`` when its text comes from the catalogue (else as it was raised).

    Tools that show errors in a language of their own (the stepper, reports,
    the grader) use this rather than ``str(error)``. ``lang`` defaults to
    :func:`~graphviz_autodiff.i18n.message_lang`.
    """
    if isinstance(error, _Said):
        return error.message(lang or message_lang())
    try:
        return str(error)
    except Exception:  # a student's exception whose __str__ fails
        return ""


def describe_error(error: BaseException, lang: str | None = None) -> str:
    """``"ShapeRuleError: Squared.backward returned ..."``: the type and the message (the type alone without one).

    Examples
    --------
    >>> from graphviz_autodiff.i18n import Message
    >>> describe_error(NonScalarBackwardError(Message("exc.root_shape", {"got": (2,), "shape": ()})), "ru")
    'NonScalarBackwardError: backward(grad): у grad форма (2,), а у тензора (); градиент должен иметь форму тензора.'
    >>> describe_error(KeyError())
    'KeyError'
    """
    text = error_message(error, lang)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class AutodiffError(_Said, Exception):
    """Base class of every error raised by graphviz_autodiff (:meth:`message` says it in any language)."""


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


class BroadcastWarning(_Said, UserWarning):
    """Two arguments broadcast to a shape larger than either of them.

    The classic case is ``Squared()(mu, y)`` with ``mu`` of shape ``(n,)`` and
    ``y`` of shape ``(n, 1)``: the result is ``(n, n)``, not ``(n,)``.
    """


class GradientCutWarning(_Said, UserWarning):
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
