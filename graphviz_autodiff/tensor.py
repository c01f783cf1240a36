"""Tensor (what an op call returns) and Parameter (a trainable array of an op)."""

from __future__ import annotations

import importlib
import itertools
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

if TYPE_CHECKING:
    from .graph import Graph

__all__ = ["Parameter", "Tensor"]


class _Lazy:
    """A sibling module (``ops``, ``engine``) imported on first use, its attributes kept once looked up.

    ``tensor.py`` cannot import ``ops`` or ``engine`` at import time (both
    import this module); a function-level import on every ``x * y`` or
    ``loss.backward()`` costs more than the op's own bookkeeping, so each
    name is looked up once and kept as an attribute of this object.
    """

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        value = getattr(importlib.import_module(f".{self._module}", __package__), name)
        setattr(self, name, value)
        return value


_OPS = _Lazy("ops")
_ENGINE = _Lazy("engine")

# A global, monotonically increasing creation stamp. A call is always created
# after its inputs, so sorting calls by stamp is a topological order; the
# engine walks calls by decreasing stamp.
_stamp = itertools.count()


class _ArrayView:
    """What :class:`Tensor` and :class:`Parameter` share: an array in ``.data``, seen as an array."""

    __slots__ = ()
    data: np.ndarray

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __len__(self) -> int:
        return len(self.data)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype


class Tensor(_ArrayView):
    """A value in the computational graph.

    A tensor is either a *leaf* (data you pass in: ``Tensor(X, name="X")``,
    or a raw array given to an op, which is wrapped automatically) or the
    output of an op call (``z = Linear(4)(X)``). Arithmetic on tensors
    (``+ - * / @ **``, unary ``-``, ``.sum()``, ``.mean()``, ``.T``) calls the
    built-in ops, so it is recorded too.

    Parameters
    ----------
    data : array_like
        The value. Converted with :func:`numpy.asarray`.
    name : str, optional
        A name for drawings (``"X"``, ``"y"``, ``"z"``).
    requires_grad : bool, default True
        Whether ``backward`` should compute ``.grad`` for this leaf. Data
        that needs no gradient (``Tensor(X, requires_grad=False)``) lets ops
        skip work, and lets ``backward`` return ``None`` for it.

    Attributes
    ----------
    data : numpy.ndarray
        The value.
    grad : numpy.ndarray or None
        dL/d(this tensor) after a backward pass, same shape as ``data``.
    """

    __slots__ = (
        "__weakref__",
        "_graph",
        "_inputs",
        "_name",
        "_needs",
        "_node",
        "_op",
        "_params",
        "_prev_call",
        "_saved",
        "_stamp",
        "data",
        "grad",
        "requires_grad",
    )
    # Make NumPy defer to our reflected operators (ndarray @ Tensor -> __rmatmul__).
    __array_ufunc__ = None

    def __init__(self, data: Any, name: str | None = None, requires_grad: bool = True) -> None:
        if isinstance(data, (Tensor, Parameter)):
            data = data.data
        self.data = np.asarray(data)
        self.grad: np.ndarray | None = None
        self._name = name
        self.requires_grad = bool(requires_grad) and self.data.dtype.kind in "fc"
        self._op = None
        self._inputs: tuple = ()
        self._params: tuple = ()
        self._saved: dict | None = None
        self._stamp = next(_stamp)
        self._graph: Graph | None = None
        self._node: int | None = None
        self._prev_call: weakref.ref | None = None
        self._needs: tuple[bool, ...] = ()

    @classmethod
    def _from_call(
        cls, data: np.ndarray, op: Any, inputs: tuple, params: tuple, needs: tuple, requires_grad: bool
    ) -> Tensor:
        """Fast constructor used by ``Differentiable.__call__`` (no checks)."""
        t = cls.__new__(cls)
        t.data = data
        t.grad = None
        t._name = None
        t.requires_grad = requires_grad
        t._op = op
        t._inputs = inputs
        t._params = params
        t._needs = needs
        t._saved = None
        t._stamp = next(_stamp)
        t._graph = None
        t._node = None
        t._prev_call = None
        return t

    # -- identity in the graph ---------------------------------------------
    @property
    def name(self) -> str | None:
        """The tensor's name, shown in drawings."""
        return self._name

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = value
        graph, node = self._locate()
        if graph is not None:
            graph._attrs[node]["name" if self._op is not None else "label"] = value

    @property
    def graph(self) -> Graph | None:
        """The graph this tensor was recorded in (``None`` if not recorded).

        For a leaf, which may feed several graphs, the graph it was last used
        in, while that graph is alive.
        """
        return self._locate()[0]

    @property
    def node(self) -> int | None:
        """This tensor's node id in :attr:`graph` (``None`` if not recorded)."""
        return self._locate()[1]

    def _locate(self) -> tuple[Graph | None, int | None]:
        """``(graph, node)`` where this tensor lives now, following graph merges.

        The tensor keeps pointing at the graph it was recorded in; a merged
        graph forwards to the one that absorbed it (so a leaf's weak reference
        to it stays valid while any tensor of that graph lives).
        """
        g = self._graph
        if g is None:
            return None, None
        if type(g) is weakref.ref:
            g = g()
            if g is None:
                return None, None
        if g._merged_into is None:
            return g, self._node
        return g._map_node(self._node)

    @property
    def op(self) -> Any:
        """The op instance whose call produced this tensor (``None`` for a leaf)."""
        return self._op

    @property
    def inputs(self) -> tuple:
        """The arguments of the call that produced this tensor (tensors and parameters); ``()`` for a leaf."""
        return self._inputs

    @property
    def params(self) -> tuple:
        """``(attribute, Parameter)`` for each parameter the producing op held at the call; ``()`` for a leaf."""
        return self._params

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """Which arguments of the producing call needed a gradient; ``()`` for a leaf."""
        return self._needs

    @property
    def is_leaf(self) -> bool:
        """Whether this tensor is data rather than the output of an op call."""
        return self._op is None

    # -- array protocol ----------------------------------------------------

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The value as a NumPy array (the same object as ``.data``)."""
        return self.data

    def __float__(self) -> float:
        return float(self.data)

    def __repr__(self) -> str:
        what = "leaf" if self._op is None else type(self._op).__name__
        name = f" {self._name!r}" if self._name else ""
        body = np.array2string(self.data, precision=4, threshold=6)
        return f"Tensor{name}({body}, {what})"

    # -- backward ----------------------------------------------------------
    def backward(self, grad: Any = None) -> None:
        """Run the backward pass from this tensor.

        Fills ``.grad`` of every tensor this one depends on and of every
        parameter of the ops involved. Gradients are set afresh by each pass
        (not accumulated across passes).

        Parameters
        ----------
        grad : array_like, optional
            dL/d(this tensor). Defaults to ``1.0`` for a one-element tensor
            (the loss); required otherwise.

        Raises
        ------
        NonScalarBackwardError
            ``grad`` omitted on a tensor with more than one element.
        ShapeRuleError, GradientCountError, MissingGradientError
            An op's ``backward`` broke the contract; nothing was changed.
        """
        _ENGINE.backward(self, grad)

    # -- operators (recorded through the built-in ops) ---------------------
    def __add__(self, other: Any) -> Tensor:
        return _OPS.Add()(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _OPS.Add()(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _OPS.Sub()(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _OPS.Sub()(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _OPS.Mul()(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _OPS.Mul()(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _OPS.Div()(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _OPS.Div()(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _OPS.MatMul()(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _OPS.MatMul()(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _OPS.Pow()(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _OPS.Pow()(other, self)

    def __neg__(self) -> Tensor:
        return _OPS.Neg()(self)

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum of elements (recorded as a :class:`~graphviz_autodiff.ops.Sum` call)."""
        return _OPS.Sum(axis=axis, keepdims=keepdims)(self)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Mean of elements (recorded as a :class:`~graphviz_autodiff.ops.Mean` call)."""
        return _OPS.Mean(axis=axis, keepdims=keepdims)(self)

    @property
    def T(self) -> Tensor:
        """The transpose (recorded as a :class:`~graphviz_autodiff.ops.Transpose` call)."""
        return _OPS.Transpose()(self)


class Parameter(_ArrayView, NDArrayOperatorsMixin):
    """A trainable array held by an op as an attribute.

    Declare it in the op's ``__init__`` (``self.theta = Parameter(np.zeros(4),
    name="θ")``) and use it in ``forward`` like an ndarray: ``x @ self.theta``,
    ``np.exp(self.theta)`` and ``np.asarray(self.theta)`` all give plain
    ndarrays. In ``backward``, set or add to ``self.theta.grad``.

    After a backward pass ``.grad`` holds the full dL/d(parameter) of that
    pass, summed over every call of the op in the graph, whether ``backward``
    assigned (``self.theta.grad = ...``) or added (``+=``) to it. Each pass
    sets it afresh, so the lecture's loop (forward, loss, backward, step)
    needs no ``zero_grad()``.

    Parameters
    ----------
    data : array_like
        The initial value (converted to a float array).
    name : str, optional
        A name for drawings (``"θ"``, ``"W1"``).

    Notes
    -----
    Optimizers replace ``.data`` with a new array rather than writing into
    it, so graphs recorded earlier keep showing the values they were computed
    with. Writing into ``param.data`` in place works but changes those
    recorded values too.
    """

    __slots__ = ("__weakref__", "_pass", "_pass_total", "_zero", "data", "grad", "name")

    def __init__(self, data: Any, name: str | None = None) -> None:
        array = np.array(data, dtype=np.result_type(np.asarray(data).dtype, np.float64))
        if array.dtype.kind not in "fc":
            raise TypeError(f"Parameter {name!r}: expected a float array, got dtype {array.dtype}.")
        self.data = array
        self.grad: np.ndarray | None = None
        self.name = name
        self._pass = -1
        self._pass_total: np.ndarray | None = None
        self._zero: np.ndarray | None = None

    requires_grad = True
    # NumPy's operator mixin defines ``==`` element-wise; parameters are still
    # hashed (and compared in dicts and sets) by identity.
    __hash__ = object.__hash__

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if any(isinstance(x, Tensor) for x in inputs):
            return NotImplemented
        inputs = tuple(x.data if isinstance(x, Parameter) else x for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(x.data if isinstance(x, Parameter) else x for x in kwargs["out"])
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __getitem__(self, index: Any) -> Any:
        return self.data[index]

    @property
    def T(self) -> np.ndarray:
        return self.data.T

    def reshape(self, *shape: Any) -> np.ndarray:
        return self.data.reshape(*shape)

    def sum(self, *args: Any, **kwargs: Any) -> Any:
        return self.data.sum(*args, **kwargs)

    def mean(self, *args: Any, **kwargs: Any) -> Any:
        return self.data.mean(*args, **kwargs)

    def dot(self, other: Any) -> Any:
        return self.data.dot(np.asarray(other))

    def copy(self) -> np.ndarray:
        return self.data.copy()

    def __repr__(self) -> str:
        name = f" {self.name!r}" if self.name else ""
        return f"Parameter{name}({np.array2string(self.data, precision=4, threshold=6)})"
