"""The base class of every op, and the op contract.

The op contract
===============
An op is a class deriving from :class:`Differentiable` with two methods, both
on plain NumPy arrays:

``forward(self, *args) -> ndarray``
    Computes the op's output from its arguments. Save on ``self`` whatever
    ``backward`` will need (``self.x = x``), as in the lecture. Trainable
    arrays are :class:`~graphviz_autodiff.Parameter` attributes created in
    ``__init__`` and used like ndarrays (``x @ self.theta``).

``backward(self, upstream_grad) -> grads``
    Receives dL/d(output) (same shape as the output) and returns dL/d(arg)
    for every argument of ``forward``, in order: a tuple when there are
    several, a bare array allowed for one. **Each gradient has exactly the
    shape of its argument** (the lecture's rule, checked by the engine). For
    a parameter, set or add to ``self.theta.grad``. Return ``None`` for an
    argument that is not differentiable (integer labels, constants).

``__call__(*inputs)`` is provided: it unwraps tensors and parameters to
arrays, calls ``forward``, wraps the result in a :class:`~graphviz_autodiff.Tensor`
and records the call as a node of a :class:`~graphviz_autodiff.Graph`, with
edges from the nodes that produced its inputs.

The same op instance may be called several times (weight sharing, loops):
the engine restores the state ``forward`` saved on ``self`` for each call
before running that call's ``backward``, and sums parameter gradients over
all calls.

Calling ``backward`` yourself (the lecture's manual chain,
``d_mu, d_y = sq.backward(d_sq)``) works too, and records the gradients in
the graph exactly as ``loss.backward()`` does.

Example: the lecture's ``Linear``, written as a student would::

    class Linear(Differentiable):
        def __init__(self, n_features):
            self.theta = Parameter(np.zeros(n_features), name="θ")

        def forward(self, x):
            self.x = x
            return x @ self.theta                # z = θᵀ·x for every row

        def backward(self, upstream_grad):
            self.theta.grad = self.x.T @ upstream_grad       # ∂L/∂θ = Xᵀ·∂L/∂z
            return np.outer(upstream_grad, self.theta)       # ∂L/∂X, shape of X
"""

from __future__ import annotations

import functools
import sys
import weakref
from typing import Any

import numpy as np

from . import engine
from .errors import ForwardOutputError
from .graph import _PACKAGE_DIR, STATE, target_graph
from .tensor import Parameter, Tensor

__all__ = ["Differentiable"]

_NUMBER_TYPES = (int, float, complex, np.number, np.bool_, bool)


class Differentiable:
    """Base class of every op: subclass it and write ``forward`` and ``backward``.

    See the module docstring (:mod:`graphviz_autodiff.differentiable`) for
    the contract, stated once for all ops.

    Parameters
    ----------
    name : str, optional
        A label for drawings; defaults to the class name.
    """

    name: str | None = None

    def __init__(self, name: str | None = None) -> None:
        if name is not None:
            self.name = name

    # -- the contract --------------------------------------------------------
    def forward(self, *args: np.ndarray) -> np.ndarray:
        """Compute the output from the arguments (plain ndarrays)."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward(self, *args)")

    def backward(self, upstream_grad: np.ndarray) -> Any:
        """Return dL/d(arg) for every argument of ``forward``, each of its argument's shape."""
        raise NotImplementedError(f"{type(self).__name__} must implement backward(self, upstream_grad)")

    @property
    def needs_input_grad(self) -> tuple[bool, ...] | None:
        """Inside ``backward``: which arguments need a gradient (``None`` outside).

        Ops may skip computing a gradient nobody needs (for data
        ``Tensor(X, requires_grad=False)``, for constants) and return ``None``
        for it.
        """
        return engine.CURRENT_NEEDS[-1] if engine.CURRENT_NEEDS else None

    def parameters(self) -> list[Parameter]:
        """The op's parameters: :class:`Parameter` attributes, in definition order."""
        return _collect_parameters(self, [], set())

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        user_backward = cls.__dict__.get("backward")
        if user_backward is None or getattr(user_backward, "_gad_wrapper", False):
            return
        cls._raw_backward = user_backward

        @functools.wraps(user_backward)
        def backward(self: Differentiable, upstream_grad: Any, *args: Any, **kwargs: Any) -> Any:
            if args or kwargs or self in engine.ACTIVE_OPS:
                return user_backward(self, upstream_grad, *args, **kwargs)
            return engine.manual_backward(self, user_backward, upstream_grad)

        backward._gad_wrapper = True  # type: ignore[attr-defined]
        cls.backward = backward  # type: ignore[method-assign]

    _raw_backward = backward

    # -- the call: unwrap, forward, wrap, record ------------------------------
    def __call__(self, *inputs: Any) -> Tensor:
        """Run ``forward`` on the inputs and record the call; return a :class:`Tensor`."""
        if STATE.recording:
            return self._call_recorded(inputs)
        for x in inputs:
            if type(x) is not Tensor and type(x) is not Parameter:
                inputs = tuple([_as_input(self, position, x) for position, x in enumerate(inputs)])
                break
        out = self._forward([x.data for x in inputs])
        return self._finish_call(inputs, out, _named_parameters(self.__dict__))

    def _call_recorded(self, inputs: tuple) -> Tensor:
        # Where each op-output input lives (following merges), and the graphs they come from.
        located = []
        graphs = []
        for x in inputs:
            if type(x) is Tensor and x._op is not None and x._graph is not None:
                g, node = x._locate()
                if g is not None and g not in graphs:
                    graphs.append(g)
                located.append((g, node))
            else:
                located.append(None)
        graph = target_graph(graphs)
        tensors = []
        arg_nodes: list[int | None] = []
        for position, x in enumerate(inputs):
            where = located[position]
            if where is not None:
                t = x
                g, node = where
                if g is not graph:
                    g, node = x._locate()  # merged just now, or made under no_record()
                    if g is not graph:
                        node = None  # drawn without its history
            elif type(x) is Tensor:
                t = x
                node = _leaf_node(graph, x, position) if x._op is None else None
            elif isinstance(x, Parameter):
                t = x
                node = graph._leaf_node(x, x, "parameter", x.name or f"param{position}", x.data)
            else:
                t = _implicit_leaf(graph, self, position, x)
                node = t._node
            tensors.append(t)
            arg_nodes.append(node)
        tensors = tuple(tensors)
        out = self._forward([t.data for t in tensors])
        params = _named_parameters(self.__dict__)
        param_nodes = [(attr, graph._leaf_node(p, p, "parameter", p.name or attr, p.data)) for attr, p in params]
        node = graph.record_call(self, arg_nodes, param_nodes, out)
        return self._finish_call(tensors, out, params, graph, node)

    def _forward(self, arrays: list) -> np.ndarray:
        try:
            out = self.forward(*arrays)
        except Exception as error:
            shapes = ", ".join(str(np.shape(a)) for a in arrays)
            error.add_note(f"(raised in {type(self).__name__}.forward, called with argument shapes {shapes})")
            raise
        if type(out) is np.ndarray:
            return out
        return _as_output(self, out)

    def _finish_call(
        self, tensors: tuple, out: np.ndarray, params: tuple, graph: Any = None, node: int | None = None
    ) -> Tensor:
        """Wrap ``out`` into the call's tensor, link it to its inputs, and snapshot the op's state.

        The snapshot (``_saved``, a shallow copy of the op's ``__dict__``) is
        what the engine restores before this call's ``backward`` if the op
        has been called again since; ``_prev_call`` links the op's previous
        call in the same graph (the lecture's manual chain walks it back).
        """
        state = self.__dict__
        needs = tuple([t.requires_grad for t in tensors])
        requires_grad = (True in needs or bool(params)) and out.dtype.kind in "fc"
        out_tensor = Tensor._from_call(out, self, tensors, params, needs, requires_grad)
        prev = state.get("_gad_call")
        state["_gad_call"] = weakref.ref(out_tensor)
        out_tensor._saved = state.copy()
        if graph is not None:
            out_tensor._graph = graph
            out_tensor._node = node
        if prev is not None:
            previous = prev()
            if previous is not None and (previous._graph is None if graph is None else previous.graph is graph):
                out_tensor._prev_call = prev
        if STATE.anomaly:
            engine.check_forward_finite(out_tensor)
        return out_tensor


def _as_output(op: Differentiable, out: Any) -> np.ndarray:
    if isinstance(out, np.generic):  # a NumPy scalar, as np.sum returns
        return np.asarray(out)
    if isinstance(out, (Tensor, Parameter)):
        return out.data
    if isinstance(out, (tuple, list, dict)) or out is None:
        raise ForwardOutputError(
            f"{type(op).__name__}.forward returned {type(out).__name__}; it must return one array or "
            f"number. Split an op with several outputs into several ops."
        )
    array = np.asarray(out)
    if array.dtype == object:
        raise ForwardOutputError(
            f"{type(op).__name__}.forward returned {type(out).__name__}, which NumPy cannot turn into "
            f"a numeric array; return an ndarray or a number."
        )
    return array


def _as_input(op: Differentiable, position: int, x: Any) -> Tensor | Parameter:
    """An argument as a tensor: tensors and parameters as they are, raw data wrapped into a leaf."""
    if type(x) is Tensor or isinstance(x, Parameter):
        return x
    return _as_leaf(op, position, x)


def _as_leaf(op: Differentiable, position: int, x: Any) -> Tensor:
    """Wrap a raw argument (array, number) into a leaf tensor."""
    if isinstance(x, _NUMBER_TYPES):
        leaf = Tensor(x, requires_grad=False)
        leaf._name = repr(x.item() if isinstance(x, np.generic) else x)
        return leaf
    array = x if type(x) is np.ndarray else np.asarray(x)
    if array.dtype == object:
        raise TypeError(
            f"{type(op).__name__}: argument {position} is a {type(x).__name__}, not an array, a number "
            f"or a Tensor; pass numeric data (np.asarray(...) first if needed)."
        )
    return Tensor(array)


def _implicit_leaf(graph: Any, op: Differentiable, position: int, x: Any) -> Tensor:
    """The leaf tensor for raw data ``x`` in ``graph``: one node per distinct array."""
    if type(x) is np.ndarray:
        entry = graph._leaves.get(id(x))
        if entry is not None:
            leaf = entry[0]()
            if leaf is not None and leaf.data is x:
                return leaf
    leaf = _as_leaf(op, position, x)
    if leaf._name is not None:  # a constant
        leaf._node = graph._new_node(_constant_attrs(leaf))
        return leaf
    leaf._name = _guess_name(x) or f"input{len(graph._leaves)}"
    key = x if type(x) is np.ndarray else leaf
    leaf._node = graph._leaf_node(key, leaf, "input", leaf._name, leaf.data)
    leaf._graph = weakref.ref(graph)
    return leaf


def _leaf_node(graph: Any, leaf: Tensor, position: int) -> int:
    """The node of leaf tensor ``leaf`` in ``graph`` (named after the caller's variable on first use)."""
    entry = graph._leaves.get(id(leaf))
    if entry is not None and entry[0]() is leaf:
        node = entry[1]
    else:
        label = leaf._name or _guess_name(leaf) or f"input{position}"
        node = graph._leaf_node(leaf, leaf, "input", label, leaf.data)
    if leaf._name is None:
        leaf._name = graph._attrs[node]["label"]
    leaf._graph = weakref.ref(graph)
    leaf._node = node
    return node


def _constant_attrs(leaf: Tensor) -> dict[str, Any]:
    from .graph import _leaf_attrs

    return _leaf_attrs("constant", leaf._name or "const", leaf.data)


def _guess_name(obj: Any) -> str | None:
    """The variable name the caller's code uses for ``obj`` (``X``, ``y``), if any."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return None
    for name, value in frame.f_locals.items():
        if value is obj and not name.startswith("_"):
            return name
    return None


def _named_parameters(state: dict) -> tuple[tuple[str, Parameter], ...]:
    """``(attribute, parameter)`` for the parameters an op holds directly."""
    return tuple([(attr, value) for attr, value in state.items() if type(value) is Parameter])


def _collect_parameters(obj: Any, found: list[Parameter], seen: set[int]) -> list[Parameter]:
    values = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, (list, tuple)) else vars(obj).values()
    for value in values:
        if isinstance(value, Parameter):
            if id(value) not in seen:
                seen.add(id(value))
                found.append(value)
        elif isinstance(value, (list, tuple, dict)) or (hasattr(value, "parameters") and hasattr(value, "__dict__")):
            if isinstance(value, type):
                continue
            _collect_parameters(value, found, seen)
    return found
