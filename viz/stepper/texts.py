"""The stepper's text panel: what a step did, in words.

This module's one job is :class:`_StepTexts`, a mixin of
:class:`viz.stepper.StepperModel` that writes the lines of
:meth:`~viz.stepper.StepperModel.describe` for a step: the upstream gradient
and where it came from, what ``backward`` returned for each argument and
parameter, the chain-rule formula, the error of a failed step (forward
steps: the inputs and the output).
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from graphviz_autodiff.i18n import tr
from graphviz_autodiff.util import argument_names

from ..drawing.labels import format_value
from .steps import Step


class _StepTexts:
    """Mixin of :class:`viz.stepper.StepperModel`: the lines of :meth:`describe`."""

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
                return [*lines, tr("step.start_forward", lang, node=first.node, label=self.title(first.node))]
            value = self._values(first.upstream_grad) if first.upstream_grad is not None else "—"
            start = tr(
                "step.start_backward",
                lang,
                node=first.node,
                label=self.title(first.node),
                var=self._var(first.node),
                value=value,
            )
            return [*lines, start]
        step = self.steps[k - 1]
        lines = [tr("step.head", lang, k=k, n=n, direction=direction, node=step.node, label=self.title(step.node))]
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
        names = argument_names(step.op, 0)
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
        names = argument_names(step.op, 0)
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
        return tr("label.scalar", self.lang) if a.ndim == 0 else str(tuple(a.shape))
