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
    from .op_check import ArgumentCheck, GradcheckResult


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
    numeric: dict[str, tuple[np.ndarray, np.ndarray]],
    rtol: float,
    atol: float,
) -> None:
    """Name the classic mistake behind each failing gradient."""
    args = [r for r in records if r.role == "argument"]
    for r in records:
        if r.status == "wrong_gradient":
            _diagnose_values(r, args, up, numeric, rtol, atol)
        elif r.status == "shape":
            _diagnose_shape(r, args, numeric, rtol, atol)


def _others(r: ArgumentCheck, args: list[ArgumentCheck], numeric: dict) -> list[tuple[ArgumentCheck, np.ndarray, Any]]:
    found = []
    for o in args:
        if o is r or o.key not in numeric:
            continue
        values, noise, kinks = numeric[o.key]
        found.append((o, np.where(kinks, np.nan, values), noise))
    return found


def _diagnose_values(
    r: ArgumentCheck, args: list[ArgumentCheck], up: np.ndarray, numeric: dict, rtol: float, atol: float
) -> None:
    a = r.analytic
    _, noise, kinks = numeric[r.key]
    assert a is not None and r.numeric is not None
    n = np.where(kinks, np.nan, r.numeric)
    # arguments swapped both ways
    for o, n_other, noise_other in _others(r, args, numeric):
        if (
            r.role == "argument"
            and o.analytic is not None
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
    if a.ndim == 2:
        if a.shape[0] == a.shape[1] and _close(a.T, n, noise, rtol, atol):
            r.diagnosis = "transpose"
            return
        if a.shape[0] != a.shape[1] and _close(a.reshape(a.shape[::-1]).T, n, noise, rtol, atol):
            r.diagnosis = "transpose"
            return
    for o, n_other, noise_other in _others(r, args, numeric):
        if _close(a, n_other, noise_other, rtol, atol) and not _close(n, n_other, noise, rtol, atol):
            r.diagnosis, r.other = "swapped", o.display
            return
    if a.shape == up.shape and np.array_equal(a, up):
        r.diagnosis = "passthrough"
        return
    if np.all(np.abs(a) <= atol) and not np.all(np.abs(n[mask]) <= atol + noise[mask]):
        r.diagnosis = "zero"


def _nice(c: float) -> float:
    """c rounded to a short decimal when that is within 1e-6 (2.0000000003 -> 2.0)."""
    for digits in range(0, 7):
        rounded = round(c, digits)
        if abs(rounded - c) <= 1e-6 * max(1.0, abs(c)):
            return float(rounded)
    return float(c)


def _diagnose_shape(r: ArgumentCheck, args: list[ArgumentCheck], numeric: dict, rtol: float, atol: float) -> None:
    got, expected = r.got_shape, r.shape
    assert got is not None
    if len(expected) > 1 and got == expected[::-1]:
        r.diagnosis = "transpose"
        return
    try:
        broadcast = np.broadcast_shapes(expected, got)
    except ValueError:
        broadcast = None
    if broadcast == got:
        r.diagnosis = "missing_reduction"
        return
    if broadcast == expected:
        r.diagnosis = "missing_broadcast"
        return
    a = r.analytic
    for o, n_other, noise_other in _others(r, args, numeric):
        if a is not None and got == o.shape and _close(a, n_other, noise_other, rtol, atol):
            r.diagnosis, r.other = "swapped", o.display
            return


def reduction_axes(expected: tuple[int, ...], got: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of ``got`` to sum over to get back to ``expected`` (after broadcasting)."""
    lead = len(got) - len(expected)
    return tuple(range(lead)) + tuple(lead + i for i, n in enumerate(expected) if n == 1 and got[lead + i] != 1)


def _verdict(result: GradcheckResult, records: list[ArgumentCheck], mutated_upstream: bool) -> None:
    """The op's verdict from its gradients' (priority: shape, non-finite, missing, wrong)."""
    for kind in ("shape", "nonfinite_backward", "no_gradient", "wrong_gradient"):
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
def _message(result: GradcheckResult) -> str:
    lang = result.lang
    kind = result.kind
    if kind == "exception":
        if result.diagnosis == "forward":
            return tr("msg.exception_forward", lang, error=result.error)
        if result.diagnosis == "gradient_count" and result.gradient_count is not None:
            got, expected = result.gradient_count
            gradients, arguments = tr("count.gradients", lang, n=got), tr("count.arguments", lang, n=expected)
            return tr("msg.gradient_count", lang, gradients=gradients, arguments=arguments)
        return tr("msg.exception", lang, error=result.error)
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
    return argument_message(r, lang)


def argument_message(r: ArgumentCheck, lang: str) -> str:
    """The one-line message of a failing gradient."""
    arg = r.display
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
            "swapped": "msg.shape_swapped",
        }.get(diag or "", "msg.param_shape" if r.role == "parameter" else "msg.shape")
        return tr(key, lang, arg=arg, got=got, expected=expected, other=r.other)
    if r.status == "nonfinite_backward":
        return tr("msg.nonfinite_backward", lang, arg=arg, count=describe_nonfinite(r.analytic, lang))
    if r.status == "no_gradient":
        return tr("msg.no_gradient_param" if r.role == "parameter" else "msg.no_gradient_arg", lang, arg=arg)
    if r.diagnosis in ("sign", "transpose", "swapped", "zero", "passthrough", "factor"):
        factor = "-" if r.factor is None else f"{r.factor:.6g}"
        return tr(f"msg.{r.diagnosis}", lang, arg=arg, other=r.other, factor=factor)
    return tr("msg.wrong_gradient", lang, arg=arg, rel=format_error(r.max_rel_error), abs=format_error(r.max_abs_error))


def _shape_str(shape: tuple[int, ...] | None) -> str:
    return "?" if shape is None else str(tuple(int(s) for s in shape))
