"""Small helpers every layer uses, each with one home: how an op is named, how its arguments
are called, how NaN and Inf are counted.

Examples
--------
>>> import numpy as np
>>> from graphviz_autodiff.ops import Squared
>>> op_label(Squared()), argument_names(Squared(), 2), argument_name(Squared(), 1)
('Squared', ['mu', 'y'], 'argument 1 (y)')
>>> count_nonfinite(np.array([1.0, np.nan, np.inf, -np.inf])), describe_nonfinite(np.array([np.nan, 1.0]))
((1, 2), '1 NaN of 2 values')
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from .i18n import Message

__all__ = [
    "argument_message",
    "argument_name",
    "argument_names",
    "count_nonfinite",
    "describe_nonfinite",
    "has_nonfinite",
    "nonfinite_message",
    "op_label",
]


def op_label(op: Any) -> str:
    """An op's label: its ``name`` if it has one, else its class name."""
    return str(getattr(op, "name", None) or type(op).__name__)


def argument_names(op: Any, n: int) -> list[str]:
    """Names of ``forward``'s first ``n`` arguments (``xs[0]``... for ``*xs``; ``arg3`` when unknown).

    ``op`` is an op or its class. With ``n <= 0``, the names of all named positional arguments.
    """
    names: list[str] = []
    star = None
    try:
        cls = op if isinstance(op, type) else type(op)
        for p in list(inspect.signature(cls.forward).parameters.values())[1:]:
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                names.append(p.name)
            elif p.kind is p.VAR_POSITIONAL:
                star = p.name
                break
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        pass
    if n <= 0:
        return names
    out = names[:n]
    for i in range(len(out), n):
        out.append(f"{star}[{i - len(names)}]" if star else f"arg{i}")
    return out


def argument_name(op: Any, position: int) -> str:
    """``"argument 1 (y)"``: an argument of ``forward`` as English error messages name it."""
    return argument_message(op, position).text("en")


def argument_message(op: Any, position: int) -> Message:
    """An argument of ``forward`` as error messages name it, in any language (``"argument 1 (y)"``)."""
    name = argument_names(op, position + 1)[position]
    if name == f"arg{position}":
        return Message("exc.argument", {"position": position})
    return Message("exc.argument_named", {"position": position, "name": name})


def count_nonfinite(a: Any) -> tuple[int, int]:
    """``(number of NaN, number of ±Inf)`` in a float or complex array (``(0, 0)`` for anything else)."""
    a = np.asarray(a)
    if a.dtype.kind not in "fc":
        return 0, 0
    return int(np.isnan(a).sum()), int(np.isinf(a).sum())


def has_nonfinite(a: Any) -> bool:
    """Whether ``a`` (an array, a number or ``None``) holds NaN or Inf."""
    if a is None:
        return False
    a = np.asarray(a)
    return a.dtype.kind in "fc" and not np.isfinite(a).all()


def describe_nonfinite(a: Any, lang: str = "en") -> str:
    """``"3 NaN and 1 Inf of 12 values"`` (for messages), in ``lang``.

    >>> describe_nonfinite(np.array([np.nan, np.inf, 1.0]), "ru")
    '1 NaN и 1 Inf из 3 значений'
    >>> describe_nonfinite(np.ones(3))
    'no NaN or Inf among 3 values'
    """
    return nonfinite_message(a).text(lang)


def nonfinite_message(a: Any) -> Message:
    """:func:`describe_nonfinite` as a :class:`~graphviz_autodiff.i18n.Message`, to be said in any language later."""
    a = np.asarray(a)
    n_nan, n_inf = count_nonfinite(a)
    parts = [Message(key, {"n": n}) for key, n in (("count.nan", n_nan), ("count.inf", n_inf)) if n]
    if not parts:
        return Message("count.all_finite", {"n": int(a.size)})
    what = Message("count.and", {"first": parts[0], "second": parts[1]}) if len(parts) == 2 else parts[0]
    return Message("count.nonfinite", {"n": int(a.size), "what": what})
