"""The stepper's text panel: what a step did, in words.

This module's one job is :class:`StepTexts`, which writes the lines of
:meth:`viz.stepper.StepperModel.describe` for a step: the upstream gradient
and where it came from, what ``backward`` returned for each argument and
parameter, the chain-rule formula, the error of a failed step (forward
steps: the inputs and the output). It receives everything it reads.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphviz_autodiff.errors import error_message
from graphviz_autodiff.i18n import tr
from graphviz_autodiff.util import argument_names

from ..drawing.labels import format_value
from ..drawing.names import GraphNames
from .formulas import chain_lines, formula_of, forward_line
from .problems import Problem
from .steps import Step

__all__ = ["StepTexts"]


class StepTexts:
    """The lines of every step's text panel.

    Parameters
    ----------
    steps : sequence of Step
        The walk.
    G : networkx.DiGraph
        The recorded graph.
    names : GraphNames
        How nodes are named in texts and formulas.
    direction : {"backward", "forward"}
    lang : {"en", "ru"}
    problems : callable
        ``problems(step)``: the step's problems (their lines are added at the end).
    nonfinite : callable
        ``nonfinite(step)``: the NaN/Inf problems of a forward step.
    precision, max_array : int
        How numbers are written (as in :func:`viz.render`).
    """

    def __init__(
        self,
        steps: Sequence[Step],
        G: Any,
        names: GraphNames,
        direction: str,
        lang: str,
        *,
        problems: Callable[[Step], list[Problem]],
        nonfinite: Callable[[Step], list[Problem]],
        precision: int = 4,
        max_array: int = 6,
    ) -> None:
        self.steps = steps
        self.G = G
        self.names = names
        self.direction = direction
        self.lang = lang
        self.problems = problems
        self.nonfinite = nonfinite
        self.precision = precision
        self.max_array = max_array
        self._step_of = {s.node: s.index + 1 for s in steps}

    def lines(self, k: int) -> list[str]:
        """The lines of step ``k`` (0 … number of steps)."""
        lang = self.lang
        direction = tr(f"dir.{self.direction}", lang)
        n = len(self.steps)
        if k == 0:
            return self._start(direction)
        step = self.steps[k - 1]
        title = self.names.title(step.node)
        lines = [tr("step.head", lang, k=k, n=n, direction=direction, node=step.node, label=title)]
        lines += self._forward_lines(step) if self.direction == "forward" else self._backward_lines(step)
        if k == n:
            lines.append(tr(f"step.end_{self.direction}", lang, n=n))
        return lines

    # -- pieces ----------------------------------------------------------------------------------------
    def _start(self, direction: str) -> list[str]:
        lang = self.lang
        lines = [tr("step.head_start", lang, n=len(self.steps), direction=direction)]
        if not self.steps:
            return [*lines, tr("step.start_empty", lang)]
        first = self.steps[0]
        title = self.names.title(first.node)
        if self.direction == "forward":
            return [*lines, tr("step.start_forward", lang, node=first.node, label=title)]
        value = self._values(first.upstream_grad) if first.upstream_grad is not None else "—"
        var, loss = self.names.name(first.node), self.names.loss
        start = tr("step.start_backward", lang, node=first.node, label=title, loss=loss, var=var, value=value)
        return [*lines, start]

    def _value(self, a: Any) -> str:
        a = np.asarray(a)
        if a.ndim == 0:
            return self._values(a)
        return tr("step.value", self.lang, shape=str(tuple(a.shape)), values=self._values(a))

    def _values(self, a: Any) -> str:
        lines = format_value(a, self.precision, self.max_array, self.lang)
        return " ".join(html.unescape(line) for line in lines)

    def _ref(self, node: int) -> str:
        """``Linear (node 2)``."""
        return tr("step.ref", self.lang, label=self.G.nodes[node]["label"], node=node)

    def _failed_consumers(self, step: Step) -> list[str]:
        """``✗ nothing from …`` when consumers of the node failed (so they sent it no gradient)."""
        failed = [
            v
            for v in sorted(self.G.successors(step.node))
            if v in self._step_of and self.steps[self._step_of[v] - 1].status == "failed"
        ]
        if not failed:
            return []
        return [tr("step.from_failed", self.lang, consumers=", ".join(self._ref(v) for v in failed))]

    def _backward_lines(self, step: Step) -> list[str]:
        lang = self.lang
        if step.status == "skipped":
            return [tr("step.skipped", lang), *self._failed_consumers(step)]
        var, loss = self.names.name(step.node), self.names.loss
        value = self._value(step.upstream_grad)
        if not step.consumers:
            lines = [tr("step.root", lang, loss=loss, var=var, value=value)]
        else:
            lines = [tr("step.upstream", lang, loss=loss, var=var, value=value)]
            refs = [self._ref(v) for v in step.consumers]
            if len(refs) == 1:
                lines.append(tr("step.from_one", lang, consumer=refs[0]))
            else:
                lines.append(tr("step.from_many", lang, n=len(refs), consumers=", ".join(refs)))
        lines.extend(self._failed_consumers(step))
        if step.status == "failed":
            return lines + self._error_lines(step)
        lines += self._returned_lines(step)
        lines += self._formula_lines(step)
        for problem in self.problems(step):
            lines.extend(problem.lines)
        return lines

    def _returned_lines(self, step: Step) -> list[str]:
        lang, loss = self.lang, self.names.loss
        args = argument_names(step.op, 0)
        lines = [tr("step.returned", lang)]
        for position, g in enumerate(step.grads or ()):
            arg = args[position] if position < len(args) else str(position)
            node = step.inputs[position] if position < len(step.inputs) else None
            if g is None:
                lines.append(tr("step.arg_none", lang, arg=arg))
            elif node is None:
                lines.append(tr("step.arg_unrecorded", lang, loss=loss, name=arg, arg=arg, value=self._value(g)))
            else:
                label = self.G.nodes[node]["label"]
                name = self.names.name(node)
                value = self._value(g)
                lines.append(tr("step.arg", lang, loss=loss, name=name, node=node, label=label, arg=arg, value=value))
        for attr, g in step.param_grads.items():
            node = step.params.get(attr)
            if g is None:
                lines.append(tr("step.param_none", lang, attr=attr))
            else:
                name = self.names.name(node) if node is not None else attr
                value = self._value(g)
                lines.append(tr("step.param", lang, loss=loss, name=name, attr=attr, node=node, value=value))
        return lines

    def _error_lines(self, step: Step) -> list[str]:
        lang = self.lang
        error = step.error
        if isinstance(error, BaseException):
            lines = [
                tr("step.error", lang, type=type(error).__name__, message=" ".join(error_message(error, lang).split()))
            ]
        else:
            kind, _, message = str(error).partition(": ")
            lines = [tr("step.error", lang, type=kind, message=message)]
        if step.where:
            lines.append(tr("step.error_at", lang, where=step.where, code=step.code or ""))
        producers = [n for n in (*step.inputs, *step.params.values()) if n is not None]
        if producers:
            refs = ", ".join(self._ref(n) for n in dict.fromkeys(producers))
            lines.append(tr("step.error_blocked", lang, producers=refs))
        return lines

    def _formula_lines(self, step: Step) -> list[str]:
        """The chain rule of the step, written with the graph's names (the general form for an op without one)."""
        lines = chain_lines(step, self.names)
        if formula_of(step.op) is None:
            head = tr("step.chain_generic", self.lang, op=step.label)
        else:
            head = tr("step.chain", self.lang)
        return [head, *(f"  {line}" for line in lines)] if lines else []

    def _forward_lines(self, step: Step) -> list[str]:
        lang = self.lang
        G = self.G
        lines = []
        formula = forward_line(step, self.names)
        if formula:
            lines.append(tr("step.computes", lang, formula=formula))
        args = argument_names(step.op, 0)
        lines.append(tr("step.inputs", lang))
        for position, node in enumerate(step.inputs):
            if node is None:
                continue
            arg = args[position] if position < len(args) else str(position)
            shape = self._shape(G.nodes[node]["value"])
            name = self.names.name(node)
            lines.append(tr("step.input", lang, arg=arg, node=node, label=name, shape=shape))
        for attr, node in step.params.items():
            shape = self._shape(G.nodes[node]["value"])
            name = self.names.name(node)
            lines.append(tr("step.param_in", lang, attr=attr, node=node, label=name, shape=shape))
        lines.append(tr("step.output", lang, name=self.names.name(step.node), value=self._value(step.value)))
        for problem in self.nonfinite(step):
            lines.extend(problem.lines)
        return lines

    def _shape(self, a: Any) -> str:
        a = np.asarray(a)
        return tr("label.scalar", self.lang) if a.ndim == 0 else str(tuple(a.shape))
