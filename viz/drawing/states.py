"""What state each node of a drawing is in, and which of its gradients is known yet.

This module's one job is :class:`_States`, a mixin of the renderer
(:class:`viz.drawing.builder._Builder`): it folds scalar constants into their ops,
decides which gradients backward has completed (a dash until then), hides
nodes off the gradient path on request, and sets every node's state
(forward, pending, done, failed, nonfinite) from its ``status``, its values,
a gradient-check report and the caller's ``states``, with the error and
report rows shown on the node.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from graphviz_autodiff.i18n import tr
from graphviz_autodiff.util import has_nonfinite

from .labels import escape, font, format_scalar, format_value
from .labels import wrap as wrap_text

_STATE_RANK = {"forward": 0, "pending": 1, "done": 2, "current": 3, "nonfinite": 4, "failed": 5}


def _node_id(key: Any) -> int | None:
    """A graph node id from an int or a DOT name like ``"n3"`` (``None`` if neither)."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
        return int(key)
    if isinstance(key, str) and key[:1] == "n" and key[1:].isdigit():
        return int(key[1:])
    return None


class _States:
    """Mixin of :class:`viz.drawing.builder._Builder`: folded constants, known gradients and node states."""

    def _fold(self) -> None:
        G = self.G
        keep = []
        selected = set(self.nodes)
        for n in self.nodes:
            attrs = G.nodes[n]
            succ = [v for v in G.successors(n) if v in selected]
            if attrs["kind"] == "constant" and len(succ) == 1 and not G.in_degree(n):
                v = succ[0]
                text_value = " ".join(format_value(attrs["value"], self.opts.precision, 1, self.opts.lang))
                for position in G.edges[n, v]["args"] or (0,):
                    self.folded.setdefault(v, []).append((position, text_value))
                continue
            keep.append(n)
        self.nodes = keep

    def _known_grad(self, n: int) -> Any:
        """The node's gradient if backward has completed it, else ``None``."""
        G = self.G
        attrs = G.nodes[n]
        grad = attrs["grad"]
        if grad is None:
            return None
        status = attrs["status"]
        if attrs["kind"] == "op":
            return grad if status in ("done", "failed") else None
        if status in ("pending", "forward") and any(G.nodes[s]["status"] == "pending" for s in G.successors(n)):
            return None  # a leaf whose consumers have not all sent their gradient yet
        return grad

    def _only_grad_path(self) -> None:
        G = self.G
        reached = [
            n for n in self.nodes if G.nodes[n]["grad"] is not None or G.nodes[n]["status"] in ("done", "failed")
        ]
        if not reached:
            warnings.warn(
                "render: only_grad_path=True but no gradient has reached any node yet (run backward first); "
                "drawing every node.",
                UserWarning,
                stacklevel=4,
            )
            return
        self.nodes = reached

    def _states(self) -> None:
        G = self.G
        for n in self.nodes:
            attrs = G.nodes[n]
            status = attrs["status"]
            if status == "failed":
                state = "failed"
            elif has_nonfinite(attrs["value"]) or has_nonfinite(self.grads[n]):
                state = "nonfinite"
            elif status in ("pending", "skipped"):
                state = "done" if attrs["kind"] != "op" and self.grads[n] is not None else "pending"
            elif status == "done":
                state = "done"
            else:
                state = "forward"
            self.state[n] = state
            if attrs.get("error"):
                self.notes.setdefault(n, []).extend(self._error_rows(attrs["error"]))
        self._apply_report()
        selected = set(self.nodes)
        for n, state in self.opts.states.items():
            if n in selected:
                self.state[n] = state

    def _apply_report(self) -> None:
        report = self.opts.report
        if report is None:
            return
        selected = set(self.nodes)
        for record in report.nodes:
            n = _node_id(getattr(record, "node", None))
            if n is None or n not in selected:
                continue
            kind = str(getattr(record, "kind", "ok"))
            if kind not in ("ok", "inherits_wrong"):  # the vizdraw helper draws inherits_wrong as "inherited"
                new = "nonfinite" if kind.startswith("nonfinite") else "failed"
                if _STATE_RANK[new] > _STATE_RANK[self.state[n]]:
                    self.state[n] = new
            self.notes.setdefault(n, []).extend(self._report_rows(record, kind))

    def _error_rows(self, error: str) -> list[str]:
        t = self.theme
        lines = [escape(line) for line in wrap_text("✗ " + str(error), 44, 4)]
        return [font('<BR ALIGN="LEFT"/>'.join(lines), colour=t.failed, size=t.small_fontsize)]

    def _report_rows(self, record: Any, kind: str) -> list[str]:
        t = self.theme
        lang = self.opts.lang
        ok = kind == "ok"
        head = ("✓ " if ok else "✗ ") + tr(f"kind.{kind}", lang, default=kind)
        err = getattr(record, "max_rel_error", None)
        if err is not None:
            head += f" · {tr('label.rel_error', lang)} {format_scalar(float(err), 2)}"
        lines = [escape(head)]
        if not ok:
            diagnosis = getattr(record, "diagnosis", None)
            if diagnosis:
                lines.extend(
                    escape(line) for line in wrap_text(tr(f"diag.{diagnosis}", lang, default=str(diagnosis)), 44, 2)
                )
            message = getattr(record, "message", None)
            if message:
                lines.extend(escape(line) for line in wrap_text(str(message), 44, 3))
        colour = t.done if ok else t.failed
        return [font('<BR ALIGN="LEFT"/>'.join(lines), colour=colour, size=t.small_fontsize)]
