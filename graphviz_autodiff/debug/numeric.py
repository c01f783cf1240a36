"""The arithmetic of a gradient check: contracting perturbed outputs, comparing a gradient with them.

Pure functions on arrays, shared by both sides of the verdict seam
(:mod:`graphviz_autodiff.debug.verdict`):

* :func:`contract` turns the outputs at ``x + h e_k`` and ``x − h e_k`` into
  the four numbers per element the verdict needs (run where the op runs);
* :func:`relative_steps` is the finite-difference step of every element;
* :func:`compare` fills the errors and the verdict of one gradient
  (``ok``, ``wrong_gradient``, ``no_gradient``, ``nonfinite_backward``) into
  its :class:`~graphviz_autodiff.debug.ArgumentCheck`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..util import describe_nonfinite

if TYPE_CHECKING:
    from .verdict import ArgumentCheck, Differences

# Safety factor of the rounding-error bound r_k (see the docstring of graphviz_autodiff.debug).
_ROUNDING_FACTOR = 8.0


def relative_steps(x: np.ndarray, eps: float, jitter: np.ndarray) -> np.ndarray:
    """``h_k = eps · max(|x_k|, 1) · (1 + jitter_k)``: the step scales with the value.

    With ``jitter`` in ``[0, 1)`` (drawn from the perturbation stream), steps
    are not all equal, so no two elements are probed on the same grid.
    """
    return eps * np.maximum(np.abs(x), 1.0) * (1.0 + jitter)


def contract(
    upstream: np.ndarray, f0: np.ndarray, f_plus: np.ndarray | None, f_minus: np.ndarray | None
) -> tuple[float, float, float, float]:
    """``(central, right, left, scale)`` of one perturbed element (NaN when forward failed).

    ``central = Σ u (f₊ − f₋)``, ``right = Σ u (f₊ − f₀)``, ``left = Σ u (f₀ − f₋)``,
    ``scale = Σ |u| (|f₊| + |f₋|)`` over the outputs that changed (over all outputs when none
    changed: the resolution the difference failed to reach). All in float64.
    """
    if f_plus is None or f_minus is None or f_plus.shape != f0.shape or f_minus.shape != f0.shape:
        return np.nan, np.nan, np.nan, np.nan
    u = upstream.reshape(-1)
    f0_flat = f0.reshape(-1).astype(np.float64)
    p = f_plus.reshape(-1).astype(np.float64)
    m = f_minus.reshape(-1).astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        changed = np.flatnonzero((p != f0_flat) | (m != f0_flat))
        if not changed.size:  # nothing moved: the difference is zero to within the outputs' own rounding
            return 0.0, 0.0, 0.0, float(2.0 * np.dot(np.abs(u), np.abs(f0_flat)))
        uc, pc, mc, fc = u[changed], p[changed], m[changed], f0_flat[changed]
        return (
            float(np.dot(uc, pc - mc)),
            float(np.dot(uc, pc - fc)),
            float(np.dot(uc, fc - mc)),
            float(np.dot(np.abs(uc), np.abs(pc) + np.abs(mc))),
        )


def numeric_gradient(d: Differences) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(values, rounding bound, kink mask)`` of one slot from its contracted differences.

    ``values = central / (step₊ + step₋)``; the bound is
    ``8 ε scale / (step₊ + step₋)``; an element is a kink when the one-sided
    differences disagree by more than ``1e-3`` relative plus four bounds.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        step = d.step_plus + d.step_minus
        values = np.where(step > 0, d.central / step, np.nan)
        bound = _ROUNDING_FACTOR * d.unit * d.scale / np.abs(step)
        right, left = d.right / d.step_plus, d.left / d.step_minus
        kinks = np.abs(right - left) > 1e-3 * np.maximum(np.abs(right), np.abs(left)) + 4 * bound + 1e-12
    bound = np.where(np.isfinite(bound), bound, 0.0)
    return values, bound, kinks & np.isfinite(values)


def _tolerance(n: np.ndarray, noise: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    return atol + rtol * np.abs(n) + noise


def _close(a: np.ndarray, n: np.ndarray, noise: np.ndarray | float, rtol: float, atol: float) -> bool:
    if a.shape != n.shape:
        return False
    mask = np.isfinite(n)
    if not mask.any():
        return False
    noise = np.broadcast_to(noise, n.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.all(np.abs(a - n)[mask] <= _tolerance(n, noise, rtol, atol)[mask]))


def compare(r: ArgumentCheck, n: np.ndarray, noise: np.ndarray, kinks: np.ndarray, rtol: float, atol: float) -> None:
    """Fill the errors and the verdict of one gradient of the right shape (or of a missing one)."""
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
    if a is None:  # pragma: no cover - callers give an analytic gradient or pending_none
        raise ValueError("compare: no analytic gradient")
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
