"""Tensor (what an op call returns) and Parameter (a trainable array of an op)."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from .i18n import Message

if TYPE_CHECKING:
    from .call import Call
    from .graph import Graph

__all__ = ["Parameter", "Tensor"]


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
    built-in ops, so it is recorded too; those operators and :meth:`backward`
    come from the layers above this module (:mod:`graphviz_autodiff.ops.arithmetic`
    installs them when the package is imported, as Chainer installs its
    ``Variable`` arithmetic), so that no module imports a layer above it.

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
        dL/d(this tensor) after a backward pass, same shape as ``data``
        (read-only: the engine hands gradients to ``backward`` read-only).
    requires_grad : bool
        Whether a backward pass computes ``.grad`` for it (only float and
        complex values can have a gradient).
    call : Call or None
        The op call that produced this tensor (``None`` for a leaf): the op,
        its arguments and what its ``forward`` saved; see :mod:`graphviz_autodiff.call`.
    """

    __slots__ = ("__weakref__", "_graph", "_name", "_node", "call", "data", "grad", "requires_grad")
    # Make NumPy defer to our reflected operators (ndarray @ Tensor -> __rmatmul__).
    __array_ufunc__ = None

    def __init__(self, data: Any, name: str | None = None, requires_grad: bool = True) -> None:
        if isinstance(data, (Tensor, Parameter)):
            data = data.data
        self.data = np.asarray(data)
        self.grad: np.ndarray | None = None
        self._name = name
        self.requires_grad = bool(requires_grad) and self.data.dtype.kind in "fc"
        self.call: Call | None = None
        self._graph: weakref.ref | None = None  # (a leaf's: see locate)
        self._node: int | None = None

    # -- identity in the graph ---------------------------------------------
    @property
    def name(self) -> str | None:
        """The tensor's name, shown in drawings."""
        try:
            return self._name
        except AttributeError:  # an op output never named: Differentiable.__call__ leaves the slot empty
            return None

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = value
        graph, node = self.locate()
        if graph is not None:
            graph.set_name(node, value)

    @property
    def graph(self) -> Graph | None:
        """The graph this tensor was recorded in (``None`` if not recorded).

        For a leaf, which may feed several graphs, the graph it was last used
        in, while that graph is alive.
        """
        return self.locate()[0]

    @property
    def node(self) -> int | None:
        """This tensor's node id in :attr:`graph` (``None`` if not recorded)."""
        return self.locate()[1]

    def locate(self) -> tuple[Graph | None, int | None]:
        """``(graph, node)`` where this tensor lives now, following graph merges (``(None, None)`` if nowhere).

        An op output lives where its call was recorded (``call.graph``,
        ``call.node``); a leaf remembers, weakly, the graph it was last used in.
        A merged graph forwards to the one that absorbed it (so a leaf's weak
        reference to it stays valid while any tensor of that graph lives).
        """
        call = self.call
        if call is not None:
            g = call.graph
            node = call.node
        else:
            g = self._graph() if self._graph is not None else None
            node = self._node
        if g is None:
            return None, None
        if g.merged_into is None:
            return g, node
        return g.locate(node)

    def mark_leaf(self, graph: Graph, node: int) -> None:
        """Remember that this leaf is node ``node`` of ``graph`` (weakly: a leaf keeps no graph alive)."""
        self._graph = weakref.ref(graph)
        self._node = node

    @property
    def op(self) -> Any:
        """The op instance whose call produced this tensor (``None`` for a leaf)."""
        return self.call.op if self.call is not None else None

    @property
    def inputs(self) -> tuple:
        """The arguments of the call that produced this tensor (tensors and parameters); ``()`` for a leaf."""
        return self.call.inputs if self.call is not None else ()

    @property
    def params(self) -> tuple:
        """``(attribute, Parameter)`` for each parameter the producing op held at the call; ``()`` for a leaf."""
        return self.call.params if self.call is not None else ()

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """Which arguments of the producing call needed a gradient; ``()`` for a leaf."""
        return self.call.needs if self.call is not None else ()

    @property
    def is_leaf(self) -> bool:
        """Whether this tensor is data rather than the output of an op call."""
        return self.call is None

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
        what = "leaf" if self.call is None else type(self.call.op).__name__
        name = f" {self.name!r}" if self.name else ""
        body = np.array2string(self.data, precision=4, threshold=6)
        return f"Tensor{name}({body}, {what})"


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

    The lecture's update line works as written and keeps the parameter a
    parameter: ``linear.theta -= eta * linear.theta.grad`` (and ``+=``,
    ``*=``, ``/=``, ``np.subtract(theta, g, out=theta)``) gives ``.data`` a
    new array; ``linear.theta = linear.theta - eta * linear.theta.grad`` does
    the same (the op keeps its parameter and gives it the new value).

    Parameters
    ----------
    data : array_like
        The initial value (converted to a float array).
    name : str, optional
        A name for drawings (``"θ"``, ``"W1"``).

    Notes
    -----
    Updates (optimizers, the in-place operators, :meth:`assign`) replace
    ``.data`` with a new array rather than writing into it, so graphs
    recorded earlier keep showing the values they were computed with.
    Writing into ``param.data[...]`` yourself works but changes those
    recorded values too.

    Examples
    --------
    >>> import numpy as np
    >>> theta = Parameter(np.array([1.0, 2.0]), name="θ")
    >>> old = theta.data
    >>> theta -= 0.5 * np.array([2.0, 2.0])
    >>> type(theta).__name__, theta.data, old
    ('Parameter', array([0., 1.]), array([1., 2.]))
    """

    __slots__ = ("__weakref__", "data", "grad", "name")

    def __init__(self, data: Any, name: str | None = None) -> None:
        array = np.array(data, dtype=np.result_type(np.asarray(data).dtype, np.float64))
        if array.dtype.kind not in "fc":
            raise TypeError(str(Message("exc.parameter_dtype", {"name": repr(name), "dtype": array.dtype})))
        self.data = array
        self.grad: np.ndarray | None = None
        self.name = name

    requires_grad = True
    # NumPy's operator mixin defines ``==`` element-wise; parameters are still
    # hashed (and compared in dicts and sets) by identity.
    __hash__ = object.__hash__

    def assign(self, value: Any, *, where: str | None = None) -> None:
        """Give the parameter a new value: ``.data`` becomes a new array (the old one is left as it was).

        Parameters
        ----------
        value : array_like
            The new value: numbers, converted to the parameter's dtype (a
            complex value only for a complex parameter).
        where : str, optional
            How to name the parameter in an error (``"Linear.theta"``).

        Raises
        ------
        TypeError
            ``value`` is not numeric, or complex for a real parameter.
        """
        if isinstance(value, (Tensor, Parameter)):
            value = value.data
        array = value if isinstance(value, np.ndarray) else np.asarray(value)
        kind = array.dtype.kind
        own = self.data.dtype
        if kind not in "fciub" or (kind == "c" and own.kind != "c"):
            what = where or Message("exc.parameter_named", {"name": repr(self.name)})
            raise TypeError(str(Message("exc.parameter_value", {"what": what, "dtype": array.dtype, "own": own})))
        self.data = array if array.dtype == own else array.astype(own)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out")
        if out is not None and any(isinstance(x, Parameter) for x in out):
            return self._update(ufunc, method, inputs, kwargs)
        if any(isinstance(x, Tensor) for x in inputs):
            return NotImplemented
        inputs = tuple(x.data if isinstance(x, Parameter) else x for x in inputs)
        if out is not None:
            kwargs["out"] = tuple(x.data if isinstance(x, Parameter) else x for x in out)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def _update(self, ufunc: Any, method: str, inputs: tuple, kwargs: dict) -> Any:
        """An in-place operation on parameters (``theta -= g``): new arrays into ``.data``, the parameters returned."""
        out = kwargs.pop("out")
        arrays = tuple(x.data if isinstance(x, (Tensor, Parameter)) else x for x in inputs)
        if any(not isinstance(x, Parameter) and x is not None for x in out):
            kwargs["out"] = tuple(None if isinstance(x, Parameter) else x for x in out)
        result = getattr(ufunc, method)(*arrays, **kwargs)
        results = result if isinstance(result, tuple) else (result,)
        for target, value in zip(out, results):
            if isinstance(target, Parameter):
                if np.shape(value) != target.data.shape:
                    fields = {"name": repr(target.name), "ufunc": ufunc.__name__}
                    fields.update(old=target.data.shape, new=np.shape(value))
                    raise ValueError(str(Message("exc.parameter_shape", fields)))
                target.assign(value)
        returned = tuple(t if isinstance(t, Parameter) else r for t, r in zip(out, results))
        return returned if isinstance(result, tuple) else returned[0]

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
