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
each call keeps a :class:`~graphviz_autodiff.call.Call` with a snapshot of
what ``forward`` saved on ``self``; the engine restores it before running
that call's ``backward``, and sums parameter gradients over all calls.

Inside ``backward``, ``upstream_grad`` and the parameters' values are
read-only: compute new arrays (``upstream_grad * 2``), do not write into them.
Updating a parameter after the backward pass keeps it a parameter, in place
(``linear.theta -= eta * linear.theta.grad``) or not
(``linear.theta = linear.theta - eta * linear.theta.grad``).

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
import weakref
from typing import Any

import numpy as np

from . import engine
from .call import new_call
from .context import Mode, get_local, get_mode
from .errors import ForwardOutputError
from .graph import Graph, outside_frame
from .i18n import Message
from .tensor import Parameter, Tensor
from .util import argument_names, op_label

__all__ = ["Differentiable"]

_NUMBER_TYPES = (int, float, complex, np.number, np.bool_, bool)
# dtype kinds an op's output and arguments may have: numbers (bool, int, unsigned, float, complex).
_NUMERIC = "fciub"
_OBJECT_SETATTR = object.__setattr__
_NEW = object.__new__
# The ``backward`` wrappers made by ``Differentiable.__init_subclass__`` (never wrapped twice).
_WRAPPERS: weakref.WeakSet = weakref.WeakSet()


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

    #: The ``backward`` this class defines, exactly as written. ``backward`` itself is wrapped so that
    #: the lecture's manual chain (``op.backward(g)`` called by hand) is checked and recorded; the engine
    #: and the debugger call this one (through :func:`graphviz_autodiff.engine.raw_backward`).
    raw_backward = backward

    @property
    def needs_input_grad(self) -> tuple[bool, ...] | None:
        """Inside ``backward``: which arguments need a gradient (``None`` outside).

        Ops may skip computing a gradient nobody needs (for data
        ``Tensor(X, requires_grad=False)``, for constants) and return ``None``
        for it.
        """
        state = get_local(None)  # (inline: ops read this in every backward)
        if state is None or not state.running:
            return None
        return state.running[-1][1]

    def parameters(self) -> list[Parameter]:
        """The op's parameters: :class:`Parameter` attributes, in definition order."""
        return _collect_parameters(self, [], set())

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        user_backward = cls.__dict__.get("backward")
        if user_backward is None or user_backward in _WRAPPERS:
            return
        cls.raw_backward = user_backward

        @functools.wraps(user_backward)
        def backward(self: Differentiable, upstream_grad: Any, *args: Any, **kwargs: Any) -> Any:
            if args or kwargs or engine.is_running(self):
                return user_backward(self, upstream_grad, *args, **kwargs)
            return engine.manual_backward(self, upstream_grad)

        _WRAPPERS.add(backward)
        cls.backward = backward  # type: ignore[method-assign]

    # -- the call: unwrap, forward, wrap, record ------------------------------
    def __call__(self, *inputs: Any) -> Tensor:
        """Run ``forward`` on the inputs and record the call; return a :class:`Tensor`.

        Unwraps tensors and parameters to arrays (raw data becomes leaf
        tensors), calls ``forward``, checks that it returned numbers, records
        the call as a node of a graph (unless :func:`~graphviz_autodiff.no_record`
        is on) and wraps the result in a tensor that keeps the call's context
        (a :class:`~graphviz_autodiff.call.Call`).
        """
        mode = get_mode()
        graph = None
        if mode.recording:
            graph, inputs, arg_nodes = _place_inputs(self, inputs, mode)
        else:
            for x in inputs:
                if type(x) is not Tensor and type(x) is not Parameter:
                    inputs = tuple([_as_input(self, position, x) for position, x in enumerate(inputs)])
                    break
        n = len(inputs)
        try:  # (one and two arguments without a list: no comprehension, no call with *args)
            if n == 2:
                out = self.forward(inputs[0].data, inputs[1].data)
            elif n == 1:
                out = self.forward(inputs[0].data)
            else:
                out = self.forward(*[t.data for t in inputs])
        except Exception as error:
            shapes = ", ".join(str(np.shape(t.data)) for t in inputs)
            error.add_note(f"(raised in {op_label(self)}.forward, called with argument shapes {shapes})")
            raise
        if type(out) is not np.ndarray or out.dtype.kind not in _NUMERIC:
            out = _as_output(self, out)
        params: tuple = ()
        for value in self.__dict__.values():
            if type(value) is Parameter:
                params = _named_parameters(self.__dict__)
                break
        node = None
        if graph is not None:
            param_nodes = (
                [(a, graph.add_leaf(p, "parameter", p.name or a, p.data)) for a, p in params] if params else ()
            )
            node = graph.record_call(self, arg_nodes, param_nodes, out, mode)
        if n == 2:
            needs: tuple[bool, ...] = (inputs[0].requires_grad, inputs[1].requires_grad)
        elif n == 1:
            needs = (inputs[0].requires_grad,)
        else:
            needs = tuple([t.requires_grad for t in inputs])  # (not tuple(map(...)): see benchmarks/PROFILE.md)
        requires_grad = (True in needs or bool(params)) and out.dtype.kind in "fc"
        # The output tensor, made here rather than by a constructor (a Python call less per op call): an op
        # output has its value, no gradient yet and its call; its name and leaf slots stay empty (Tensor.name).
        output = _NEW(Tensor)
        output.data = out
        output.grad = None
        output.requires_grad = requires_grad
        output.call = new_call(self, inputs, params, needs, output, graph, node)
        if params and type(self).__setattr__ is _OBJECT_SETATTR:
            type(self).__setattr__ = _keep_parameters  # type: ignore[method-assign,assignment]
        if mode.anomaly:
            engine.check_forward_finite(output)
        return output


def _place_inputs(op: Differentiable, inputs: tuple, mode: Mode) -> tuple[Graph, tuple, list[int | None]]:
    """The graph a call records into, its inputs as tensors, and the node feeding each of them.

    The graph is the innermost ``with Graph():`` block's, else the one the
    op-output inputs live in (merged if several), else a new one. Leaves get
    their node on first use; raw data becomes a leaf tensor.
    """
    # The common case in one pass: no ``with Graph():`` block, the op-output inputs all from one graph
    # (not merged away), every other input a leaf tensor already placed in that graph.
    graph = None
    arg_nodes: list[int | None] = []
    leaves = False
    if not mode.graphs:
        for x in inputs:
            if type(x) is Tensor:
                call = x.call
                if call is None:  # a leaf: its node now if the graph is known and it is placed there already
                    if graph is not None:
                        where, node = x.locate()
                        if where is graph:
                            arg_nodes.append(node)
                            continue
                    leaves = True
                    arg_nodes.append(None)
                    continue
                home = call.graph
                if home is not None and home.merged_into is None and (home is graph or graph is None):
                    graph = home
                    arg_nodes.append(call.node)
                    continue
            graph = None
            break
        if graph is not None:
            if leaves:
                for position, x in enumerate(inputs):
                    if x.call is None and arg_nodes[position] is None:
                        where, node = x.locate()
                        arg_nodes[position] = node if where is graph else _leaf_node(graph, op, x, position)
            return graph, inputs, arg_nodes
        arg_nodes = []
    graphs = []
    for x in inputs:
        if type(x) is Tensor and x.call is not None:
            home = x.call.graph
            if home is not None:
                if home.merged_into is not None:
                    home = home.resolve()
                if home not in graphs:
                    graphs.append(home)
    graph = graphs[0] if len(graphs) == 1 and not mode.graphs else Graph.for_inputs(graphs)
    tensors: Any = inputs
    for position, x in enumerate(inputs):
        if type(x) is Tensor:
            call = x.call
            if call is not None and call.graph is graph:  # an op output of this graph
                arg_nodes.append(call.node)
                continue
            where, node = x.locate()  # (an op output of a graph merged into this one, or a leaf)
            if where is graph:
                arg_nodes.append(node)
            elif call is not None:
                arg_nodes.append(None)  # an unrecorded op output: drawn without its history
            else:
                arg_nodes.append(_leaf_node(graph, op, x, position))
        elif isinstance(x, Parameter):
            arg_nodes.append(graph.add_leaf(x, "parameter", x.name or f"param{position}", x.data))
        else:
            if tensors is inputs:
                tensors = list(inputs)
            tensors[position], node = _implicit_leaf(graph, op, position, x)
            arg_nodes.append(node)
    return graph, tuple(tensors), arg_nodes


def _keep_parameters(op: Differentiable, name: str, value: Any) -> None:
    """``op.theta = array`` over a :class:`Parameter` attribute: the parameter keeps its place and takes the value.

    Installed as ``__setattr__`` of an op class the first time one of its
    instances is called holding parameters (so ops without parameters pay
    nothing): ``linear.theta = linear.theta - eta * linear.theta.grad`` then
    updates the parameter (a new array in ``.data``; the name, the graph's
    records and an optimizer's reference stay right) instead of replacing it
    with a plain array. Assigning a :class:`Parameter` or ``None`` replaces it.
    """
    old = op.__dict__.get(name)
    if type(old) is Parameter and value is not None and not isinstance(value, Parameter):
        old.assign(value, where=f"{op_label(op)}.{name}")
        return
    _OBJECT_SETATTR(op, name, value)


def _as_output(op: Differentiable, out: Any) -> np.ndarray:
    if isinstance(out, (Tensor, Parameter)):
        out = out.data
    elif isinstance(out, (tuple, list, dict)) or out is None:
        raise ForwardOutputError(Message("exc.forward_container", {"op": op_label(op), "type": type(out).__name__}))
    try:
        array = np.asarray(out)
    except ValueError as error:
        raise ForwardOutputError(
            Message("exc.forward_ragged", {"op": op_label(op), "type": type(out).__name__, "error": error})
        ) from None
    if array.dtype.kind not in _NUMERIC:
        what = Message("exc.text") if array.dtype.kind in "US" else Message("exc.of_dtype", {"dtype": array.dtype})
        raise ForwardOutputError(
            Message("exc.forward_dtype", {"op": op_label(op), "type": type(out).__name__, "what": what})
        )
    return array


def _as_input(op: Differentiable, position: int, x: Any) -> Tensor | Parameter:
    """An argument as a tensor: tensors and parameters as they are, raw data wrapped into a leaf."""
    if type(x) is Tensor or isinstance(x, Parameter):
        return x
    return _as_leaf(op, position, x)


def _as_leaf(op: Differentiable, position: int, x: Any) -> Tensor:
    """Wrap a raw argument (array, number) into a leaf tensor (a number into a named constant)."""
    if isinstance(x, _NUMBER_TYPES):
        return Tensor(x, name=repr(x.item() if isinstance(x, np.generic) else x), requires_grad=False)
    try:
        array = x if type(x) is np.ndarray else np.asarray(x)
    except ValueError:
        array = np.empty(0, dtype=object)
    if array.dtype.kind not in _NUMERIC:
        fields = {"op": op_label(op), "position": position, "type": type(x).__name__, "dtype": array.dtype}
        raise TypeError(str(Message("exc.not_numeric_argument", fields)))
    return Tensor(array)


def _implicit_leaf(graph: Any, op: Differentiable, position: int, x: Any) -> tuple[Tensor, int]:
    """The leaf tensor for raw data ``x`` in ``graph`` and its node: one node per distinct array."""
    if type(x) is np.ndarray:
        found = graph.find_leaf(x)
        if found is not None and found[0].data is x:
            return found
    leaf = _as_leaf(op, position, x)
    if leaf.name is not None:  # a constant
        return leaf, graph.add_constant(leaf.name, leaf.data)
    leaf.name = _guess_name(x) or _default_input_name(op, position, graph)
    node = graph.add_leaf(leaf, "input", leaf.name, leaf.data, key=x if type(x) is np.ndarray else None)
    leaf.mark_leaf(graph, node)
    return leaf, node


def _leaf_node(graph: Any, op: Differentiable, leaf: Tensor, position: int) -> int:
    """The node of leaf tensor ``leaf`` in ``graph`` (named after the caller's variable on first use)."""
    found = graph.find_leaf(leaf)
    if found is not None and found[0] is leaf:
        node = found[1]
    else:
        label = leaf.name or _guess_name(leaf) or _default_input_name(op, position, graph)
        node = graph.add_leaf(leaf, "input", label, leaf.data)
    leaf.mark_leaf(graph, node)
    if leaf.name is None:
        leaf.name = graph.label(node)
    return node


def _default_input_name(op: Differentiable, position: int, graph: Any) -> str:
    """An unnamed input's name: the ``forward`` argument it is passed as (``x``, ``y``), else ``input<k>``."""
    names = _forward_arguments(type(op))
    if position < len(names):
        return names[position]
    return f"input{graph.n_leaves()}"


@functools.lru_cache(maxsize=512)
def _forward_arguments(cls: type) -> tuple[str, ...]:
    """The named positional arguments of ``cls.forward`` (without ``self``), once per class."""
    return tuple(argument_names(cls, 0))


def _guess_name(obj: Any) -> str | None:
    """The variable name the caller's code uses for ``obj`` (``X``, ``y``), if any."""
    frame = outside_frame()
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
