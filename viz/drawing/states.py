"""What state each node of a drawing is in, and which of its gradients is known yet.

The rules, one home each:

* :func:`known_grad`: the gradient a node shows (a dash until backward has
  completed it). The stepper's frames (:mod:`viz.stepper.frames`) call the same
  function, so a frame and :func:`viz.render` always agree.
* :func:`status_state`: the state that follows from the node's ``status``.
* :func:`node_states`: every node's final state (the status, NaN/Inf, a
  gradient-check report, the caller's overrides) and the notes drawn on it.

Also :func:`fold_constants` (scalar constants folded into their ops) and
:func:`grad_path` (the nodes a gradient reached).

Examples
--------
>>> import numpy as np
>>> known_grad("op", "pending", np.ones(2), ()) is None  # an op's gradient shows once it is done
True
>>> known_grad("input", "pending", np.ones(2), ("done",))
array([1., 1.])
>>> status_state("parameter", "pending", np.ones(2))
'done'
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from graphviz_autodiff.i18n import tr
from graphviz_autodiff.util import has_nonfinite

from ..themes import Theme
from .labels import escape, font, format_scalar, format_value
from .labels import wrap as wrap_text
from .options import RenderOptions, node_id

__all__ = [
    "INHERITS_WRONG",
    "NodeFacts",
    "fold_constants",
    "grad_path",
    "known_grad",
    "known_grads",
    "node_states",
    "status_state",
    "verdict_state",
]

# Which state wins when the report and the status disagree (higher wins).
_STATE_RANK = {"forward": 0, "pending": 1, "done": 2, "inherited": 3, "current": 4, "nonfinite": 5, "failed": 6}
#: The debugger's verdict for a node whose own backward is right but whose received gradient is wrong.
INHERITS_WRONG = "inherits_wrong"


@dataclass
class NodeFacts:
    """What the drawing knows about its nodes before they become drawn units.

    Attributes
    ----------
    grads : dict
        ``{node: gradient shown, or None for the dash}`` (:func:`known_grad`).
    state : dict
        ``{node: state}`` (:func:`node_states`).
    notes : dict
        ``{node: [escaped HTML rows]}``: errors and report rows drawn on the node.
    folded : dict
        ``{op node: [(argument position, escaped constant text)]}`` (:func:`fold_constants`).
    names : dict
        ``{node: name}`` (:func:`viz.drawing.names.default_names`): what values are called in ``z =`` and
        ``∂L/∂z`` rows.
    loss : str
        The loss's name in ``∂L/∂z`` (:class:`viz.drawing.names.GraphNames`).
    """

    grads: dict[int, Any] = field(default_factory=dict)
    state: dict[int, str] = field(default_factory=dict)
    notes: dict[int, list[str]] = field(default_factory=dict)
    folded: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    loss: str = "L"


def known_grad(kind: str, status: str, grad: Any, successor_statuses: Iterable[str]) -> Any:
    """The gradient a node shows: ``grad`` once backward has completed it, else ``None`` (a dash).

    An op's gradient is complete when the op is ``done`` (or ``failed``). A
    leaf's (input, parameter) running sum is complete once none of its
    consumers is still ``pending``.

    Parameters
    ----------
    kind : {"op", "input", "parameter", "constant"}
        The node's kind.
    status : str
        Its status as the engine writes it (``"forward"``, ``"pending"``, ``"done"``, ...).
    grad : array or None
        Its gradient so far.
    successor_statuses : iterable of str
        The statuses of its consumers (read only for leaves).

    Returns
    -------
    array or None
    """
    if grad is None:
        return None
    if kind == "op":
        return grad if status in ("done", "failed") else None
    if status in ("pending", "forward") and any(s == "pending" for s in successor_statuses):
        return None  # a leaf whose consumers have not all sent their gradient yet
    return grad


def known_grads(G: nx.DiGraph, nodes: Iterable[int]) -> dict[int, Any]:
    """:func:`known_grad` of every node of ``nodes`` in the recorded graph ``G``."""
    out = {}
    for n in nodes:
        attrs = G.nodes[n]
        successors = (G.nodes[s]["status"] for s in G.successors(n))
        out[n] = known_grad(attrs["kind"], attrs["status"], attrs["grad"], successors)
    return out


def status_state(kind: str, status: str, known: Any) -> str:
    """The state that follows from a node's status alone: forward, pending, done or failed.

    ``known`` is what :func:`known_grad` returned: a leaf waiting in a
    ``pending`` pass is drawn done once its gradient is complete.
    """
    if status == "failed":
        return "failed"
    if status in ("pending", "skipped"):
        return "done" if kind != "op" and known is not None else "pending"
    return "done" if status == "done" else "forward"


def verdict_state(kind: str) -> str | None:
    """The state a gradient-check verdict draws a node in (``None``: the verdict leaves the state alone).

    ``"ok"`` leaves it; ``"inherits_wrong"`` is ``"inherited"`` (never a green
    ``done``); ``"nonfinite_forward"`` / ``"nonfinite_backward"`` are
    ``"nonfinite"``; every other verdict is ``"failed"``.

    >>> verdict_state("ok"), verdict_state("inherits_wrong"), verdict_state("shape")
    (None, 'inherited', 'failed')
    """
    if kind == "ok":
        return None
    if kind == INHERITS_WRONG:
        return "inherited"
    return "nonfinite" if kind.startswith("nonfinite") else "failed"


def fold_constants(
    G: nx.DiGraph, nodes: list[int], precision: int, lang: str
) -> tuple[list[int], dict[int, list[tuple[int, str]]]]:
    """Drop scalar constants used by one op; return the kept nodes and ``{op: [(position, text)]}``."""
    keep = []
    folded: dict[int, list[tuple[int, str]]] = {}
    selected = set(nodes)
    for n in nodes:
        attrs = G.nodes[n]
        succ = [v for v in G.successors(n) if v in selected]
        if attrs["kind"] == "constant" and len(succ) == 1 and not G.in_degree(n):
            v = succ[0]
            text_value = " ".join(format_value(attrs["value"], precision, 1, lang))
            for position in G.edges[n, v]["args"] or (0,):
                folded.setdefault(v, []).append((position, text_value))
            continue
        keep.append(n)
    return keep, folded


def grad_path(G: nx.DiGraph, nodes: list[int]) -> list[int]:
    """The nodes a gradient reached (all of ``nodes``, with a warning, if none did yet)."""
    reached = [n for n in nodes if G.nodes[n]["grad"] is not None or G.nodes[n]["status"] in ("done", "failed")]
    if not reached:
        warnings.warn(
            "render: only_grad_path=True but no gradient has reached any node yet (run backward first); "
            "drawing every node.",
            UserWarning,
            stacklevel=3,  # the caller of viz.render
        )
        return nodes
    return reached


def node_states(G: nx.DiGraph, nodes: list[int], facts: NodeFacts, opts: RenderOptions) -> None:
    """Fill ``facts.state`` and ``facts.notes`` of every node (``facts.grads`` must be filled).

    In order: the status (:func:`status_state`), NaN/Inf in the value or the
    shown gradient, ``opts.report`` (a verdict raises the state to
    :func:`verdict_state`'s, never lowers it, and adds a row), then
    ``opts.states`` (the caller's overrides win).
    """
    theme, lang = opts.theme, opts.lang
    for n in nodes:
        attrs = G.nodes[n]
        state = status_state(attrs["kind"], attrs["status"], facts.grads[n])
        if state != "failed" and (has_nonfinite(attrs["value"]) or has_nonfinite(facts.grads[n])):
            state = "nonfinite"
        facts.state[n] = state
        if attrs.get("error"):
            facts.notes.setdefault(n, []).extend(_error_rows(attrs["error"], theme))
    if opts.report is not None:
        _apply_report(opts.report, set(nodes), facts, theme, lang)
    selected = set(nodes)
    for n, state in (opts.states or {}).items():
        if n in selected:
            facts.state[n] = state


def _apply_report(report: Any, selected: set[int], facts: NodeFacts, theme: Theme, lang: str) -> None:
    for record in report.nodes:
        n = node_id(getattr(record, "node", None))
        if n is None or n not in selected:
            continue
        kind = str(getattr(record, "kind", "ok"))
        new = verdict_state(kind)
        if new is not None and _STATE_RANK[new] > _STATE_RANK[facts.state[n]]:
            facts.state[n] = new
        facts.notes.setdefault(n, []).extend(_report_rows(record, kind, theme, lang))


def _error_rows(error: str, theme: Theme) -> list[str]:
    lines = [escape(line) for line in wrap_text("✗ " + str(error), 44, 4)]
    return [font('<BR ALIGN="LEFT"/>'.join(lines), colour=theme.failed, size=theme.small_fontsize)]


def _report_rows(record: Any, kind: str, theme: Theme, lang: str) -> list[str]:
    ok = kind == "ok"
    inherited = kind == INHERITS_WRONG
    name = tr(f"kind.{kind}", lang, default=tr("label.inherits_wrong", lang) if inherited else kind)
    head = ("✓ " if ok else "↳ " if inherited else "✗ ") + name
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
    colour = theme.done if ok else theme.inherited if inherited else theme.failed
    return [font('<BR ALIGN="LEFT"/>'.join(lines), colour=colour, size=theme.small_fontsize)]
