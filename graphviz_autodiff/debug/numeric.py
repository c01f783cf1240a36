"""Central finite differences and the comparison of a gradient with them, for :mod:`graphviz_autodiff.debug`.

This module's one job is the numeric side of a gradient check: the numeric
gradient of an op's upstream-contracted output (with its rounding-noise
bound and the kinks it crossed), the per-element tolerance ``atol + rtol·|n|
+ noise``, and the verdict for one argument (``ok``, ``shape``,
``wrong_gradient``, ``nonfinite_backward``) written into its
:class:`~graphviz_autodiff.debug.ArgumentCheck`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..util import describe_nonfinite

if TYPE_CHECKING:
    from .op_check import ArgumentCheck
    from .subject import _Subject

# Safety factor of the rounding-error bound r_k (see the docstring of graphviz_autodiff.debug).
_ROUNDING_FACTOR = 8.0


def _numeric(
    subject: _Subject, ups: list[np.ndarray], f0: np.ndarray, eps: float
) -> dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """Central differences of Σ u ⊙ forward, for every float argument and parameter and every upstream u.

    Returns ``{(role, name): [(values, rounding bound, kink mask) per upstream]}``.
    An element is a *kink* (ReLU at exactly 0, a tie in a maximum) when the
    one-sided differences disagree far beyond their rounding error; finite
    differences say nothing there, so the comparison leaves it out.
    """
    out: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    buffers = [(("argument", name), x) for name, x in zip(subject.names, subject.work) if x.dtype.kind == "f"]
    buffers += [(("parameter", attr), p.data) for attr, p in subject.params]
    f0 = f0.astype(np.float64) if f0.dtype.kind == "f" else f0
    shape = ups[0].shape
    flat_ups = [up.reshape(-1) for up in ups]
    abs_ups = [np.abs(u) for u in flat_ups]
    f0_flat = f0.reshape(-1)
    tiny = np.finfo(f0.dtype).eps if f0.dtype.kind == "f" else np.finfo(np.float64).eps
    for name, buf in buffers:
        results = [(np.zeros(buf.shape), np.zeros(buf.shape), np.zeros(buf.shape, dtype=bool)) for _ in ups]
        flat = buf.reshape(-1)
        if not np.shares_memory(flat, buf):  # pragma: no cover - work arrays are contiguous copies
            raise RuntimeError("internal: a checked array is not contiguous")
        for k in range(flat.size):
            old = flat[k]
            plus, minus = old + eps, old - eps
            flat[k] = plus
            f_plus = _safe_forward(subject)
            flat[k] = minus
            f_minus = _safe_forward(subject)
            flat[k] = old
            if f_plus is None or f_minus is None or f_plus.shape != shape or f_minus.shape != shape:
                for values, _, _ in results:
                    values.flat[k] = np.nan
                continue
            f_plus, f_minus = f_plus.reshape(-1), f_minus.reshape(-1)
            diff = f_plus - f_minus
            changed = np.flatnonzero((diff != 0) | (f_plus != f0_flat))
            step = plus - minus
            for (values, noise, kinks), up, abs_up in zip(results, flat_ups, abs_ups):
                values.flat[k] = np.dot(up, diff) / step
                if changed.size:
                    scale = np.dot(abs_up[changed], np.abs(f_plus[changed]) + np.abs(f_minus[changed]))
                    bound = _ROUNDING_FACTOR * tiny * scale / abs(step)
                    noise.flat[k] = bound
                    right = np.dot(up[changed], f_plus[changed] - f0_flat[changed]) / (plus - old)
                    left = np.dot(up[changed], f0_flat[changed] - f_minus[changed]) / (old - minus)
                    kinks.flat[k] = abs(right - left) > 1e-3 * max(abs(right), abs(left)) + 4 * bound + 1e-12
        out[name] = results
    return out


def _safe_forward(subject: _Subject) -> np.ndarray | None:
    try:
        out, _ = subject.forward()
    except Exception:
        return None
    return out.astype(np.float64) if out.dtype.kind == "f" and out.dtype != np.float64 else out


def _tolerance(n: np.ndarray, noise: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    return atol + rtol * np.abs(n) + noise


def _close(a: np.ndarray, n: np.ndarray, noise: np.ndarray, rtol: float, atol: float) -> bool:
    if a.shape != n.shape:
        return False
    mask = np.isfinite(n)
    if not mask.any():
        return False
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.all(np.abs(a - n)[mask] <= _tolerance(n, noise, rtol, atol)[mask]))


def _compare(r: ArgumentCheck, n: np.ndarray, noise: np.ndarray, kinks: np.ndarray, rtol: float, atol: float) -> None:
    """Fill the errors and the verdict of one gradient of the right shape."""
    a = r.analytic
    r.numeric = n
    mask = np.isfinite(n) & ~kinks
    if r.status == "pending_none":
        # backward gave no gradient: fine only when the output does not depend on it
        r.max_abs_error = float(np.abs(n[mask]).max()) if mask.any() else 0.0
        depends = bool(np.any(np.abs(n[mask]) > _tolerance(n, noise, rtol, atol)[mask]))
        r.status = "no_gradient" if depends else "ok"
        if not depends:
            r.note = "no gradient, and none needed"
        return
    assert a is not None
    if not np.isfinite(a).all():
        r.status = "nonfinite_backward"
        r.count = describe_nonfinite(a)
        return
    if not np.isfinite(n).all():
        r.note = "numeric_nonfinite"
    elif kinks.any():
        r.note = "kinks"
    if not a.size:
        r.status, r.max_abs_error, r.max_rel_error = "ok", 0.0, 0.0
        return
    if not mask.any():
        r.status = "not_checked"
        return
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(a - n)
        floor = atol / rtol if rtol > 0 else max(atol, np.finfo(np.float64).tiny)
        rel = diff / np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)
        bad = (diff > _tolerance(n, noise, rtol, atol)) & mask
    r.max_abs_error = float(diff[mask].max())
    r.max_rel_error = float(rel[mask].max())
    r.status = "wrong_gradient" if bad.any() else "ok"
