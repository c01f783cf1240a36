"""What each frame of a walk shows: node views, scenes, and the timeline of a walk.

This module's one job is to say, for every frame, how each node and edge
looks: :class:`NodeView` (a node's status, the gradient it shows, a red note,
a state override), a :class:`Scene` (every node's view and every edge's
gradient), and a :class:`Timeline` (frame 0 and the changes of each later
frame). :func:`backward_timeline` and :func:`forward_timeline` build the
timeline of a walk from its :class:`~viz.stepper.steps.Step` records, plus
the scenes used to lay the graph out once (see :mod:`viz.stepper.frames`).

Examples
--------
>>> timeline = Timeline({0: NodeView("pending"), 1: NodeView("pending")})
>>> timeline.append({1: NodeView("done", state="current", current=True)})
>>> len(timeline), timeline.scene(1)[0][1].state
(2, 'current')
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from graphviz_autodiff.errors import error_message
from graphviz_autodiff.i18n import tr
from graphviz_autodiff.util import has_nonfinite

from .steps import Step

__all__ = ["NodeView", "Scene", "Timeline", "Walk", "backward_timeline", "forward_timeline", "without_current"]


@dataclass(frozen=True, slots=True)
class NodeView:
    """What one frame shows of one node: the inputs :func:`viz.render` reads.

    Attributes
    ----------
    status : {"forward", "pending", "done", "failed", "skipped"}
        The node's status (as the engine writes it into ``graph.nx``).
    grad : numpy.ndarray or None
        Its gradient so far (an op's is shown once it is ``done``).
    error : str or None
        A note drawn in red on the node (the exception of a failed backward,
        or "no gradient from ...").
    state : str or None
        A state override for ``viz.render(states=...)`` (``"current"``).
    hidden : bool
        Forward stepping: the value does not exist yet, so the node shows its
        name only.
    current : bool
        Add the class ``current`` to the node's SVG group (also when it is
        drawn as failed, non-finite or inherited), so ``svg g.node.current`` finds it.
    verdict : str or None
        The state a gradient-check report gives the node once its gradient is
        shown (:func:`viz.drawing.states.verdict_state`): ``"failed"`` for a
        culprit, ``"inherited"`` for a node whose own backward is right but
        whose received gradient is wrong (never a green "done"), ``"nonfinite"``.
    """

    status: str = "pending"
    grad: Any = None
    error: str | None = None
    state: str | None = None
    hidden: bool = False
    current: bool = False
    verdict: str | None = None


#: A whole scene: ``({node: NodeView}, {(u, v): edge gradient or None})``.
Scene = tuple[dict[int, NodeView], dict[tuple[int, int], Any]]


class Timeline:
    """The frames of a walk, stored as changes: frame 0 is the initial scene, frame k applies change k.

    Parameters
    ----------
    nodes : mapping
        ``{node: NodeView}`` of frame 0, for every node that is drawn.
    edges : mapping, optional
        ``{(u, v): gradient}`` of frame 0 (missing edges carry no gradient).
    """

    def __init__(self, nodes: Mapping[int, NodeView], edges: Mapping[tuple[int, int], Any] | None = None) -> None:
        self.nodes0 = dict(nodes)
        self.edges0 = dict(edges or {})
        self.changes: list[Scene] = []

    def append(
        self, nodes: Mapping[int, NodeView] | None = None, edges: Mapping[tuple[int, int], Any] | None = None
    ) -> None:
        """Add the next frame as the nodes and edges that change."""
        self.changes.append((dict(nodes or {}), dict(edges or {})))

    def __len__(self) -> int:
        return len(self.changes) + 1

    def scenes(self) -> Iterator[Scene]:
        """Every frame's scene in order (fresh dicts for each frame)."""
        nodes, edges = dict(self.nodes0), dict(self.edges0)
        yield dict(nodes), dict(edges)
        for node_changes, edge_changes in self.changes:
            nodes.update(node_changes)
            edges.update(edge_changes)
            yield dict(nodes), dict(edges)

    def scene(self, k: int) -> Scene:
        """The scene of frame ``k`` (``0 <= k < len(self)``)."""
        if not 0 <= k < len(self):
            raise IndexError(f"Timeline: frame {k} does not exist (there are {len(self)} frames, 0 … {len(self) - 1})")
        nodes, edges = dict(self.nodes0), dict(self.edges0)
        for node_changes, edge_changes in self.changes[:k]:
            nodes.update(node_changes)
            edges.update(edge_changes)
        return nodes, edges


@dataclass(frozen=True)
class Walk:
    """A walk's timeline and the scenes :class:`~viz.stepper.frames.FrameSet` needs for its one layout.

    Attributes
    ----------
    timeline : Timeline
        What every frame shows.
    hints : list of Scene
        Scenes that hold most of the variants the frames need (drawn first).
    layout : list of Scene
        Scenes whose labels are measured for the layout (every box as big as its biggest label).
    """

    timeline: Timeline
    hints: list[Scene]
    layout: list[Scene]


def without_current(scene: Scene) -> Scene:
    """``scene`` with no state override and no current mark (the plain look of every node)."""
    nodes, edges = scene
    return {n: replace(view, state=None, current=False) for n, view in nodes.items()}, dict(edges)


def current_view(view: NodeView, value: Any) -> NodeView:
    """The current node's look: highlighted, unless it failed, holds NaN/Inf or has a verdict of the report.

    Those keep their own state (red, purple, orange) so that the current step never hides a problem.
    """
    natural = view.status == "failed" or view.verdict is not None or has_nonfinite(value) or has_nonfinite(view.grad)
    return replace(view, state=None if natural else "current", current=True)


def backward_timeline(
    G: Any, nodes: Sequence[int], steps: Sequence[Step], lang: str, verdicts: Mapping[int, str] | None = None
) -> Walk:
    """The frames of a backward walk: the current node highlighted, gradients arriving step by step.

    Parameters
    ----------
    G : networkx.DiGraph
        The recorded graph (``graph.nx``).
    nodes : sequence of int
        The drawn nodes.
    steps : sequence of Step
        The walk's steps, in order.
    lang : {"en", "ru"}
        Language of the notes drawn on nodes.
    verdicts : mapping, optional
        ``{node: state}`` from a gradient-check report (``"failed"``, ``"inherited"``, ``"nonfinite"``):
        an op call is drawn so from its own step on, a leaf once its last consumer has sent it its gradient.
    """
    selected = set(nodes)
    verdicts = {n: state for n, state in (verdicts or {}).items() if n in selected}
    last_use = {u: i for i, step in enumerate(steps) for u in G.predecessors(step.node) if u in verdicts}
    views = {n: NodeView("pending") for n in nodes}
    timeline = Timeline(views)
    running: dict[int, Any] = {}
    previous = None
    for step in steps:
        c = step.node
        changes: dict[int, NodeView] = {}
        edge_changes: dict[tuple[int, int], Any] = {}
        if previous is not None:
            changes[previous] = views[previous] = replace(views[previous], state=None, current=False)
        error = _join(views[c].error, error_note(step, lang))
        view = NodeView(step.status, step.upstream_grad, error, verdict=verdicts.get(c))
        changes[c] = views[c] = current_view(view, step.value)
        for u in sorted(G.predecessors(c)):
            if u not in selected:
                continue
            g = G.edges[u, c]["grad"] if step.status == "done" else None
            if g is not None:
                edge_changes[(u, c)] = g
                running[u] = g if running.get(u) is None else running[u] + g
                changes[u] = views[u] = replace(views[u], grad=running[u])
            if step.status == "failed":
                blocked = tr("note.no_gradient", lang, label=step.label, node=c)
                changes[u] = views[u] = replace(views[u], error=_join(views[u].error, blocked))
            if last_use.get(u) == step.index and G.nodes[u]["kind"] != "op":
                changes[u] = views[u] = replace(views[u], verdict=verdicts[u])
        timeline.append(changes, edge_changes)
        previous = c
    final: dict[int, NodeView] = {}
    for n in nodes:
        status = G.nodes[n]["status"]
        if G.nodes[n]["kind"] != "op" and status in ("done", "skipped"):
            final[n] = views[n] = replace(views[n], status=status)
    if timeline.changes:
        timeline.changes[-1][0].update(final)
    plain = without_current(timeline.scene(len(timeline) - 1))
    current_all = (
        {n: current_view(v, G.nodes[n]["value"]) if G.nodes[n]["kind"] == "op" else v for n, v in plain[0].items()},
        plain[1],
    )
    pending_all = ({n: replace(v, status="pending") for n, v in plain[0].items()}, plain[1])
    return Walk(timeline, [plain, current_all, pending_all], [plain, pending_all])


def forward_timeline(G: Any, nodes: Sequence[int], steps: Sequence[Step]) -> Walk:
    """The frames of a forward walk: op outputs appear in recording order, the current call highlighted."""
    ops = {s.node for s in steps}
    views = {n: NodeView("pending", hidden=True) if n in ops else NodeView("forward") for n in nodes}
    timeline = Timeline(views)
    previous = None
    for step in steps:
        changes = {step.node: current_view(NodeView("forward"), step.value)}
        if previous is not None:
            changes[previous] = NodeView("forward")
        timeline.append(changes)
        previous = step.node
    plain: Scene = ({n: NodeView("forward") for n in nodes}, {})
    current_all: Scene = (
        {n: current_view(NodeView("forward"), G.nodes[n]["value"]) if n in ops else NodeView("forward") for n in nodes},
        {},
    )
    return Walk(timeline, [plain, current_all], [plain])


def error_note(step: Step, lang: str) -> str | None:
    """The red note drawn on a failed step's node (``ValueError at student.py:12: …``), or ``None``."""
    if step.status != "failed" or step.error is None:
        return None
    if isinstance(step.error, BaseException):
        message = " ".join(error_message(step.error, lang).split())
        if step.where:
            return tr("note.error", lang, type=type(step.error).__name__, where=step.where, message=message)
        return f"{type(step.error).__name__}: {message}"
    return str(step.error)


def _join(first: str | None, second: str | None) -> str | None:
    if not first:
        return second
    if not second:
        return first
    return f"{first}; {second}"
