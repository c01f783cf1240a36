"""What "run to next problem" stops at: a failed ``backward``, NaN/Inf, a failed gradient check.

This module's one job is :class:`Problems`, which finds the problems of a
step: the ones visible in the step itself (an exception, NaN/Inf in the
value, the upstream gradient or a returned gradient) and the verdicts of a
gradient-check report (:func:`graphviz_autodiff.debug.check`), run the
first time it is needed unless one was given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphviz_autodiff.debug import check
from graphviz_autodiff.i18n import tr
from graphviz_autodiff.util import describe_nonfinite, has_nonfinite

from ..drawing.names import GraphNames
from .steps import Step

__all__ = ["Problem", "Problems", "kind_name", "returned_grads"]


@dataclass(frozen=True)
class Problem:
    """Why "run to next problem" stops at a step: ``kind`` and the text lines that explain it."""

    kind: str
    lines: tuple[str, ...] = ()


def kind_name(kind: str, lang: str) -> str:
    """A problem kind in words: ``"NaN / Inf"``, or the debugger's name of a verdict (``"wrong gradient"``).

    A kind the debugger does not know is shown as given.
    """
    if kind in ("failed", "nonfinite"):
        return tr(f"problem.{kind}", lang)
    return tr(f"kind.{kind}", lang, default=kind)


def returned_grads(step: Step, name_of: Callable[[int | None], str]) -> list[tuple[str, Any]]:
    """``[(name, gradient)]`` of what a step's ``backward`` returned: arguments, then parameters."""
    out = [(name_of(node), g) for node, g in zip(step.inputs, step.grads or ())]
    out += [(name_of(step.params.get(attr)), g) for attr, g in step.param_grads.items()]
    return out


class Problems:
    """The problems of a walk's steps.

    Parameters
    ----------
    subject : Tensor or Graph
        What :func:`graphviz_autodiff.debug.check` checks when a report is needed.
    lang : {"en", "ru"}
        Language of the texts.
    names : GraphNames
        The names of the nodes (``∂L/∂<name>``).
    step_of : callable
        ``step_of(node)``: the step index (1 …) at which a node is reached.
    report : object, optional
        A gradient-check report (with ``.nodes``); computed on first need otherwise.
    checkable : bool
        Whether a gradient check can be run at all (not for a forward walk).
    """

    def __init__(
        self,
        subject: Any,
        lang: str,
        names: GraphNames,
        step_of: Callable[[int], int],
        *,
        report: Any = None,
        checkable: bool = True,
    ) -> None:
        if report is not None and not hasattr(report, "nodes"):
            raise ValueError(
                f"Stepper: report must have a .nodes list (from graphviz_autodiff.debug.check), got {report!r}"
            )
        self.subject = subject
        self.lang = lang
        self.names = names
        self.step_of = step_of
        self.report = report
        self.checkable = checkable

    def ensure_report(self) -> Any:
        """The report, running the gradient check now if there is none yet (``None`` for a forward walk)."""
        if self.report is None and self.checkable:
            self.report = check(self.subject, lang=self.lang)
        return self.report

    def of(self, step: Step, *, check: bool = False) -> list[Problem]:
        """The problems of ``step``; ``check=True`` may run the gradient check."""
        found = [Problem("failed")] if step.status == "failed" else []
        found.extend(self.nonfinite(step))
        if found:
            return found
        report = self.ensure_report() if check else self.report
        if report is not None:
            found.extend(self._verdicts(step, report))
        return found

    def nonfinite(self, step: Step) -> list[Problem]:
        """NaN/Inf in the step's value, its upstream gradient or a gradient it returned."""
        lang = self.lang
        lines = []
        if has_nonfinite(step.value):
            lines.append(tr("problem.nonfinite_value", lang, count=self._count(step.value)))
        if has_nonfinite(step.upstream_grad):
            lines.append(tr("problem.nonfinite_upstream", lang, count=self._count(step.upstream_grad)))
        for name, g in returned_grads(step, self.names.name):
            if has_nonfinite(g):
                count = self._count(g)
                lines.append(tr("problem.nonfinite_grad", lang, loss=self.names.loss, name=name, count=count))
        return [Problem("nonfinite", tuple(lines))] if lines else []

    def _verdicts(self, step: Step, report: Any) -> list[Problem]:
        found = []
        for record in report.nodes:
            kind = str(getattr(record, "kind", "ok"))
            node = getattr(record, "node", None)
            if kind in ("ok", "inherits_wrong") or node is None or self.step_of(node) != step.index + 1:
                continue
            message = str(getattr(record, "message", "") or "")
            line = tr("problem.gradcheck", self.lang, kind=kind_name(kind, self.lang), message=message)
            found.append(Problem(kind, (line,)))
        return found

    def _count(self, a: Any) -> str:
        return describe_nonfinite(a, self.lang)
