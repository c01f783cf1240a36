"""The step debugger: walk the backward (or forward) pass one node at a time.

Two layers, as ipywidgets recommends:

* :class:`StepperModel`, plain Python (traitlets, no ipywidgets): runs the
  backward pass once through :func:`graphviz_autodiff.iter_backward` (with
  ``on_error="record"``, so a student op that raises does not stop it),
  keeps every step's gradients, states and texts, and moves between them
  with ``next() / back() / goto(k) / reset() / run_to(node) /
  run_to_problem()``. Going back never runs student code again: every frame
  is a snapshot.
* :class:`Stepper`, the same API plus the widget: first / back / next / last
  buttons, a ``Play`` control with its speed, a slider over the steps, "run
  to" a node and "next problem", the picture (inline SVG in an
  ``ipywidgets.HTML``, so the browser can select ``svg g.node.current``) and
  the text panel. The widget observes the model's ``step_index`` trait; its
  buttons only call model methods.

Steps and frames
----------------
``n_steps`` is the number of op calls (4 for the lecture's graph: ``Sum``,
``Squared``, ``Identity``, ``Linear``). ``step_index`` runs from 0 (nothing
done yet) to ``n_steps`` (all done); at ``step_index = k >= 1`` the current
step is ``steps[k - 1]``: its node is highlighted, the nodes done before it
show their gradients, the pending ones are greyed. A forward stepper walks the
op calls in recording order instead, and values appear as they are computed.

The picture comes from :mod:`viz.frames`: the graph is laid out once, and each
frame is spliced together from pre-drawn node and edge variants, so a step
costs about a millisecond even on graphs of hundreds of nodes.

Examples
--------
>>> import numpy as np
>>> import viz
>>> from graphviz_autodiff.ops import Identity, Linear, Squared, Sum
>>> X, y = np.eye(3, 4), np.ones(3)
>>> L = Sum()(Squared()(Identity()(Linear(4)(X)), y))
>>> stepper = viz.StepperModel(L)
>>> stepper.n_steps, stepper.next(), stepper.current.label
(4, 1, 'Sum')
>>> print(stepper.describe().splitlines()[0])
Step 1 of 4 · backward pass · node 6: Sum
"""

from __future__ import annotations

import html
import inspect
import os
import re
import sysconfig
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import traitlets

import graphviz_autodiff
from graphviz_autodiff.engine import iter_backward
from graphviz_autodiff.graph import Graph
from graphviz_autodiff.tensor import Tensor

from ._graphviz import VizError
from .frames import FrameSet, NodeView, Scene, Timeline, without_current
from .i18n import check_lang, tr
from .labels import format_value
from .labels import text as label_text
from .render import render
from .walkthrough import _ERROR_STYLE, text_html

__all__ = ["DIRECTIONS", "Step", "StepIndexError", "Stepper", "StepperError", "StepperModel", "UnknownNodeError"]

DIRECTIONS = ("backward", "forward")
# Render options the stepper sets itself, or that cannot follow a walk node by node.
_NOT_OPTIONS = ("states", "collapse", "only_grad_path", "overlay", "max_nodes", "report")


class StepperError(VizError):
    """Base class of the stepper's errors."""


class StepIndexError(StepperError, IndexError):
    """A step index outside ``0 … n_steps``."""


class UnknownNodeError(StepperError, LookupError):
    """``run_to`` was given a node that is not in the stepper's graph."""


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


@dataclass(frozen=True)
class Problem:
    """Why "run to next problem" stops at a step: ``kind`` and the text lines that explain it."""

    kind: str
    lines: tuple[str, ...] = ()


# -- selection and steps ----------------------------------------------------------------------------------
def _select(tensor_or_graph: Tensor | Graph) -> tuple[Graph, list[int], Tensor | None]:
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


def _arg_names(op: Any) -> list[str]:
    try:
        params = inspect.signature(type(op).forward).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return []
    return [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD][1:]


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
    backward = getattr(type(op), "_raw_backward", None)
    try:
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


def _backward_steps(graph: Graph, nodes: list[int], root: Tensor | None, lang: str) -> list[Step]:
    """Run the backward pass (a tensor) or read a recorded one (a graph) into :class:`Step` records."""
    selected = set(nodes)
    if root is not None:
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
        inputs, params = _in_edges(G, n, selected)
        steps.append(
            Step(
                index=len(steps),
                direction="backward",
                node=n,
                label=str(attrs["label"]),
                op=attrs["op"],
                status=status,
                upstream_grad=attrs["grad"] if status != "skipped" else None,
                consumers=_consumers(G, n, selected),
                grads=attrs["grads"],
                param_grads=dict(attrs["param_grads"] or {}),
                inputs=inputs,
                params=params,
                error=attrs["error"],
                value=attrs["value"],
            )
        )
    return steps


def _forward_steps(graph: Graph, nodes: list[int]) -> list[Step]:
    G = graph.nx
    selected = set(nodes)
    steps = []
    for n in nodes:
        attrs = G.nodes[n]
        if attrs["kind"] != "op":
            continue
        inputs, params = _in_edges(G, n, selected)
        steps.append(
            Step(
                index=len(steps),
                direction="forward",
                node=n,
                label=str(attrs["label"]),
                op=attrs["op"],
                inputs=inputs,
                params=params,
                value=attrs["value"],
            )
        )
    return steps


def _nonfinite(a: Any) -> bool:
    if a is None:
        return False
    a = np.asarray(a)
    return a.dtype.kind in "fc" and not np.isfinite(a).all()


# -- the model ----------------------------------------------------------------------------------------------
class StepperModel(traitlets.HasTraits):
    """Step through the backward (or forward) pass of a recorded graph; no widgets, no browser.

    Parameters
    ----------
    tensor_or_graph : Tensor or Graph
        Usually the loss: the backward pass from it runs once, now
        (``iter_backward(loss, on_error="record")``; like ``loss.backward()``
        it sets ``.grad`` of parameters, unless a ``backward`` raised). A graph
        whose backward pass already ran is read as it is. A forward stepper
        runs nothing.
    direction : {"backward", "forward"}
        Walk the backward pass (newest call first), or the forward pass (op
        calls in recording order, values appearing).
    lang : {"en", "ru"}
        Language of the texts and of the words in the picture.
    report : object, optional
        A gradient-check report (:func:`graphviz_autodiff.debug.check`) for
        :meth:`run_to_problem`; without one, the check runs the first time
        :meth:`run_to_problem` needs it.
    **render_options
        Options of :func:`viz.render` for the picture (``theme``, ``rankdir``,
        ``precision``, ``max_array``, ``legend``, ``heatmap``, ...). Not
        ``states``, ``collapse``, ``only_grad_path``, ``overlay``,
        ``max_nodes``: the stepper sets the states and draws every node.

    Attributes
    ----------
    step_index : int (a traitlet)
        0 = nothing done … ``n_steps`` = all done. Observe it with
        ``model.observe(callback, names="step_index")``.
    steps : tuple of Step
        Every step of the walk.

    Raises
    ------
    ValueError
        Bad ``direction``, ``lang`` or render option, or a tensor that is not recorded.
    TypeError
        ``tensor_or_graph`` is neither a Tensor nor a Graph.
    StepperError
        A graph (not a tensor) with no backward pass recorded in it.

    Examples
    --------
    >>> import numpy as np
    >>> from graphviz_autodiff.ops import Squared, Sum
    >>> model = StepperModel(Sum()(Squared()(np.array([1.0, 2.0]), np.zeros(2))))
    >>> model.goto(2), model.current.label, model.current.grads[0]
    (2, 'Squared', array([2., 4.]))
    >>> model.back(), model.current.label
    (1, 'Sum')
    """

    step_index = traitlets.Int(0, help="0 = nothing done yet … n_steps = all done")

    def __init__(
        self,
        tensor_or_graph: Tensor | Graph,
        direction: str = "backward",
        lang: str = "en",
        *,
        report: Any = None,
        **render_options: Any,
    ) -> None:
        super().__init__()
        if direction not in DIRECTIONS:
            raise ValueError(f"Stepper: direction must be 'backward' or 'forward', got {direction!r}")
        self.lang = check_lang(lang, "Stepper")
        self.direction = direction
        self.options = _check_options(render_options, lang)
        self._precision = int(self.options.get("precision", 4))
        self._max_array = int(self.options.get("max_array", 6))
        self.graph, self.nodes, self.root = _select(tensor_or_graph)
        if report is not None and not hasattr(report, "nodes"):
            raise ValueError(
                f"Stepper: report must have a .nodes list (from graphviz_autodiff.debug.check), got {report!r}"
            )
        self._report = report
        self._G = self.graph.nx
        if direction == "backward":
            self.steps: tuple[Step, ...] = tuple(_backward_steps(self.graph, self.nodes, self.root, lang))
            timeline, hints, layout = self._backward_timeline()
        else:
            self.steps = tuple(_forward_steps(self.graph, self.nodes))
            timeline, hints, layout = self._forward_timeline()
        self.frames = FrameSet(
            self.graph, self.nodes, timeline, layout=layout, hints=hints, options=dict(self.options, lang=lang)
        )
        self._step_of = {s.node: s.index + 1 for s in self.steps}
        self._texts: dict[int, list[str]] = {}

    # -- stepping --------------------------------------------------------------------------------------
    @property
    def n_steps(self) -> int:
        """The number of steps: one per op call."""
        return len(self.steps)

    @property
    def current(self) -> Step | None:
        """The step at ``step_index`` (``None`` at step 0)."""
        k = self.step_index
        return self.steps[k - 1] if k else None

    @traitlets.validate("step_index")
    def _valid_index(self, proposal: Any) -> int:
        k = proposal["value"]
        if not 0 <= k <= self.n_steps:
            raise StepIndexError(f"Stepper: step {k} does not exist; steps go from 0 to {self.n_steps}")
        return k

    def goto(self, k: int) -> int:
        """Go to step ``k`` (0 … ``n_steps``); return it. Nothing is recomputed.

        Raises
        ------
        StepIndexError
            ``k`` outside ``0 … n_steps``.
        """
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise StepIndexError(f"Stepper.goto: the step must be an int between 0 and {self.n_steps}, got {k!r}")
        self.step_index = int(k)
        return self.step_index

    def next(self) -> int:
        """One step forward (stays at ``n_steps`` at the end); return the new step index."""
        return self.goto(min(self.step_index + 1, self.n_steps))

    def back(self) -> int:
        """One step back (stays at 0); return the new step index."""
        return self.goto(max(self.step_index - 1, 0))

    def reset(self) -> int:
        """Back to step 0."""
        return self.goto(0)

    def last(self) -> int:
        """To the last step (the pass complete)."""
        return self.goto(self.n_steps)

    def step_of(self, target: Any) -> int:
        """The step index at which ``target`` (node id, ``"n3"``, label, tensor name or Tensor) is reached.

        For an op call, its own step; for a leaf, the step after which its
        gradient is complete (backward) or the step that first uses it
        (forward). A label shared by several nodes means the first of them
        after the current step (or the first of all).

        Raises
        ------
        UnknownNodeError
            No such node among the stepper's nodes (the message lists the labels).
        """
        candidates = sorted({self._node_step(n) for n in self._find(target)})
        ahead = [k for k in candidates if k > self.step_index]
        return (ahead or candidates)[0]

    def run_to(self, target: Any) -> int:
        """Go to the step where ``target`` is reached (see :meth:`step_of`); return the step index."""
        return self.goto(self.step_of(target))

    def run_to_problem(self) -> int | None:
        """Go to the next step with a problem; return it, or ``None`` (staying put) if there is none.

        A problem is a ``backward`` that raised (an exception or a contract
        violation such as the shape rule), NaN/Inf in the value, the upstream
        gradient or a returned gradient, or a node that fails the gradient
        check (:func:`graphviz_autodiff.debug.check`, run the first time it is
        needed unless a ``report`` was given).
        """
        for k in range(self.step_index + 1, self.n_steps + 1):
            if self.problems(k, check=True):
                return self.goto(k)
        return None

    # -- problems -------------------------------------------------------------------------------------
    @property
    def report(self) -> Any:
        """The gradient-check report given or computed so far (``None`` before it is needed)."""
        return self._report

    def _ensure_report(self) -> Any:
        if self._report is None and self.direction == "backward":
            try:
                from graphviz_autodiff.debug import check
            except ImportError:  # pragma: no cover - a core without the debugger
                return None
            self._report = check(self.root if self.root is not None else self.graph, lang=self.lang)
            self._texts.clear()
        return self._report

    def problems(self, k: int | None = None, *, check: bool = False) -> list[Problem]:
        """The problems of step ``k`` (default: the current one); ``check=True`` may run the gradient check."""
        k = self.step_index if k is None else k
        if not 1 <= k <= self.n_steps:
            return []
        step = self.steps[k - 1]
        found = []
        if step.status == "failed":
            found.append(Problem("failed"))
        found.extend(self._nonfinite_problems(step))
        if found or step.status == "failed":
            return found
        report = self._ensure_report() if check else self._report
        if report is not None:
            found.extend(self._check_problems(step, report))
        return found

    def _nonfinite_problems(self, step: Step) -> list[Problem]:
        lines = []
        if _nonfinite(step.value):
            lines.append(tr("problem.nonfinite_value", self.lang, count=self._count(step.value)))
        if _nonfinite(step.upstream_grad):
            lines.append(tr("problem.nonfinite_upstream", self.lang, count=self._count(step.upstream_grad)))
        for name, g in self._returned(step):
            if _nonfinite(g):
                lines.append(tr("problem.nonfinite_grad", self.lang, name=name, count=self._count(g)))
        return [Problem("nonfinite", tuple(lines))] if lines else []

    def _check_problems(self, step: Step, report: Any) -> list[Problem]:
        found = []
        for record in report.nodes:
            kind = str(getattr(record, "kind", "ok"))
            node = getattr(record, "node", None)
            if kind == "ok" or node is None or self._node_step(node) != step.index + 1:
                continue
            name = _core_kind(kind, self.lang)
            message = str(getattr(record, "message", "") or "")
            found.append(Problem(kind, (tr("problem.gradcheck", self.lang, kind=name, message=message),)))
        return found

    def _count(self, a: Any) -> str:
        a = np.asarray(a)
        return tr("problem.count", self.lang, nan=int(np.isnan(a).sum()), inf=int(np.isinf(a).sum()), size=a.size)

    # -- nodes ----------------------------------------------------------------------------------------
    def _find(self, target: Any) -> list[int]:
        G = self._G
        selected = set(self.nodes)
        if isinstance(target, Tensor):
            found = [target.node] if target.graph is self.graph or target.graph is self.graph._resolve() else []
        elif isinstance(target, (int, np.integer)) and not isinstance(target, bool):
            found = [int(target)]
        elif isinstance(target, str) and re.fullmatch(r"n\d+", target):
            found = [int(target[1:])]
        elif isinstance(target, str):
            found = [n for n in self.nodes if target in (G.nodes[n]["label"], G.nodes[n]["name"])]
        else:
            raise TypeError(f"Stepper.run_to: expected a node id, a label or a Tensor, got {type(target).__name__}")
        found = [n for n in found if n in selected]
        if not found:
            labels = sorted({str(G.nodes[n]["label"]) for n in self.nodes})
            raise UnknownNodeError(
                f"Stepper.run_to: no node {target!r} among the stepper's nodes; labels: {', '.join(labels)} "
                f"(or pass a node id 0 … {max(self.nodes)}, or a tensor of this graph)"
            )
        return found

    def _node_step(self, node: int) -> int:
        if node in self._step_of:
            return self._step_of[node]
        users = [self._step_of[v] for v in self._G.successors(node) if v in self._step_of]
        if not users:
            return 0
        return max(users) if self.direction == "backward" else min(users)

    def _var(self, node: int | None) -> str:
        """The name of a node's value in formulas: the leaf's label, the output's name, or "out"."""
        if node is None:
            return "?"
        attrs = self._G.nodes[node]
        if attrs["kind"] != "op":
            return str(attrs["label"])
        return str(attrs["name"] or label_text("out", self.lang))

    def _ref(self, node: int) -> str:
        """``Linear (node 2)``."""
        return tr("step.ref", self.lang, label=self._G.nodes[node]["label"], node=node)

    def _title(self, node: int) -> str:
        attrs = self._G.nodes[node]
        name = attrs["name"] if attrs["kind"] == "op" else None
        return f"{attrs['label']} ({name})" if name else str(attrs["label"])

    # -- timelines ------------------------------------------------------------------------------------
    def _current_view(self, view: NodeView, value: Any) -> NodeView:
        """The current node's look: highlighted, unless it failed or holds NaN/Inf (then red / purple)."""
        natural = view.status == "failed" or _nonfinite(value) or _nonfinite(view.grad)
        return replace(view, state=None if natural else "current", current=True)

    def _backward_timeline(self) -> tuple[Timeline, list[Scene], list[Scene]]:
        G = self._G
        selected = set(self.nodes)
        views = {n: NodeView("pending") for n in self.nodes}
        timeline = Timeline(views)
        running: dict[int, Any] = {}
        previous = None
        for step in self.steps:
            c = step.node
            changes: dict[int, NodeView] = {}
            edge_changes: dict[tuple[int, int], Any] = {}
            if previous is not None:
                changes[previous] = views[previous] = replace(views[previous], state=None, current=False)
            note = self._error_note(step)
            view = NodeView(step.status, step.upstream_grad, _join(views[c].error, note))
            changes[c] = views[c] = self._current_view(view, step.value)
            for u in sorted(G.predecessors(c)):
                if u not in selected:
                    continue
                g = G.edges[u, c]["grad"] if step.status == "done" else None
                if g is not None:
                    edge_changes[(u, c)] = g
                    running[u] = g if running.get(u) is None else running[u] + g
                    changes[u] = views[u] = replace(views[u], grad=running[u])
                if step.status == "failed":
                    blocked = tr("note.no_gradient", self.lang, label=step.label, node=c)
                    changes[u] = views[u] = replace(views[u], error=_join(views[u].error, blocked))
            timeline.append(changes, edge_changes)
            previous = c
        final: dict[int, NodeView] = {}
        for n in self.nodes:
            status = G.nodes[n]["status"]
            if G.nodes[n]["kind"] != "op" and status in ("done", "skipped"):
                final[n] = views[n] = replace(views[n], status=status)
        if timeline.changes:
            timeline.changes[-1][0].update(final)
        last = timeline.scene(len(timeline) - 1)
        plain = without_current(last)
        current_all = (
            {
                n: self._current_view(v, G.nodes[n]["value"]) if G.nodes[n]["kind"] == "op" else v
                for n, v in plain[0].items()
            },
            plain[1],
        )
        pending_all = ({n: replace(v, status="pending") for n, v in plain[0].items()}, plain[1])
        return timeline, [plain, current_all, pending_all], [plain, pending_all]

    def _forward_timeline(self) -> tuple[Timeline, list[Scene], list[Scene]]:
        G = self._G
        ops = {s.node for s in self.steps}
        views = {n: NodeView("pending", hidden=True) if n in ops else NodeView("forward") for n in self.nodes}
        timeline = Timeline(views)
        previous = None
        for step in self.steps:
            changes = {step.node: self._current_view(NodeView("forward"), step.value)}
            if previous is not None:
                changes[previous] = NodeView("forward")
            timeline.append(changes)
            previous = step.node
        plain = ({n: NodeView("forward") for n in self.nodes}, {})
        current_all = (
            {
                n: self._current_view(NodeView("forward"), G.nodes[n]["value"]) if n in ops else NodeView("forward")
                for n in self.nodes
            },
            {},
        )
        return timeline, [plain, current_all], [plain]

    def _error_note(self, step: Step) -> str | None:
        if step.status != "failed" or step.error is None:
            return None
        if isinstance(step.error, BaseException):
            message = " ".join(str(step.error).split())
            if step.where:
                return tr("note.error", self.lang, type=type(step.error).__name__, where=step.where, message=message)
            return f"{type(step.error).__name__}: {message}"
        return str(step.error)

    # -- what is shown ------------------------------------------------------------------------------------
    def svg(self, k: int | None = None) -> str:
        """The SVG of step ``k`` (default: the current step), exactly what the widget shows.

        The first call lays the graph out (Graphviz); later calls take about a millisecond.
        """
        return self.frames.svg(self.step_index if k is None else k)

    def describe(self, k: int | None = None) -> str:
        """The text panel of step ``k`` (default: the current step), in the stepper's language.

        For a backward step: the node, the upstream gradient it received
        (summed over its consumers, saying so when there are several), what its
        ``backward`` returned for each argument and parameter (shape and
        values), the chain-rule formula of a built-in op, and any problem.
        Lines that report an error start with ``✗``.
        """
        return "\n".join(self.lines(k))

    def lines(self, k: int | None = None) -> list[str]:
        """:meth:`describe` as a list of lines."""
        k = self.step_index if k is None else k
        if not 0 <= k <= self.n_steps:
            raise StepIndexError(f"Stepper: step {k} does not exist; steps go from 0 to {self.n_steps}")
        if k not in self._texts:
            self._texts[k] = self._make_lines(k)
        return list(self._texts[k])

    def describe_html(self, k: int | None = None) -> str:
        """:meth:`describe` as HTML (escaped; lines starting with ``✗`` in red)."""
        return text_html(self.lines(k))

    def _make_lines(self, k: int) -> list[str]:
        lang = self.lang
        direction = tr(f"dir.{self.direction}", lang)
        n = self.n_steps
        if k == 0:
            lines = [tr("step.head_start", lang, n=n, direction=direction)]
            if not self.steps:
                return [*lines, tr("step.start_empty", lang)]
            first = self.steps[0]
            if self.direction == "forward":
                return [*lines, tr("step.start_forward", lang, node=first.node, label=self._title(first.node))]
            value = self._values(first.upstream_grad) if first.upstream_grad is not None else "—"
            start = tr(
                "step.start_backward",
                lang,
                node=first.node,
                label=self._title(first.node),
                var=self._var(first.node),
                value=value,
            )
            return [*lines, start]
        step = self.steps[k - 1]
        lines = [tr("step.head", lang, k=k, n=n, direction=direction, node=step.node, label=self._title(step.node))]
        lines += self._forward_lines(step) if self.direction == "forward" else self._backward_lines(step)
        if k == n:
            lines.append(tr(f"step.end_{self.direction}", lang, n=n))
        return lines

    def _value(self, a: Any) -> str:
        a = np.asarray(a)
        if a.ndim == 0:
            return self._values(a)
        return tr("step.value", self.lang, shape=str(tuple(a.shape)), values=self._values(a))

    def _values(self, a: Any) -> str:
        return " ".join(html.unescape(line) for line in format_value(a, self._precision, self._max_array, self.lang))

    def _returned(self, step: Step) -> list[tuple[str, Any]]:
        out = [(self._var(node), g) for node, g in zip(step.inputs, step.grads or ())]
        out += [(self._var(step.params.get(attr)), g) for attr, g in step.param_grads.items()]
        return out

    def _failed_consumers(self, step: Step) -> list[str]:
        """``✗ nothing from …`` when consumers of the node failed (so they sent it no gradient)."""
        failed = [
            v
            for v in sorted(self._G.successors(step.node))
            if v in self._step_of and self.steps[self._step_of[v] - 1].status == "failed"
        ]
        if not failed:
            return []
        return [tr("step.from_failed", self.lang, consumers=", ".join(self._ref(v) for v in failed))]

    def _backward_lines(self, step: Step) -> list[str]:
        lang = self.lang
        if step.status == "skipped":
            return [tr("step.skipped", lang), *self._failed_consumers(step)]
        var = self._var(step.node)
        value = self._value(step.upstream_grad)
        if not step.consumers:
            lines = [tr("step.root", lang, var=var, value=value)]
        else:
            lines = [tr("step.upstream", lang, var=var, value=value)]
            names = [self._ref(v) for v in step.consumers]
            if len(names) == 1:
                lines.append(tr("step.from_one", lang, consumer=names[0]))
            else:
                lines.append(tr("step.from_many", lang, n=len(names), consumers=", ".join(names)))
        lines.extend(self._failed_consumers(step))
        if step.status == "failed":
            lines.extend(self._error_lines(step))
            return lines
        names = _arg_names(step.op)
        lines.append(tr("step.returned", lang))
        for position, g in enumerate(step.grads or ()):
            arg = names[position] if position < len(names) else str(position)
            node = step.inputs[position] if position < len(step.inputs) else None
            if g is None:
                lines.append(tr("step.arg_none", lang, arg=arg))
            elif node is None:
                lines.append(tr("step.arg_unrecorded", lang, name=arg, arg=arg, value=self._value(g)))
            else:
                lines.append(
                    tr(
                        "step.arg",
                        lang,
                        name=self._var(node),
                        node=node,
                        label=self._G.nodes[node]["label"],
                        arg=arg,
                        value=self._value(g),
                    )
                )
        for attr, g in step.param_grads.items():
            node = step.params.get(attr)
            if g is None:
                lines.append(tr("step.param_none", lang, attr=attr))
            else:
                lines.append(
                    tr(
                        "step.param",
                        lang,
                        name=self._var(node) if node is not None else attr,
                        attr=attr,
                        node=node,
                        value=self._value(g),
                    )
                )
        lines.extend(self._formula_lines(step, names))
        for problem in self.problems(step.index + 1):
            lines.extend(problem.lines)
        return lines

    def _error_lines(self, step: Step) -> list[str]:
        lang = self.lang
        error = step.error
        if isinstance(error, BaseException):
            lines = [tr("step.error", lang, type=type(error).__name__, message=" ".join(str(error).split()))]
        else:
            kind, _, message = str(error).partition(": ")
            lines = [tr("step.error", lang, type=kind, message=message)]
        if step.where:
            lines.append(tr("step.error_at", lang, where=step.where, code=step.code or ""))
        producers = [n for n in (*step.inputs, *step.params.values()) if n is not None]
        if producers:
            names = ", ".join(self._ref(n) for n in dict.fromkeys(producers))
            lines.append(tr("step.error_blocked", lang, producers=names))
        return lines

    def _formula_lines(self, step: Step, names: list[str]) -> list[str]:
        formula = getattr(step.op, "formula", None)
        backward = formula.get("backward") if isinstance(formula, dict) else None
        if not backward:
            return [tr("step.no_formula", self.lang, op=type(step.op).__name__)]
        wanted = [name for name, g in zip(names, step.grads or ()) if g is not None] + list(step.param_grads)
        chosen = [backward[name] for name in wanted if name in backward] or list(backward.values())
        return [tr("step.chain", self.lang), *(f"  {line}" for line in chosen)]

    def _forward_lines(self, step: Step) -> list[str]:
        lang = self.lang
        G = self._G
        lines = []
        formula = getattr(step.op, "formula", None)
        if isinstance(formula, dict) and formula.get("forward"):
            lines.append(tr("step.computes", lang, formula=formula["forward"]))
        names = _arg_names(step.op)
        lines.append(tr("step.inputs", lang))
        for position, node in enumerate(step.inputs):
            if node is None:
                continue
            arg = names[position] if position < len(names) else str(position)
            shape = self._shape(G.nodes[node]["value"])
            lines.append(tr("step.input", lang, arg=arg, node=node, label=G.nodes[node]["label"], shape=shape))
        for attr, node in step.params.items():
            shape = self._shape(G.nodes[node]["value"])
            lines.append(tr("step.param_in", lang, attr=attr, node=node, label=G.nodes[node]["label"], shape=shape))
        lines.append(tr("step.output", lang, name=self._var(step.node), value=self._value(step.value)))
        for problem in self._nonfinite_problems(step):
            lines.extend(problem.lines)
        return lines

    def _shape(self, a: Any) -> str:
        a = np.asarray(a)
        return label_text("scalar", self.lang) if a.ndim == 0 else str(tuple(a.shape))

    # -- export ----------------------------------------------------------------------------------------
    def to_html(self, path: str | os.PathLike, *, title: str | None = None) -> Path:
        """Write the whole walk as one self-contained HTML page (see :func:`viz.walkthrough.to_html`)."""
        from .walkthrough import to_html

        frames = [self.svg(k) for k in range(self.n_steps + 1)]
        texts = [self.describe(k) for k in range(self.n_steps + 1)]
        title = title or tr(f"html.title_{self.direction}", self.lang)
        return to_html(frames, texts, path, self.lang, title=title, start=self.step_index)

    def save_frames(self, directory: str | os.PathLike, fmt: str = "svg", *, dpi: float | None = None) -> list[Path]:
        """Write one file per step, ``step_000.<fmt>`` … (see :func:`viz.walkthrough.save_frames`)."""
        from .walkthrough import save_frames

        return save_frames(self.frames, directory, fmt, dpi=dpi)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.direction}: step {self.step_index} of {self.n_steps}>"


def _join(first: str | None, second: str | None) -> str | None:
    if not first:
        return second
    if not second:
        return first
    return f"{first}; {second}"


def _core_kind(kind: str, lang: str) -> str:
    """The debugger's name of a verdict kind (``"wrong gradient"``), if its i18n module is there."""
    try:
        from graphviz_autodiff.i18n import tr as core_tr

        return core_tr(f"kind.{kind}", lang)
    except (ImportError, KeyError, ValueError):  # pragma: no cover - older core, unknown kind
        return kind


def _check_options(options: dict[str, Any], lang: str) -> dict[str, Any]:
    for name in _NOT_OPTIONS:
        if name in options:
            why = (
                "pass report= to the Stepper itself"
                if name == "report"
                else "the stepper sets states and draws every node"
            )
            raise ValueError(f"Stepper: the render option {name}= cannot be used here ({why})")
    if "lang" in options:
        raise ValueError("Stepper: pass lang= as the stepper's own argument")
    render(Graph(), lang=lang, **options)  # validates every option (and rejects unknown ones) on an empty graph
    return dict(options)


# -- the widget -----------------------------------------------------------------------------------------
_CSS = """<style>
.gad-stepper-picture { overflow: auto; max-height: 75vh; border: 1px solid #dddddd; }
.gad-stepper-picture.gad-fit svg { max-width: 100%; height: auto; }
.gad-stepper-status { min-height: 1.4em; }
</style>"""


class _View:
    """The ipywidgets of a :class:`Stepper` (built on first display; they only call the model)."""

    def __init__(self, model: StepperModel) -> None:
        import ipywidgets as w

        self.model = model
        lang = model.lang
        n = model.n_steps

        def button(key: str, css: str) -> Any:
            b = w.Button(
                description=tr(f"button.{key}", lang), tooltip=tr(f"tooltip.{key}", lang), layout=w.Layout(width="auto")
            )
            b.add_class(css)
            return b

        self.first = button("first", "gad-first")
        self.back = button("back", "gad-back")
        self.next = button("next", "gad-next")
        self.last = button("last", "gad-last")
        self.play = w.Play(
            value=model.step_index,
            min=0,
            max=n,
            step=1,
            interval=800,
            show_repeat=False,
            description=tr("tooltip.play", lang),
        )
        self.play.add_class("gad-play")
        self.speed = w.IntSlider(
            value=800,
            min=100,
            max=3000,
            step=100,
            description=tr("label.speed", lang),
            continuous_update=False,
            tooltip=tr("tooltip.speed", lang),
            layout=w.Layout(width="260px"),
        )
        self.speed.add_class("gad-speed")
        self.slider = w.IntSlider(
            value=model.step_index,
            min=0,
            max=n,
            description=tr("label.step", lang),
            tooltip=tr("tooltip.slider", lang),
            layout=w.Layout(width="340px"),
        )
        self.slider.add_class("gad-slider")
        options = [(f"{model._title(s.node)} · {s.index + 1}", s.node) for s in model.steps]
        self.target = w.Dropdown(
            options=options, value=options[0][1] if options else None, layout=w.Layout(width="220px")
        )
        self.target.add_class("gad-target")
        self.run_to = button("run_to", "gad-run-to")
        self.problem = button("problem", "gad-problem")
        self.fit = w.ToggleButton(
            value=True,
            description=tr("button.fit", lang),
            tooltip=tr("tooltip.fit", lang),
            layout=w.Layout(width="auto"),
        )
        self.fit.add_class("gad-fit-toggle")
        self.status = w.HTML()
        self.status.add_class("gad-stepper-status")
        self.picture = w.HTML()
        self.picture.add_class("gad-stepper-picture")
        self.picture.add_class("gad-fit")
        self.text = w.HTML()
        self.text.add_class("gad-stepper-text-widget")

        w.link((self.speed, "value"), (self.play, "interval"))
        self._links = [
            traitlets.link((model, "step_index"), (self.slider, "value")),
            traitlets.link((model, "step_index"), (self.play, "value")),
        ]
        self.first.on_click(self._guard(model.reset))
        self.back.on_click(self._guard(model.back))
        self.next.on_click(self._guard(model.next))
        self.last.on_click(self._guard(model.last))
        self.run_to.on_click(self._guard(lambda: self._reached(model.run_to(self.target.value))))
        self.problem.on_click(self._guard(lambda: self._stopped(model.run_to_problem())))
        self.fit.observe(self._fit, names="value")
        model.observe(self._refresh, names="step_index")

        controls = w.HBox([self.first, self.back, self.next, self.last, self.play, self.speed])
        jumps = w.HBox([self.slider, self.target, self.run_to, self.problem, self.fit])
        self.box = w.VBox([w.HTML(_CSS), controls, jumps, self.status, self.picture, self.text])
        self.box.add_class("gad-stepper")
        self._refresh()

    def _guard(self, action: Callable[[], Any]) -> Callable[[Any], None]:
        """A click handler that calls ``action`` and shows any exception in the status line (then re-raises)."""

        def handler(_: Any) -> None:
            try:
                action()
            except Exception as error:
                self._error_status(f"✗ {type(error).__name__}: {error}")
                raise

        return handler

    def _counter(self) -> str:
        return html.escape(tr("status.counter", self.model.lang, k=self.model.step_index, n=self.model.n_steps))

    def _reached(self, k: int) -> None:
        step = self.model.current
        if step is not None:
            self.status.value = html.escape(
                tr("status.reached", self.model.lang, k=k, label=step.label, node=step.node)
            )

    def _stopped(self, k: int | None) -> None:
        model = self.model
        if k is None:
            self.status.value = html.escape(tr("status.no_problem", model.lang, k=model.step_index))
            return
        kinds = [p.kind for p in model.problems(k)]
        names = [
            tr(f"problem.{kind}", model.lang) if kind in ("failed", "nonfinite") else _core_kind(kind, model.lang)
            for kind in kinds
        ]
        self._error_status(tr("status.problem", model.lang, k=k, kind=", ".join(names)))

    def _error_status(self, message: str) -> None:
        self.status.value = f'<span style="{_ERROR_STYLE}">{html.escape(message)}</span>'

    def _fit(self, change: Any) -> None:
        if change["new"]:
            self.picture.add_class("gad-fit")
        else:
            self.picture.remove_class("gad-fit")

    def _refresh(self, change: Any = None) -> None:
        model = self.model
        self.status.value = self._counter()
        self.text.value = model.describe_html()
        try:
            self.picture.value = model.svg()
        except Exception as error:  # shown in the widget, never swallowed silently
            message = tr("status.draw_error", model.lang, error=f"{type(error).__name__}: {error}")
            self.picture.value = f'<pre style="{_ERROR_STYLE};white-space:pre-wrap">{html.escape(message)}</pre>'


class Stepper:
    """The step debugger widget: ``display(stepper)``, or leave it as the last expression of a cell.

    It has the whole API of :class:`StepperModel` (``next() back() goto(k)
    reset() run_to(node) run_to_problem() n_steps step_index current
    describe() svg() to_html(path) save_frames(dir, fmt)``), which works
    without a browser; the widget (built on first display, or by
    :attr:`widget`) shows the same frames and texts and observes the model.

    Parameters
    ----------
    tensor_or_graph, direction, lang, report, **render_options
        As for :class:`StepperModel`.

    Examples
    --------
    >>> import numpy as np
    >>> import viz
    >>> from graphviz_autodiff.ops import Identity, Linear, Squared, Sum
    >>> L = Sum()(Squared()(Identity()(Linear(4)(np.eye(3, 4))), np.ones(3)))
    >>> stepper = viz.Stepper(L, lang="ru")
    >>> stepper.run_to("Identity"), stepper.current.label
    (3, 'Identity')
    >>> 'class="node current op"' in stepper.svg()
    True
    """

    def __init__(
        self,
        tensor_or_graph: Tensor | Graph,
        direction: str = "backward",
        lang: str = "en",
        *,
        report: Any = None,
        **render_options: Any,
    ) -> None:
        self.model = StepperModel(tensor_or_graph, direction, lang, report=report, **render_options)
        self._view: _View | None = None

    # -- the model's API ---------------------------------------------------------------------------------
    @property
    def n_steps(self) -> int:
        """The number of steps (one per op call)."""
        return self.model.n_steps

    @property
    def step_index(self) -> int:
        """0 = nothing done … ``n_steps`` = all done (assigning it is :meth:`goto`)."""
        return self.model.step_index

    @step_index.setter
    def step_index(self, k: int) -> None:
        self.model.goto(k)

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step of the walk."""
        return self.model.steps

    @property
    def current(self) -> Step | None:
        """The current step (``None`` at step 0); ``current.error`` holds a raised exception."""
        return self.model.current

    @property
    def direction(self) -> str:
        return self.model.direction

    @property
    def lang(self) -> str:
        return self.model.lang

    def next(self) -> int:
        """One step forward; return the new step index."""
        return self.model.next()

    def back(self) -> int:
        """One step back (nothing is recomputed); return the new step index."""
        return self.model.back()

    def goto(self, k: int) -> int:
        """Go to step ``k``; return it."""
        return self.model.goto(k)

    def reset(self) -> int:
        """Back to step 0."""
        return self.model.reset()

    def last(self) -> int:
        """To the last step."""
        return self.model.last()

    def run_to(self, target: Any) -> int:
        """Go to the step where a node (id, ``"n3"``, label, name or Tensor) is reached."""
        return self.model.run_to(target)

    def run_to_problem(self) -> int | None:
        """Go to the next step with a problem (exception, NaN/Inf, failed gradient check), or return ``None``."""
        return self.model.run_to_problem()

    def describe(self, k: int | None = None) -> str:
        """The text panel of step ``k`` (default: current)."""
        return self.model.describe(k)

    def svg(self, k: int | None = None) -> str:
        """The SVG of step ``k`` (default: current): exactly what the widget shows."""
        return self.model.svg(k)

    def to_html(self, path: str | os.PathLike, *, title: str | None = None) -> Path:
        """Write the walk as one self-contained HTML page."""
        return self.model.to_html(path, title=title)

    def save_frames(self, directory: str | os.PathLike, fmt: str = "svg", *, dpi: float | None = None) -> list[Path]:
        """Write ``step_000.<fmt>`` … one file per step (svg, pdf or png)."""
        return self.model.save_frames(directory, fmt, dpi=dpi)

    # -- the widget ------------------------------------------------------------------------------------
    @property
    def view(self) -> _View:
        """The widgets (``view.next``, ``view.slider``, ``view.picture``, ``view.text``, ...), built on first use."""
        if self._view is None:
            self._view = _View(self.model)
        return self._view

    @property
    def widget(self) -> Any:
        """The ``ipywidgets.VBox`` to display."""
        return self.view.box

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return self.widget._repr_mimebundle_(include=include, exclude=exclude)

    def __repr__(self) -> str:
        return f"<Stepper {self.direction}: step {self.step_index} of {self.n_steps}>"
