"""Tensor arithmetic: which op each operator of :class:`~graphviz_autodiff.Tensor` records.

``a + b`` on tensors is a call of :class:`~graphviz_autodiff.ops.Add`, ``x @ w`` of
:class:`~graphviz_autodiff.ops.MatMul`, ``t.sum()`` of :class:`~graphviz_autodiff.ops.Sum`, and so
on: every operator is one recorded op call.

The ops sit in a layer above :mod:`graphviz_autodiff.tensor` (they build on
:class:`~graphviz_autodiff.Differentiable`, which makes tensors), and so does the
engine. So ``tensor.py`` imports neither: :func:`install` puts these
functions on :class:`~graphviz_autodiff.Tensor`, with
:func:`graphviz_autodiff.engine.backward` as ``Tensor.backward``, and
``graphviz_autodiff/__init__.py`` calls it once (Chainer installs its
``Variable`` arithmetic the same way). Every import of the package runs it,
so every ``Tensor`` has its operators.

Examples
--------
>>> import numpy as np
>>> from graphviz_autodiff import Tensor
>>> x = Tensor(np.array([1.0, 2.0]), name="x")
>>> y = (x * x).sum()
>>> y.op.__class__.__name__, y.inputs[0].op.__class__.__name__
('Sum', 'Mul')
"""

from __future__ import annotations

import functools
from typing import Any

from .. import engine
from ..differentiable import Differentiable
from ..tensor import Tensor
from .elementwise import Add, Div, Mul, Neg, Pow, Sub
from .linalg import MatMul, Transpose
from .reduce import Mean, Sum

__all__ = ["install"]


def _maker(cls: type) -> Any:
    """A constructor for ``cls`` without arguments: ``object.__new__`` when ``__init__`` would do nothing more.

    (``Differentiable.__init__`` only stores a ``name``; skipping it saves a Python call per operator.)
    """
    return functools.partial(object.__new__, cls) if cls.__init__ is Differentiable.__init__ else cls


_ADD, _SUB, _MUL, _DIV, _MATMUL, _POW, _NEG, _TRANSPOSE = map(_maker, (Add, Sub, Mul, Div, MatMul, Pow, Neg, Transpose))
# ``Differentiable.__call__`` called as a function: calling an op instance goes through the type's
# ``tp_call`` slot and a fresh C-level interpreter call (about 1,000 instructions per operator on
# CPython 3.11); a Python function called from Python does not. None of these ops overrides ``__call__``.
_CALL = Differentiable.__call__


def add(a: Any, b: Any) -> Tensor:
    """``a + b`` (records :class:`Add`)."""
    return _CALL(_ADD(), a, b)


def radd(a: Any, b: Any) -> Tensor:
    """``b + a`` with the tensor on the right (records :class:`Add`)."""
    return _CALL(_ADD(), b, a)


def sub(a: Any, b: Any) -> Tensor:
    """``a - b`` (records :class:`Sub`)."""
    return _CALL(_SUB(), a, b)


def rsub(a: Any, b: Any) -> Tensor:
    """``b - a`` with the tensor on the right (records :class:`Sub`)."""
    return _CALL(_SUB(), b, a)


def mul(a: Any, b: Any) -> Tensor:
    """``a * b``, element-wise (records :class:`Mul`)."""
    return _CALL(_MUL(), a, b)


def rmul(a: Any, b: Any) -> Tensor:
    """``b * a`` with the tensor on the right (records :class:`Mul`)."""
    return _CALL(_MUL(), b, a)


def truediv(a: Any, b: Any) -> Tensor:
    """``a / b``, element-wise (records :class:`Div`)."""
    return _CALL(_DIV(), a, b)


def rtruediv(a: Any, b: Any) -> Tensor:
    """``b / a`` with the tensor on the right (records :class:`Div`)."""
    return _CALL(_DIV(), b, a)


def matmul(a: Any, b: Any) -> Tensor:
    """``a @ b`` (records :class:`MatMul`)."""
    return _CALL(_MATMUL(), a, b)


def rmatmul(a: Any, b: Any) -> Tensor:
    """``b @ a`` with the tensor on the right (records :class:`MatMul`)."""
    return _CALL(_MATMUL(), b, a)


def power(a: Any, b: Any) -> Tensor:
    """``a ** b``, element-wise (records :class:`Pow`)."""
    return _CALL(_POW(), a, b)


def rpower(a: Any, b: Any) -> Tensor:
    """``b ** a`` with the tensor on the right (records :class:`Pow`)."""
    return _CALL(_POW(), b, a)


def negative(a: Any) -> Tensor:
    """``-a`` (records :class:`Neg`)."""
    return _CALL(_NEG(), a)


def tensor_sum(a: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
    """Sum of elements (records a :class:`Sum` call)."""
    return _CALL(Sum(axis=axis, keepdims=keepdims), a)


def tensor_mean(a: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
    """Mean of elements (records a :class:`Mean` call)."""
    return _CALL(Mean(axis=axis, keepdims=keepdims), a)


def transpose(a: Any) -> Tensor:
    """The transpose (records a :class:`Transpose` call)."""
    return _CALL(_TRANSPOSE(), a)


#: Tensor method name -> the function above it is.
METHODS = {
    "__add__": add,
    "__radd__": radd,
    "__sub__": sub,
    "__rsub__": rsub,
    "__mul__": mul,
    "__rmul__": rmul,
    "__truediv__": truediv,
    "__rtruediv__": rtruediv,
    "__matmul__": matmul,
    "__rmatmul__": rmatmul,
    "__pow__": power,
    "__rpow__": rpower,
    "__neg__": negative,
    "sum": tensor_sum,
    "mean": tensor_mean,
    "T": property(transpose, doc=transpose.__doc__),
    "backward": engine.backward,
}


def install() -> None:
    """Give :class:`~graphviz_autodiff.Tensor` its operators and ``backward`` (idempotent)."""
    for name, method in METHODS.items():
        setattr(Tensor, name, method)
