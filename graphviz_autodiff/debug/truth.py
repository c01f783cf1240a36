"""The true gradient each node should have received, for the ``inherits_wrong`` verdict.

A node downstream of a faulty one (in backward order) passes its own check
(its backward is right for any upstream gradient) yet shows a wrong
gradient: the one it received. :func:`received_errors` recomputes the
backward pass with every op's **correct** vector-Jacobian product: the op's
own ``backward`` where the node passed, central finite differences where it
failed, and compares what each node and each leaf recorded with the result.

Only the recorded loss gradient (the upstream of the roots of the pass) is
taken from the graph; everything below is recomputed on copies of the ops,
with :func:`~graphviz_autodiff.debug.measure.measure_call`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from .measure import measure_call, random_streams
from .numeric import numeric_gradient
from .verdict import Evidence

__all__ = ["received_errors", "relative_error"]


def received_errors(
    calls: Sequence[Any],
    passed: Sequence[bool],
    leaves: Sequence[Any],
    *,
    eps: float,
    rtol: float,
    atol: float,
    seed: int,
) -> dict[Hashable, float]:
    """``{key: max relative error of the recorded gradient}`` for every node that received a wrong one.

    Parameters
    ----------
    calls : sequence of _Call
        Op calls in backward order, each with ``key``, ``sources`` (the key
        of each argument's producer or ``None``), ``param_sources``,
        ``upstream`` (the recorded gradient of its output) and what the call saw.
    passed : sequence of bool
        Whether each call's own check passed (its backward is then trusted).
    leaves : sequence of _Leaf
        Leaves with ``key`` and ``grad`` (the recorded gradient, or ``None``).
    eps, rtol, atol, seed
        The check's settings.
    """
    fed = {s for call in calls for s in [*call.sources, *call.param_sources.values()] if s is not None}
    truth: dict[Hashable, np.ndarray] = {}
    for call in calls:
        if call.key not in fed and call.upstream is not None:
            truth[call.key] = np.asarray(call.upstream, dtype=np.float64)
    for call, ok in zip(calls, passed):
        up = truth.get(call.key)
        if up is None or up.shape != np.shape(call.output) or not np.isfinite(up).all():
            continue
        grads = _vjp(call, up, ok, eps, seed)
        targets = [*call.sources, *(call.param_sources.get(attr) for attr in grads[1])]
        for target, g in zip(targets, [*grads[0], *grads[1].values()]):
            if target is None or g is None:
                continue
            truth[target] = truth[target] + g if target in truth else g
    errors: dict[Hashable, float] = {}
    recorded = [(c.key, c.upstream) for c in calls] + [(leaf.key, leaf.grad) for leaf in leaves]
    for key, got in recorded:
        true = truth.get(key)
        if key is None or got is None or true is None:
            continue
        got = np.asarray(got)
        if got.dtype.kind not in "biuf" or got.shape != true.shape:  # not comparable: its own verdict says why
            continue
        got = got.astype(np.float64)
        if got.shape != true.shape:
            continue
        error = relative_error(got, true, rtol, atol)
        if error is not None:
            errors[key] = error
    return errors


def relative_error(got: np.ndarray, true: np.ndarray, rtol: float, atol: float) -> float | None:
    """The max relative error when ``got`` differs from ``true`` beyond the (loosened) tolerance, else None.

    Used by :func:`received_errors` and by the grader's ``inherits_wrong`` verdict.
    """
    mask = np.isfinite(true)
    if not mask.any():
        return None
    diff = np.abs(got - true)[mask]
    scale = float(np.max(np.abs(true[mask]), initial=0.0))
    # loosened: the true gradient of a failing node comes from finite differences
    if not np.any(diff > 10 * (atol + 100 * rtol * scale)):
        return None
    return float(np.max(diff) / max(scale, atol / max(rtol, 1e-300)))


def _vjp(
    call: Any, up: np.ndarray, ok: bool, eps: float, seed: int
) -> tuple[list[np.ndarray | None], dict[str, np.ndarray | None]]:
    """The correct gradients of ``Σ up ⊙ f`` for the call's arguments and parameters."""
    evidence = measure_call(
        call.op,
        list(call.arrays),
        call.needs,
        call.params,
        upstreams=[up],
        eps=eps,
        streams=random_streams(seed, call.seed_key, 2),
        label=call.label,
        finite_differences=not ok,
        run_backward=ok,
    )
    n_args = len(call.arrays)
    if not evidence.trials or (ok and evidence.trials[0].count != n_args):
        return [None] * n_args, {}
    values = _from_backward(evidence) if ok else _from_differences(evidence)
    args = values[:n_args]
    params = {slot.name: v for slot, v in zip(evidence.slots[n_args:], values[n_args:])}
    return args, params


def _from_backward(evidence: Evidence) -> list[np.ndarray | None]:
    trial = evidence.trials[0]
    out: list[np.ndarray | None] = []
    for slot, returned in zip(evidence.slots, trial.gradients):
        v = returned.values
        out.append(v if v is not None and v.shape == tuple(slot.shape) else None)
    return out


def _from_differences(evidence: Evidence) -> list[np.ndarray | None]:
    trial = evidence.trials[0]
    out: list[np.ndarray | None] = []
    for d in trial.differences:
        if d is None:
            out.append(None)
            continue
        values, _, kinks = numeric_gradient(d)
        out.append(np.where(kinks, np.nan, values))
    return out
