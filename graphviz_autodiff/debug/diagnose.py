"""Diagnosis and messages of a failed gradient check, for :mod:`graphviz_autodiff.debug`.

This module's one job is to explain a check's outcome: it recognises the
usual mistakes in a wrong gradient (a constant factor, a sign, swapped
arguments, a missing reduction over broadcast axes), sets the result's
verdict, and writes the per-argument and overall messages (and the small
number and table formatters the debugger shares).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..i18n import tr
from ..util import describe_nonfinite
from .numeric import _close

if TYPE_CHECKING:
    from .verdict import ArgumentCheck, GradcheckResult


# -- formatting helpers shared with debug and the command line ----------------------
def format_error(value: float | None) -> str:
    """An error for tables: ``1.2e-09``; ``-`` for none."""
    return "-" if value is None else f"{value:.1e}"


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table with columns padded to their widest cell."""
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]
    out = ["  ".join(str(c).ljust(w) for c, w in zip(headers, widths)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    out.extend("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)
    return "\n".join(out)


def _diagnose(
    records: list[ArgumentCheck],
    up: np.ndarray,
    numeric: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]],
    values: dict[tuple[str, str], np.ndarray | None],
    rtol: float,
    atol: float,
) -> None:
    """Name the classic mistake behind each failing gradient.

    ``values`` holds the float64 value of every argument and parameter (to
    recognise a product with a factor left untransposed).
    """
    args = [r for r in records if r.role == "argument"]
    for r in records:
        if r.status == "wrong_gradient":
            _diagnose_values(r, args, up, numeric, values, rtol, atol)
        elif r.status == "shape":
            _diagnose_shape(r, args, up, numeric, rtol, atol)


def _others(r: ArgumentCheck, args: list[ArgumentCheck], numeric: dict) -> list[tuple[ArgumentCheck, np.ndarray, Any]]:
    found = []
    for o in args:
        if o is r or o.key not in numeric:
            continue
        values, noise, kinks = numeric[o.key]
        found.append((o, np.where(kinks, np.nan, values), noise))
    return found


def _diagnose_values(
    r: ArgumentCheck,
    args: list[ArgumentCheck],
    up: np.ndarray,
    numeric: dict,
    values: dict[tuple[str, str], np.ndarray | None],
    rtol: float,
    atol: float,
) -> None:
    a = r.analytic
    _, noise, kinks = numeric[r.key]
    if a is None or r.numeric is None:  # pragma: no cover - a wrong gradient was compared
        return
    n = np.where(kinks, np.nan, r.numeric)
    # arguments swapped both ways
    for o, n_other, noise_other in _others(r, args, numeric):
        if (
            r.role == "argument"
            and o.analytic is not None
            and o.analytic.shape == n.shape
            and _close(a, n_other, noise_other, rtol, atol)
            and _close(o.analytic, n, noise, rtol, atol)
            and not _close(n, n_other, noise, rtol, atol)
        ):
            r.diagnosis, r.other = "swapped", o.display
            return
    if _close(-a, n, noise, rtol, atol):
        r.diagnosis = "sign"
        return
    mask = np.isfinite(n)
    nn = float(np.sum(n[mask] * n[mask]))
    if nn > 0:
        c = float(np.sum(a[mask] * n[mask]) / nn)
        constant = abs(c) > 1e-9 and abs(c - 1.0) > 10 * rtol and abs(c + 1.0) > 10 * rtol
        if constant and _close(a, c * n, abs(c) * noise + atol, rtol, atol):
            r.diagnosis, r.factor = "factor", _nice(c)
            return
    if _transposed(a, n, noise, up, values, rtol, atol):
        r.diagnosis = "transpose"
        return
    for o, n_other, noise_other in _others(r, args, numeric):
        if _close(a, n_other, noise_other, rtol, atol) and not _close(n, n_other, noise, rtol, atol):
            r.diagnosis, r.other = "swapped", o.display
            return
    if a.shape == up.shape and np.array_equal(a, up):
        r.diagnosis = "passthrough"
        return
    if _wrong_mask(a, n, noise, rtol, atol):
        r.diagnosis = "wrong_mask"
        return
    if np.all(np.abs(a) <= atol) and not np.all(np.abs(n[mask]) <= atol + noise[mask]):
        r.diagnosis = "zero"


def _transposed(
    a: np.ndarray,
    n: np.ndarray,
    noise: np.ndarray,
    up: np.ndarray,
    values: dict[tuple[str, str], np.ndarray | None],
    rtol: float,
    atol: float,
) -> bool:
    """Whether ``a`` is ``n`` transposed, or the product behind ``n`` with a factor's transpose missing.

    The second case is the square-weight mistake ``x @ g`` for ``xᵀ @ g``
    (or ``g @ θ`` for ``g @ θᵀ``): same shape, other values. It is recognised
    when ``n`` equals ``P' @ Q'`` and ``a`` equals ``P'' @ Q''`` for two of the
    op's 2-D arrays (arguments, parameters, ``upstream_grad``) with different
    transposes.
    """
    if a.ndim != 2:
        return False
    if a.shape[0] == a.shape[1] and _close(a.T, n, noise, rtol, atol):
        return True
    if a.shape[0] != a.shape[1] and _close(a.reshape(a.shape[::-1]).T, n, noise, rtol, atol):
        return True
    matrices = [v for v in values.values() if v is not None and v.ndim == 2]
    if up.ndim == 2:
        matrices.append(up)
    if len(matrices) > 8:
        return False
    scale = float(np.max(np.abs(n[np.isfinite(n)]), initial=0.0))
    for i, p in enumerate(matrices):
        for q in matrices[i + 1 :] + matrices[:i]:
            products = []
            for p_t in (p, p.T):
                for q_t in (q, q.T):
                    if p_t.shape[1] == q_t.shape[0] and (p_t.shape[0], q_t.shape[1]) == a.shape:
                        products.append(p_t @ q_t)
            if len(products) < 2:
                continue
            slack = rtol * scale + atol
            fits_n = [k for k, prod in enumerate(products) if _close(prod, n, noise + slack, rtol, atol)]
            fits_a = [k for k, prod in enumerate(products) if _close(prod, a, slack, rtol, atol)]
            if fits_n and fits_a and not set(fits_n) & set(fits_a):
                return True
    return False


def _wrong_mask(a: np.ndarray, n: np.ndarray, noise: np.ndarray, rtol: float, atol: float) -> bool:
    """Right values where both are non-zero, zeros in the wrong places: a mask computed on the wrong array."""
    mask = np.isfinite(n)
    with np.errstate(invalid="ignore"):
        tol = atol + rtol * np.abs(n) + noise
        same = np.abs(a - n) <= tol
        a_zero, n_zero = np.abs(a) <= tol, np.abs(n) <= tol
    same, a_zero, n_zero = same[mask], a_zero[mask], n_zero[mask]
    return bool(np.all(same | a_zero | n_zero) and np.any(same & ~n_zero) and np.any(~same))


def _nice(c: float) -> float:
    """c rounded to a short decimal when that is within 1e-6 (2.0000000003 -> 2.0); else to 4 significant digits."""
    for digits in range(0, 7):
        rounded = round(c, digits)
        if abs(rounded - c) <= 1e-6 * max(1.0, abs(c)):
            return float(rounded)
    return float(f"{c:.4g}")


def _diagnose_shape(
    r: ArgumentCheck, args: list[ArgumentCheck], up: np.ndarray, numeric: dict, rtol: float, atol: float
) -> None:
    got, expected = r.got_shape, r.shape
    if got is None:  # pragma: no cover - a shape record has the shape it got
        return
    a = r.analytic
    n = numeric[r.key][0] if r.key in numeric else None
    noise = numeric[r.key][1] if r.key in numeric else 0.0
    if len(expected) > 1 and got == expected[::-1]:
        r.diagnosis = "transpose"
        return
    try:
        broadcast = np.broadcast_shapes(expected, got)
    except ValueError:
        broadcast = None
    if broadcast == got:
        axes = reduction_axes(expected, got)
        if a is None or n is None or _close(a.sum(axis=axes).reshape(expected), n, noise, rtol, atol):
            r.diagnosis = "missing_reduction"
        return
    if a is not None and n is not None and _outer_of(a, up, n, noise, rtol, atol):
        r.diagnosis = "missing_outer"
        return
    if broadcast == expected:
        if a is None or n is None or _close(np.broadcast_to(a, expected), n, noise, rtol, atol):
            r.diagnosis = "missing_broadcast"
        return
    for o, n_other, noise_other in _others(r, args, numeric):
        if a is not None and got == o.shape and _close(a, n_other, noise_other, rtol, atol):
            r.diagnosis, r.other = "swapped", o.display
            return


def _outer_of(a: np.ndarray, up: np.ndarray, n: np.ndarray, noise: Any, rtol: float, atol: float) -> bool:
    """Whether the right gradient is an outer product of ``upstream_grad`` with what backward returned."""
    if up.ndim != 1 or a.ndim != 1 or n.ndim != 2:
        return False
    return any(
        candidate.shape == n.shape and _close(candidate, n, noise, rtol, atol)
        for candidate in (np.outer(up, a), np.outer(a, up))
    )


def reduction_axes(expected: tuple[int, ...], got: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of ``got`` to sum over to get back to ``expected`` (after broadcasting)."""
    lead = len(got) - len(expected)
    return tuple(range(lead)) + tuple(lead + i for i, n in enumerate(expected) if n == 1 and got[lead + i] != 1)


def _verdict(result: GradcheckResult, records: list[ArgumentCheck], mutated_upstream: bool) -> None:
    """The op's verdict from its gradients' (priority: type, shape, non-finite, missing, wrong)."""
    for kind in ("wrong_type", "shape", "nonfinite_backward", "no_gradient", "wrong_gradient"):
        for r in records:
            if r.status == kind:
                result.kind, result.diagnosis, result.argument = kind, r.diagnosis, r.name
                result.failing_record = r
                return
    if mutated_upstream:
        result.kind, result.diagnosis = "wrong_gradient", "mutates_upstream"
        return
    if result.mutated_inputs:
        result.kind, result.diagnosis, result.argument = "reuse", "mutates_input", result.mutated_inputs[0]


# -- messages ---------------------------------------------------------------------------
def diagnosis_text(diagnosis: str | None, factor: float | None, lang: str) -> str:
    """A diagnosis for a table cell; a factor says which way it goes ("missing factor 2", "extra factor 3")."""
    if not diagnosis:
        return ""
    if diagnosis == "factor" and factor is not None and factor != 0:
        size = abs(factor)
        if size < 1:
            return tr("diag.factor_missing", lang, factor=_number(1 / size))
        return tr("diag.factor_extra", lang, factor=_number(size))
    return tr(f"diag.{diagnosis}", lang)


def _number(value: float) -> str:
    return f"{_nice(value):.6g}"


def _message(result: GradcheckResult) -> str:
    lang = result.lang
    kind = result.kind
    label = result.label
    if kind == "exception":
        if result.diagnosis == "gradient_count" and result.gradient_count is not None:
            got, expected = result.gradient_count
            gradients, arguments = tr("count.gradients", lang, n=got), tr("count.arguments", lang, n=expected)
            return tr("msg.gradient_count", lang, gradients=gradients, arguments=arguments)
        key = "msg.exception_forward" if result.diagnosis == "forward" else "msg.exception"
        if result.where:
            return tr(f"{key}_at", lang, op=label, error=result.error, where=result.where)
        return tr(key, lang, error=result.error)
    if kind == "wrong_type" and result.diagnosis == "output_type":
        return tr("msg.output_type", lang, op=label, got=result.output_type)
    if kind == "nonfinite_forward":
        return tr("msg.nonfinite_forward", lang, count=describe_nonfinite(result.output, lang))
    if kind == "reuse":
        return tr("msg.mutates_input", lang, arg=result.argument)
    if kind == "wrong_gradient" and result.diagnosis == "mutates_upstream":
        return tr("msg.mutates_upstream", lang)
    r = result.failing
    if kind == "ok" or r is None:
        checked = [a for a in result.arguments if a.max_rel_error is not None]
        if not checked:
            why = "why.no_float_output" if result.output is not None and result.output.dtype.kind != "f" else None
            return tr("msg.ok_unchecked", lang, why=tr(why or "why.no_float_input", lang))
        return tr("msg.ok", lang, rel=format_error(result.max_rel_error))
    return argument_message(r, lang, label)


def argument_message(r: ArgumentCheck, lang: str, op: str = "backward") -> str:
    """The one-line message of a failing gradient (``op`` names the op in the messages that need it)."""
    arg = r.display
    if r.status == "wrong_type":
        got = r.got_type or "?"
        return tr(f"msg.type_{r.diagnosis or 'not_numeric'}", lang, op=op, arg=arg, got=got)
    if r.status == "shape":
        got, expected = _shape_str(r.got_shape), _shape_str(r.shape)
        diag = r.diagnosis
        if diag == "missing_reduction" and r.got_shape is not None:
            axes = reduction_axes(r.shape, r.got_shape)
            axes_text = str(axes[0]) if len(axes) == 1 else str(axes)
            return tr("msg.shape_reduction", lang, arg=arg, got=got, expected=expected, axes=axes_text)
        key = {
            "transpose": "msg.shape_transpose",
            "missing_broadcast": "msg.shape_broadcast",
            "missing_outer": "msg.shape_outer",
            "swapped": "msg.shape_swapped",
        }.get(diag or "", "msg.param_shape" if r.role == "parameter" else "msg.shape")
        return tr(key, lang, arg=arg, got=got, expected=expected, other=r.other)
    if r.status == "nonfinite_backward":
        return tr("msg.nonfinite_backward", lang, arg=arg, count=describe_nonfinite(r.analytic, lang))
    if r.status == "no_gradient":
        if r.role == "parameter":
            return tr("msg.no_gradient_param", lang, arg=arg)
        return tr("msg.no_gradient_data" if r.data else "msg.no_gradient_arg", lang, arg=arg)
    if r.diagnosis == "factor" and r.factor is not None:
        size = abs(r.factor)
        key = "msg.factor_missing" if size < 1 else "msg.factor_extra"
        sign = tr("msg.factor_sign", lang) if r.factor < 0 else ""
        inverse = _number(1 / size) if size else "-"
        return tr(key, lang, arg=arg, factor=f"{r.factor:.6g}", size=_number(size), inverse=inverse, sign=sign)
    if r.diagnosis in ("sign", "transpose", "swapped", "zero", "passthrough", "ignores_upstream", "wrong_mask"):
        return tr(f"msg.{r.diagnosis}", lang, arg=arg, other=r.other, factor="-")
    return tr("msg.wrong_gradient", lang, arg=arg, rel=format_error(r.max_rel_error), abs=format_error(r.max_abs_error))


def _shape_str(shape: tuple[int, ...] | None) -> str:
    return "?" if shape is None else str(tuple(int(s) for s in shape))
