"""The stepper's records: the per-step snapshots built from a recorded graph.

This module's one job is to turn a graph (or the backward pass run from a
loss tensor) into :class:`Step` records, one per op call, in walk order:
which node, what it received and returned, its inputs and parameters, and,
for a failed ``backward``, where in the student's code it raised.
:mod:`viz.stepper` re-exports :class:`Step`.
"""

from __future__ import annotations

import inspect
import os
import re
import sysconfig
import traceback
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

import graphviz_autodiff
from graphviz_autodiff.engine import iter_backward
from graphviz_autodiff.graph import Graph
from graphviz_autodiff.i18n import messages_in, tr
from graphviz_autodiff.tensor import Tensor

from .errors import StepperError

__all__ = ["Step", "backward_steps", "forward_steps", "select_nodes"]


@dataclass(frozen=True, eq=False)
class Step:
    """One step of the walk: one op call.

    Attributes
    ----------
    index : int
        Position in the walk (0 first); the step is current at ``step_index = index + 1``.
    direction : {"backward", "forward"}
    node : int
        The call's node id in ``graph.nx``.
    label : str
        The op's label.
    op : Differentiable or None
        The op instance.
    status : {"done", "failed", "skipped"}
        ``skipped``: no gradient reached the node, so ``backward`` was not called.
    upstream_grad : numpy.ndarray or None
        ∂L/∂(output) the node received, summed over its consumers.
    consumers : tuple of int
        The consumer nodes that sent it a gradient (empty for the loss).
    grads : tuple or None
        What ``backward`` returned, one entry per argument.
    param_grads : dict
        ``{attribute: gradient or None}`` for the op's parameters.
    inputs : tuple of int or None
        The node feeding each argument.
    params : dict
        ``{attribute: node}`` of the op's parameters.
    error : BaseException or str or None
        The exception ``backward`` raised (a string when the stepper was made
        from a graph that was walked before).
    where, code : str or None
        ``file:line`` and the source line of the student's code where it raised.
    value : numpy.ndarray or None
        The call's forward value.
    record : BackwardStep or None
        The engine's own record of the step.
    """

    index: int
    direction: str
    node: int
    label: str
    op: Any = None
    status: str = "done"
    upstream_grad: Any = None
    consumers: tuple[int, ...] = ()
    grads: tuple | None = None
    param_grads: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[int | None, ...] = ()
    params: dict[str, int] = field(default_factory=dict)
    error: BaseException | str | None = None
    where: str | None = None
    code: str | None = None
    value: Any = None
    record: Any = None

    @property
    def n_consumers(self) -> int:
        """How many consumers sent a gradient (the upstream gradient is their sum)."""
        return len(self.consumers)


# -- selection and steps ----------------------------------------------------------------------------------
def select_nodes(tensor_or_graph: Tensor | Graph) -> tuple[Graph, list[int], Tensor | None]:
    """``(graph, the nodes to walk, the root tensor or None)`` of what the stepper was given.

    Raises
    ------
    ValueError
        A tensor that is not part of a recorded graph.
    TypeError
        Neither a Tensor nor a Graph.
    """
    if isinstance(tensor_or_graph, Tensor):
        graph, node = tensor_or_graph.graph, tensor_or_graph.node
        if graph is None or node is None or node not in graph.nx:
            raise ValueError(
                "Stepper: this tensor is not part of a recorded graph (made under no_record(), or a leaf no op has "
                "used); step through a tensor computed by ops, e.g. the loss."
            )
        return graph, sorted(nx.ancestors(graph.nx, node) | {node}), tensor_or_graph
    if isinstance(tensor_or_graph, Graph):
        return tensor_or_graph, sorted(tensor_or_graph.nx), None
    raise TypeError(
        f"Stepper: expected a graphviz_autodiff Tensor (the loss) or Graph, got {type(tensor_or_graph).__name__}"
    )


_SKIP_DIRS = tuple(
    os.path.realpath(p) + os.sep
    for p in {
        os.path.dirname(graphviz_autodiff.__file__),
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"],
    }
)


_NOTEBOOK_CELL = re.compile(r"ipykernel_\d+[\\/]\d+\.py$|^<ipython-input-")


def _where(filename: str, line: int | None, lang: str) -> str:
    """``student.py:12``, or "notebook cell, line 12" for code typed into a Jupyter cell."""
    if _NOTEBOOK_CELL.search(filename):
        return tr("note.cell", lang, line=line)
    return f"{os.path.basename(filename)}:{line}"


def _student_line(error: BaseException, op: Any, lang: str) -> tuple[str | None, str | None]:
    """``(where, source line)`` of the user's code where ``error`` was raised, if any."""
    frames = [
        f for f in traceback.extract_tb(error.__traceback__) if not os.path.realpath(f.filename).startswith(_SKIP_DIRS)
    ]
    if frames:
        f = frames[-1]
        return _where(f.filename, f.lineno, lang), (f.line or "").strip() or None
    # A contract violation found by the engine after backward returned: point at the backward itself.
    backward = getattr(type(op), "raw_backward", None)
    try:
        backward = inspect.unwrap(backward)  # type: ignore[arg-type]
        lines, start = inspect.getsourcelines(backward)  # type: ignore[arg-type]
        filename = inspect.getsourcefile(backward)  # type: ignore[arg-type]
    except (TypeError, OSError):
        return None, None
    return _where(filename or "?", start, lang), lines[0].strip()


def _in_edges(G: Any, node: int, selected: set[int]) -> tuple[tuple[int | None, ...], dict[str, int]]:
    """The node feeding each argument of ``node``'s call, and its parameters by attribute."""
    positions: dict[int, int] = {}
    params: dict[str, int] = {}
    for u in G.predecessors(node):
        if u not in selected:
            continue
        edge = G.edges[u, node]
        for position in edge["args"]:
            positions[position] = u
        if edge["param"] is not None:
            params[edge["param"]] = u
    size = 1 + max(positions, default=-1)
    return tuple(positions.get(i) for i in range(size)), params


def _consumers(G: Any, node: int, selected: set[int]) -> tuple[int, ...]:
    return tuple(v for v in sorted(G.successors(node)) if v in selected and G.edges[node, v]["grad"] is not None)


def backward_steps(graph: Graph, nodes: list[int], root: Tensor | None, lang: str) -> list[Step]:
    """Run the backward pass (a tensor) or read a recorded one (a graph) into :class:`Step` records."""
    selected = set(nodes)
    if root is not None:
        with messages_in(lang):  # errors drawn on the graph's nodes, in the stepper's language
            records = [r for r in iter_backward(root, on_error="record") if r.node is not None and r.node in selected]
        G = graph.nx
        steps = []
        for r in records:
            inputs, params = _in_edges(G, r.node, selected)
            where = code = None
            if r.error is not None:
                where, code = _student_line(r.error, r.op, lang)
            steps.append(
                Step(
                    index=len(steps),
                    direction="backward",
                    node=r.node,
                    label=r.label,
                    op=r.op,
                    status=r.status,
                    upstream_grad=r.upstream_grad,
                    consumers=_consumers(G, r.node, selected),
                    grads=r.grads,
                    param_grads=dict(r.param_grads),
                    inputs=inputs,
                    params=params,
                    error=r.error,
                    where=where,
                    code=code,
                    value=G.nodes[r.node]["value"],
                    record=r,
                )
            )
        return steps
    G = graph.nx
    ops = [n for n in reversed(nodes) if G.nodes[n]["kind"] == "op"]
    if ops and all(G.nodes[n]["status"] == "forward" for n in ops):
        raise StepperError(
            "Stepper(graph): this graph holds no backward pass to step through. Pass the loss tensor instead "
            "(viz.Stepper(loss) runs the pass itself), or call loss.backward() first, or use direction='forward'."
        )
    steps = []
    for n in ops:
        attrs = G.nodes[n]
        status = attrs["status"] if attrs["status"] in ("done", "failed") else "skipped"
        steps.append(
            _recorded_step(
                G,
                n,
                selected,
                len(steps),
                "backward",
                status=status,
                upstream_grad=attrs["grad"] if status != "skipped" else None,
                consumers=_consumers(G, n, selected),
                grads=attrs["grads"],
                param_grads=dict(attrs["param_grads"] or {}),
                error=attrs["error"],
            )
        )
    return steps


def forward_steps(graph: Graph, nodes: list[int]) -> list[Step]:
    """The op calls among ``nodes`` in recording order, as forward :class:`Step` records."""
    G = graph.nx
    selected = set(nodes)
    steps = []
    for n in nodes:
        if G.nodes[n]["kind"] == "op":
            steps.append(_recorded_step(G, n, selected, len(steps), "forward"))
    return steps


def _recorded_step(G: Any, node: int, selected: set[int], index: int, direction: str, **fields: Any) -> Step:
    """The :class:`Step` of ``node`` as the graph recorded it (label, op, inputs, parameters, value) and ``fields``."""
    attrs = G.nodes[node]
    inputs, params = _in_edges(G, node, selected)
    return Step(
        index=index,
        direction=direction,
        node=node,
        label=str(attrs["label"]),
        op=attrs["op"],
        inputs=inputs,
        params=params,
        value=attrs["value"],
        **fields,
    )
