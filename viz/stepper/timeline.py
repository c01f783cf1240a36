"""How each step of the stepper looks in the picture: the timelines of node views.

This module's one job is :class:`_Timelines`, a mixin of
:class:`viz.stepper.StepperModel` that turns its steps into a
:class:`viz.stepper.frames.Timeline` (which node is current, pending, done or
failed, and which gradients have arrived at each step), plus the scenes used
to lay the graph out once for every frame.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from graphviz_autodiff.i18n import tr
from graphviz_autodiff.util import has_nonfinite

from .frames import NodeView, Scene, Timeline, without_current
from .steps import Step


class _Timelines:
    """Mixin of :class:`viz.stepper.StepperModel`: the node views of every step."""

    # -- timelines ------------------------------------------------------------------------------------
    def _current_view(self, view: NodeView, value: Any) -> NodeView:
        """The current node's look: highlighted, unless it failed or holds NaN/Inf (then red / purple)."""
        natural = view.status == "failed" or has_nonfinite(value) or has_nonfinite(view.grad)
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


def _join(first: str | None, second: str | None) -> str | None:
    if not first:
        return second
    if not second:
        return first
    return f"{first}; {second}"
