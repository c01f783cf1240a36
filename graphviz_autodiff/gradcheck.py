"""Gradient checking of one op: its ``backward`` against central finite differences.

:func:`gradcheck` runs an op's ``forward`` and ``backward`` on a **copy** of
the op (the op you pass, its parameters, their ``.grad`` and its saved state
are never touched) and compares, for every float argument **and every
parameter**, the gradient ``backward`` returns with central finite
differences.

The method
==========
* Everything is computed in float64: float32 (and float16) arguments and
  parameters of the copy are cast, with one :class:`PrecisionWarning`.
* The op's output ``y = f(x)`` is contracted with an upstream gradient ``u``
  drawn from a standard normal with a fixed seed (``seed``), so every output
  element matters: the numeric gradient of element ``k`` is

  .. math:: n_k = \\frac{\\sum_j u_j\\,[f_j(x + h e_k) - f_j(x - h e_k)]}{(x_k + h) - (x_k - h)}

  with ``h = eps`` (the denominator is the step actually taken in floating
  point). ``backward(u)`` gives the analytic gradient ``a``.
* **Verdict** (``torch.autograd.gradcheck``'s criterion, widened by the
  rounding error of the difference itself): element ``k`` passes when

  .. math:: |a_k - n_k| \\le \\mathrm{atol} + \\mathrm{rtol}\\,|n_k| + r_k,
            \\quad r_k = 8\\,\\epsilon \\sum_j |u_j| (|f_j(x+he_k)| + |f_j(x-he_k)|) / 2h

  where ε is the machine epsilon of the output dtype and the sum runs over
  the outputs that changed. ``r_k`` bounds the rounding error of the
  numerator (about ``2e-9`` per changed output of order 1), so an
  exactly-zero gradient next to large outputs is not flagged.
* **Kinks**: where the one-sided differences ``(f(x+h) − f(x))/h`` and
  ``(f(x) − f(x−h))/h`` (contracted with ``u``) disagree by more than
  ``1e-3`` relative plus the rounding bound, ``x`` sits on a kink (ReLU at
  exactly 0, a tie in a maximum) and finite differences say nothing: that
  element is left out of the verdict (``note == "kinks"``).
* **Reported error** (CS231n's convention): ``max_abs_error = max |a − n|``
  and ``max_rel_error = max |a − n| / max(|a|, |n|, atol/rtol)``. The floor
  ``atol/rtol`` makes ``max_rel_error <= rtol`` mean (within a factor 2) the
  same as the verdict; CS231n's rule of thumb is that below ``1e-7`` is fine
  and above ``1e-2`` is probably wrong.

Defaults ``eps=1e-6, rtol=1e-5, atol=1e-8`` are stricter than
``torch.autograd.gradcheck``'s (``eps=1e-6, atol=1e-5, rtol=1e-3``): in
float64 with central differences a correct op of moderate values is exact to
about ``1e-9``, and a student's bug is wrong by far more. Loosen them for ops
with large curvature (``1/x`` near 0, ``exp`` of large values); inputs within
``eps`` of a kink (but not on it) can still mislead: move them away.

The op's raw ``backward`` is called (not the wrapper that records the
lecture's manual chain), with ``needs_input_grad`` set: an argument given as
``Tensor(..., requires_grad=False)`` or as a Python number may get ``None``.

Diagnoses
=========
When a gradient is wrong, the checker tests the classic mistakes, in this
order, and names the first that explains the numbers (``diagnosis``):

=====================  ==============================================================
``swapped``            ∂L/∂aᵢ equals the numeric gradient of another argument (and back)
``sign``               a = −n
``factor``             a = c·n for a constant c ≠ ±1 (``factor`` holds c; 0 gives ``zero``)
``transpose``          aᵀ = n (square), or a was computed transposed and reshaped
``swapped``            a equals the numeric gradient of another argument (one way)
``passthrough``        a is ``upstream_grad`` itself (the local derivative is missing)
``zero``               a = 0 but n ≠ 0 (a stale or default value used instead of the input)
``transpose``          shape rule broken; the shape is the reversed shape
``missing_reduction``  shape rule broken; summing over the broadcast axes gives the right shape
``missing_broadcast``  shape rule broken; broadcasting gives the right shape
``swapped``            shape rule broken; the shape and values are another argument's
``mutates_upstream``   the gradients are right but ``backward`` wrote into ``upstream_grad``
``mutates_input``      ``forward`` wrote into its argument (kind ``reuse``)
``forward``            ``forward`` raised (kind ``exception``)
``gradient_count``     ``backward`` returned the wrong number of gradients (kind ``exception``)
=====================  ==============================================================

Side effects
============
The check runs on ``copy.deepcopy(op)`` (without its private link to the
last call), with recording off, on copies of the inputs; the library's,
NumPy's and Python's random generators are restored before each forward (so
ops like Dropout draw the same mask every time) and after the check;
attributes the op's class (or its module's globals) gain or lose during the
check are put back.
"""

from __future__ import annotations

import copy
import inspect
import random
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import engine
from . import rng as _rng
from .differentiable import Differentiable, _as_output
from .errors import GradientCountError, ShapeRuleError
from .graph import no_record
from .i18n import tr
from .tensor import Parameter, Tensor

__all__ = ["ARGUMENT_STATUSES", "ArgumentCheck", "GradcheckResult", "PrecisionWarning", "gradcheck"]

#: Per-argument outcomes of a check.
ARGUMENT_STATUSES = ("ok", "wrong_gradient", "shape", "no_gradient", "nonfinite_backward", "not_checked")

# Safety factor of the rounding-error bound r_k (see the module docstring).
_ROUNDING_FACTOR = 8.0


class PrecisionWarning(UserWarning):
    """A float32/float16 op was checked in float64 (finite differences need the precision)."""


@dataclass(eq=False)
class ArgumentCheck:
    """The check of one gradient: of one argument of ``forward``, or of one parameter.

    Attributes
    ----------
    name : str
        The argument's name in ``forward``'s signature (``"x"``, ``"mu"``), or
        the parameter's attribute name (``"theta"``).
    display : str
        The name for messages: the argument's name or the parameter's ``name`` (``"θ"``).
    role : {"argument", "parameter"}
    position : int or None
        The argument's position (``None`` for a parameter).
    shape : tuple of int
        The argument's (or parameter's) shape.
    status : str
        One of :data:`ARGUMENT_STATUSES`.
    diagnosis : str or None
        See the module docstring.
    analytic, numeric : numpy.ndarray or None
        What ``backward`` returned, and the central finite differences.
    max_abs_error, max_rel_error : float or None
        See the module docstring (``None`` when not compared).
    factor : float or None
        c for ``diagnosis == "factor"`` (a ≈ c·n).
    other : str or None
        For ``diagnosis == "swapped"``: the argument whose gradient this is.
    note : str or None
        Why the argument was not checked, or which elements were skipped.
    """

    name: str
    display: str
    role: str
    position: int | None
    shape: tuple[int, ...]
    status: str = "ok"
    diagnosis: str | None = None
    analytic: np.ndarray | None = None
    numeric: np.ndarray | None = None
    max_abs_error: float | None = None
    max_rel_error: float | None = None
    factor: float | None = None
    other: str | None = None
    note: str | None = None
    got_shape: tuple[int, ...] | None = None
    count: str | None = None

    @property
    def ok(self) -> bool:
        """Whether this gradient passed (or needed no check)."""
        return self.status in ("ok", "not_checked")

    @property
    def key(self) -> tuple[str, str]:
        """``(role, name)``: unique even when a parameter and an argument share a name."""
        return self.role, self.name


@dataclass(eq=False)
class GradcheckResult:
    """What :func:`gradcheck` found for one op.

    ``bool(result)`` is ``result.ok``, so ``assert gradcheck(op, x)`` works.

    Attributes
    ----------
    op : Differentiable
        The op that was checked (the caller's object; never modified).
    label : str
        Its ``name`` or class name.
    kind : str
        ``"ok"`` or the failure: ``"wrong_gradient"``, ``"shape"``,
        ``"nonfinite_forward"``, ``"nonfinite_backward"``, ``"exception"``,
        ``"no_gradient"`` or ``"reuse"`` (forward modified its input).
    diagnosis : str or None
        The diagnosis of the failing gradient (module docstring).
    argument : str or None
        The name of the failing argument or parameter.
    message : str
        One line explaining the verdict, in ``lang``.
    arguments : list of ArgumentCheck
        One record per argument of ``forward``, then one per parameter.
    output : numpy.ndarray or None
        ``forward``'s output on the (float64) inputs.
    upstream_grad : numpy.ndarray or None
        The upstream gradient ``u`` of the comparison shown.
    error : str or None
        The text of the exception or contract violation, if any.
    mutated_inputs : tuple of str
        Arguments ``forward`` modified in place.
    cast_float32 : int
        How many float32/float16 arrays were cast to float64.
    eps, rtol, atol : float
        The settings used.
    """

    op: Any
    label: str
    kind: str = "ok"
    diagnosis: str | None = None
    argument: str | None = None
    message: str = ""
    arguments: list[ArgumentCheck] = field(default_factory=list)
    output: np.ndarray | None = None
    upstream_grad: np.ndarray | None = None
    error: str | None = None
    mutated_inputs: tuple[str, ...] = ()
    cast_float32: int = 0
    gradient_count: tuple[int, int] | None = None
    failing_record: ArgumentCheck | None = field(default=None, repr=False)
    eps: float = 1e-6
    rtol: float = 1e-5
    atol: float = 1e-8
    lang: str = "en"

    @property
    def ok(self) -> bool:
        """Whether every gradient passed and nothing failed."""
        return self.kind == "ok"

    def __bool__(self) -> bool:
        return self.ok

    @property
    def max_abs_error(self) -> float | None:
        """The largest ``max_abs_error`` over the compared gradients."""
        values = [a.max_abs_error for a in self.arguments if a.max_abs_error is not None]
        return max(values) if values else None

    @property
    def max_rel_error(self) -> float | None:
        """The largest ``max_rel_error`` over the compared gradients."""
        values = [a.max_rel_error for a in self.arguments if a.max_rel_error is not None]
        return max(values) if values else None

    @property
    def failing(self) -> ArgumentCheck | None:
        """The record of the failing argument (``None`` when ok or when no argument is to blame)."""
        return self.failing_record

    @property
    def factor(self) -> float | None:
        """c when the diagnosis is ``factor``."""
        failing = self.failing
        return failing.factor if failing is not None else None

    def __getitem__(self, name: str) -> ArgumentCheck:
        for a in self.arguments:
            if name in (a.name, a.display):
                return a
        raise KeyError(f"{self.label}: no argument or parameter {name!r}; have {[a.name for a in self.arguments]}")

    def __str__(self) -> str:
        lang = self.lang
        verdict = tr(f"kind.{self.kind}", lang)
        lines = [tr("report.gradcheck_title", lang, label=self.label, verdict=verdict), self.message]
        headers = [tr(f"col.{c}", lang) for c in ("argument", "kind", "diagnosis", "rel", "abs")]
        rows = [
            [
                a.display,
                tr(f"kind.{a.status}", lang) if a.status != "not_checked" else "-",
                tr(f"diag.{a.diagnosis}", lang) if a.diagnosis else "",
                format_error(a.max_rel_error),
                format_error(a.max_abs_error),
            ]
            for a in self.arguments
        ]
        if rows:
            lines.append(format_table(headers, rows))
        return "\n".join(lines)

    def __repr__(self) -> str:
        extra = f", diagnosis={self.diagnosis!r}, argument={self.argument!r}" if self.diagnosis or self.argument else ""
        return f"<GradcheckResult {self.label}: {self.kind}{extra}, max_rel_error={format_error(self.max_rel_error)}>"


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


def count_nonfinite(a: np.ndarray) -> str:
    """``"3 NaN and 1 Inf of 12 values"``."""
    n_nan = int(np.isnan(a).sum())
    n_inf = int(np.isinf(a).sum())
    parts = [p for p in (f"{n_nan} NaN" if n_nan else "", f"{n_inf} Inf" if n_inf else "") if p]
    return " and ".join(parts) + f" / {a.size}"


# -- the public entry point ---------------------------------------------------------
def gradcheck(
    op: Differentiable,
    *inputs: Any,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    seed: int = 0,
    upstream_grad: Any = None,
    lang: str = "en",
) -> GradcheckResult:
    """Check ``op.backward`` against central finite differences on ``inputs``.

    Parameters
    ----------
    op : Differentiable
        An op instance (it is copied; the original is never modified).
    *inputs : array_like or Tensor or Parameter
        The arguments of ``op.forward``. Float arguments are checked (a
        ``Tensor(..., requires_grad=False)`` or a Python number need not get
        a gradient); integer arguments (labels) are passed through.
    eps : float, default 1e-6
        The finite-difference step h.
    rtol, atol : float, default 1e-5 and 1e-8
        The verdict's tolerances (module docstring).
    seed : int, default 0
        Seed of the random upstream gradient.
    upstream_grad : array_like, optional
        Use this upstream gradient instead of a random one (it must have the
        output's shape).
    lang : {"en", "ru"}
        Language of ``message``.

    Returns
    -------
    GradcheckResult
        ``result.ok``, the per-argument records in ``result.arguments`` with
        their analytic and numeric gradients and errors, and a diagnosis when
        a gradient is wrong.

    Warns
    -----
    PrecisionWarning
        When float32/float16 values were cast to float64.

    Examples
    --------
    >>> import numpy as np
    >>> from graphviz_autodiff.ops import Squared
    >>> result = gradcheck(Squared(), np.array([1.0, 2.0]), np.array([0.5, 0.5]))
    >>> result.ok, result["mu"].numeric.shape
    (True, (2,))
    """
    if isinstance(op, type):
        raise TypeError(
            f"gradcheck expects an op instance, got the class {op.__name__}; call gradcheck({op.__name__}(), ...)"
        )
    if not isinstance(op, Differentiable):
        raise TypeError(f"gradcheck expects a Differentiable op instance, got {type(op).__name__}")
    arrays, needs = [], []
    for position, x in enumerate(inputs):
        if isinstance(x, (Tensor, Parameter)):
            arrays.append(np.asarray(x.data))
            needs.append(bool(x.requires_grad) and x.data.dtype.kind in "fc")
        else:
            a = np.asarray(x)
            if a.dtype == object:
                raise TypeError(f"gradcheck: argument {position} is a {type(x).__name__}, not numeric data")
            arrays.append(a)
            number = isinstance(x, (int, float, complex, np.number))
            needs.append(a.dtype.kind in "fc" and not number)
    upstream = None if upstream_grad is None else np.asarray(upstream_grad, dtype=np.float64)
    result = check_call(
        op,
        arrays,
        tuple(needs),
        None,
        upstreams=[upstream],
        eps=eps,
        rtol=rtol,
        atol=atol,
        rng=np.random.default_rng(seed),
        lang=lang,
    )
    if result.cast_float32:
        warnings.warn(
            f"gradcheck({result.label}): {result.cast_float32} float32/float16 array(s) were cast to float64 "
            f"for finite differences; the op is checked in float64.",
            PrecisionWarning,
            stacklevel=2,
        )
    return result


# -- the machinery (also used by graphviz_autodiff.debug) -------------------------------
def check_call(
    op: Any,
    arrays: list[np.ndarray],
    needs: tuple[bool, ...],
    param_values: dict[str, np.ndarray] | None,
    *,
    upstreams: list[np.ndarray | None],
    eps: float,
    rtol: float,
    atol: float,
    rng: np.random.Generator,
    lang: str = "en",
    label: str | None = None,
) -> GradcheckResult:
    """Check one call of ``op`` on ``arrays`` (the inputs it saw); see :func:`gradcheck`.

    ``param_values`` maps parameter attribute names to the values the call
    saw (``None``: the parameters' current values). ``upstreams`` lists the
    upstream gradients to compare with (``None`` entries are drawn from
    ``rng``; non-finite ones are skipped); every one must pass, and the
    result shows the first failing comparison, else the first one.
    """
    label = label or str(getattr(op, "name", None) or type(op).__name__)
    result = GradcheckResult(op=op, label=label, eps=eps, rtol=rtol, atol=atol, lang=lang)
    with _SideEffectGuard(op) as guard, quiet():
        subject = _Subject(op, arrays, needs, param_values, guard)
        result.cast_float32 = subject.cast
        _run(subject, result, upstreams, rng)
    result.message = _message(result)
    return result


class _Subject:
    """A copy of the op set up on the inputs of one call, with a repeatable forward."""

    def __init__(
        self,
        op: Any,
        arrays: list[np.ndarray],
        needs: tuple[bool, ...],
        param_values: dict[str, np.ndarray] | None,
        guard: _SideEffectGuard,
    ) -> None:
        self.cast = 0
        self.clone = clone_op(op)
        self.guard = guard
        self.names = argument_names(op, len(arrays))
        self.needs = needs
        self.work = [self._float64(a) for a in arrays]
        self.params: list[tuple[str, Parameter]] = [
            (attr, p) for attr, p in self.clone.__dict__.items() if type(p) is Parameter
        ]
        for attr, p in self.params:
            value = p.data if param_values is None or attr not in param_values else param_values[attr]
            p.data = self._float64(np.asarray(value))
            p.grad = None
        self.pre_state = dict(self.clone.__dict__)
        guard.watch(self.clone)
        self.forward_fn = type(self.clone).forward

    def _float64(self, a: np.ndarray) -> np.ndarray:
        a = np.asarray(a)
        if a.dtype.kind == "f" and a.dtype != np.float64:
            self.cast += 1
            return np.ascontiguousarray(a, dtype=np.float64)
        return np.array(a, copy=True, order="C")

    def forward(self, inputs: list[np.ndarray] | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """Run forward from the pre-call state and random state; return (output, the arrays passed)."""
        state = self.clone.__dict__
        state.clear()
        state.update(self.pre_state)
        self.guard.restore_random()
        passed = [a.copy() for a in (self.work if inputs is None else inputs)]
        with no_record():
            out = self.forward_fn(self.clone, *passed)
        if type(out) is not np.ndarray:
            out = _as_output(self.clone, out)
        return out, passed

    def backward(self, upstream: np.ndarray) -> _Backward:
        """Run the user's raw backward once, from the state ``forward`` left."""
        params = self.params
        presets = [np.zeros_like(p.data) for _, p in params]
        for (_, p), zero in zip(params, presets):
            p.grad = zero
        given = upstream.copy()
        engine.CURRENT_NEEDS.append(self.needs)
        engine.ACTIVE_OPS.append(self.clone)
        try:
            raw = type(self.clone)._raw_backward(self.clone, given)
        finally:
            engine.ACTIVE_OPS.pop()
            engine.CURRENT_NEEDS.pop()
        contributions = []
        for (_, p), zero in zip(params, presets):
            c = p.grad
            if c is zero and not c.any():
                c = None
            elif c is not None:
                c = np.asarray(c.data if isinstance(c, (Tensor, Parameter)) else c)
            contributions.append(c)
            p.grad = None
        mutated = not np.array_equal(given, upstream, equal_nan=True)
        return _Backward(raw, contributions, mutated)


@dataclass
class _Backward:
    raw: Any
    param_grads: list[np.ndarray | None]
    mutated_upstream: bool


def _run(subject: _Subject, result: GradcheckResult, upstreams: list[np.ndarray | None], rng: Any) -> None:
    names = subject.names
    try:
        out, passed = subject.forward()
    except Exception as error:
        result.kind, result.diagnosis = "exception", "forward"
        result.error = f"{type(error).__name__}: {error}"
        return
    subject.guard.settle()
    result.output = out
    result.mutated_inputs = tuple(
        names[i]
        for i, (before, after) in enumerate(zip(subject.work, passed))
        if before.shape != after.shape or not np.array_equal(before, after, equal_nan=True)
    )
    if out.dtype.kind in "fc" and not np.isfinite(out).all():
        result.kind = "nonfinite_forward"
        result.error = count_nonfinite(out)
        return
    post_state = dict(subject.clone.__dict__)
    ups = _upstreams(upstreams, out, rng, result.label)
    backs = []
    for up in ups:
        state = subject.clone.__dict__
        state.clear()
        state.update(post_state)
        back = _run_backward(subject, result, up)
        if back is None:  # an exception or a contract violation, recorded on result
            result.upstream_grad = up
            return
        backs.append((up, back))
    numeric = _numeric(subject, ups, out, result.eps)
    compared = []
    for index, (up, (grads, back)) in enumerate(backs):
        records = _compare_all(subject, result, grads, back, up, {k: v[index] for k, v in numeric.items()})
        compared.append((up, records, back.mutated_upstream))
        if _fails(records, back.mutated_upstream):
            break
    # show the first failing comparison, else the first one (the recorded upstream in a graph check)
    up, records, mutated_upstream = compared[-1] if _fails(*compared[-1][1:]) else compared[0]
    result.upstream_grad = up
    result.arguments = records
    _verdict(result, records, mutated_upstream)


def _upstreams(upstreams: list[np.ndarray | None], out: np.ndarray, rng: Any, label: str) -> list[np.ndarray]:
    """The finite upstream gradients to compare with (``None`` entries drawn from ``rng``)."""
    ups = []
    for up in upstreams:
        if up is None:
            up = rng.standard_normal(out.shape)
        up = np.asarray(up, dtype=np.float64)
        if up.shape != out.shape:
            if up.size != 1:
                raise ShapeRuleError(
                    f"gradcheck({label}): upstream_grad has shape {up.shape} but the output has shape "
                    f"{out.shape}; pass an upstream gradient of the output's shape."
                )
            up = np.full(out.shape, up.reshape(()))
        if np.isfinite(up).all():
            ups.append(up)
    if not ups:
        ups.append(rng.standard_normal(out.shape))
    return ups


def _fails(records: list[ArgumentCheck], mutated_upstream: bool) -> bool:
    return mutated_upstream or any(not r.ok for r in records)


def _run_backward(subject: _Subject, result: GradcheckResult, up: np.ndarray) -> tuple[list, _Backward] | None:
    """Run backward(up); on an exception or a wrong gradient count record it on ``result`` and return None."""
    try:
        back = subject.backward(up)
    except Exception as error:
        result.kind = "exception"
        result.error = f"{type(error).__name__}: {error}"
        return None
    n = len(subject.work)
    try:
        grads = _as_sequence(back.raw, n, result.label)
    except GradientCountError as error:
        result.kind, result.diagnosis = "exception", "gradient_count"
        result.error = str(error)
        result.gradient_count = (len(back.raw) if isinstance(back.raw, (tuple, list)) else 1, n)
        return None
    return grads, back


def _compare_all(
    subject: _Subject,
    result: GradcheckResult,
    grads: list,
    back: _Backward,
    up: np.ndarray,
    numeric: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> list[ArgumentCheck]:
    """One record per argument and parameter: compared with finite differences and diagnosed."""
    records = [_argument_record(subject, i, g) for i, g in enumerate(grads)]
    records += [_parameter_record(subject, attr, p, c) for (attr, p), c in zip(subject.params, back.param_grads)]
    for r in records:
        if r.key not in numeric:
            continue
        values, noise, kinks = numeric[r.key]
        if r.status in ("pending", "pending_none"):
            _compare(r, values, noise, kinks, result.rtol, result.atol)
        else:
            r.numeric = values
    _diagnose(records, up, numeric, result.rtol, result.atol)
    return records


def _as_sequence(raw: Any, n: int, label: str) -> list[Any]:
    """The engine's rule: a tuple (or a list for n != 1) is one gradient per argument."""
    if type(raw) is tuple or (type(raw) is list and n != 1):
        seq = list(raw)
    elif n == 1:
        seq = [raw]
    else:
        raise GradientCountError(
            f"{label}.backward returned one {type(raw).__name__} but forward took {n} arguments; "
            f"return a tuple of {n} gradients (None for an argument without one)."
        )
    if len(seq) != n:
        raise GradientCountError(
            f"{label}.backward returned {len(seq)} gradients but forward took {n} "
            f"argument{'s' if n != 1 else ''}; return exactly one gradient per argument, in order."
        )
    return seq


def _argument_record(subject: _Subject, i: int, g: Any) -> ArgumentCheck:
    x = subject.work[i]
    name = subject.names[i]
    r = ArgumentCheck(name=name, display=name, role="argument", position=i, shape=x.shape)
    if x.dtype.kind != "f":
        r.status, r.note = "not_checked", f"dtype {x.dtype}"
        if g is not None:
            r.analytic = np.asarray(g.data if isinstance(g, (Tensor, Parameter)) else g)
        return r
    if g is None:
        if subject.needs[i]:
            r.status = "pending_none"
        else:
            r.status, r.note = "not_checked", "requires_grad=False"
        return r
    a = np.asarray(g.data if isinstance(g, (Tensor, Parameter)) else g)
    if a.dtype == object or a.dtype.kind not in "biufc":
        a = np.asarray(a, dtype=np.float64)
    r.analytic = a
    if a.shape != x.shape:
        r.status, r.got_shape = "shape", a.shape
        return r
    r.status = "pending"
    return r


def _parameter_record(subject: _Subject, attr: str, p: Parameter, c: np.ndarray | None) -> ArgumentCheck:
    r = ArgumentCheck(name=attr, display=str(p.name or attr), role="parameter", position=None, shape=p.data.shape)
    if c is None:
        r.status = "pending_none"
        return r
    r.analytic = c
    if c.shape != p.data.shape:
        r.status, r.got_shape = "shape", c.shape
        return r
    r.status = "pending"
    return r


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
        r.count = count_nonfinite(a)
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
            return tr("msg.gradient_count", lang, got=got, expected=expected)
        return tr("msg.exception", lang, error=result.error)
    if kind == "nonfinite_forward":
        return tr("msg.nonfinite_forward", lang, count=result.error)
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
        return tr("msg.nonfinite_backward", lang, arg=arg, count=r.count)
    if r.status == "no_gradient":
        return tr("msg.no_gradient_param" if r.role == "parameter" else "msg.no_gradient_arg", lang, arg=arg)
    if r.diagnosis in ("sign", "transpose", "swapped", "zero", "passthrough", "factor"):
        factor = "-" if r.factor is None else f"{r.factor:.6g}"
        return tr(f"msg.{r.diagnosis}", lang, arg=arg, other=r.other, factor=factor)
    return tr("msg.wrong_gradient", lang, arg=arg, rel=format_error(r.max_rel_error), abs=format_error(r.max_abs_error))


def _shape_str(shape: tuple[int, ...] | None) -> str:
    return "?" if shape is None else str(tuple(int(s) for s in shape))


# -- copies, names and side effects ----------------------------------------------------------
def clone_op(op: Any) -> Any:
    """A deep copy of ``op`` that shares nothing with it (except tensors it holds, which are immutable).

    The private link to the op's last call (a weakref) is dropped. Falls back to
    a shallow copy with copied parameters and arrays when the op cannot be
    deep-copied (it holds a file, a lock...).
    """
    state = op.__dict__
    memo: dict[int, Any] = {}
    ref = state.get("_gad_call")
    if ref is not None:
        memo[id(ref)] = None
    for value in state.values():
        if type(value) is Tensor:
            memo[id(value)] = value
    try:
        clone = copy.deepcopy(op, memo)
    except Exception:
        clone = copy.copy(op)
        clone.__dict__ = {
            k: (_copy_parameter(v) if type(v) is Parameter else v.copy() if isinstance(v, np.ndarray) else v)
            for k, v in state.items()
        }
    _strip_call_links(clone, set())
    return clone


def _strip_call_links(obj: Any, seen: set[int]) -> None:
    """Drop ``_gad_call`` from ``obj`` and every op it holds (sub-ops of a composite op).

    A copied sub-op still points at the user's last call until the copy's
    ``forward`` calls it again; a ``self.inner.backward(g)`` reached before that
    would run and record the user's call instead of the copy's.
    """
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, dict):
        values = list(obj.values())
    elif isinstance(obj, (list, tuple)):
        values = list(obj)
    elif (
        hasattr(obj, "__dict__")
        and not isinstance(obj, type)
        and (isinstance(obj, Differentiable) or hasattr(obj, "parameters"))
    ):
        obj.__dict__.pop("_gad_call", None)
        values = list(obj.__dict__.values())
    else:
        return
    for value in values:
        if isinstance(value, (dict, list, tuple, Differentiable)) or hasattr(value, "parameters"):
            _strip_call_links(value, seen)


def _copy_parameter(p: Parameter) -> Parameter:
    new = Parameter(p.data.copy(), name=p.name)
    new.grad = None if p.grad is None else np.array(p.grad, copy=True)
    return new


def argument_names(op: Any, n: int) -> list[str]:
    """Names of ``forward``'s first ``n`` arguments (``xs[0]``... for ``*xs``; ``arg3`` when unknown)."""
    names: list[str] = []
    star = None
    try:
        for p in list(inspect.signature(type(op).forward).parameters.values())[1:]:
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                names.append(p.name)
            elif p.kind is p.VAR_POSITIONAL:
                star = p.name
                break
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        pass
    if n <= 0:
        return names
    out = names[:n]
    for i in range(len(out), n):
        out.append(f"{star}[{i - len(names)}]" if star else f"arg{i}")
    return out


@contextmanager
def quiet() -> Iterator[None]:
    """Silence warnings and NumPy floating-point messages while re-running the user's code many times."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


class _RandomSource:
    """One random generator the op's forward may draw from: snapshot, compare, restore."""

    def __init__(self, kind: str, obj: Any) -> None:
        self.kind, self.obj = kind, obj
        self.saved = self.state()

    def state(self) -> Any:
        if self.kind == "library":
            return (_rng._generator, _rng._generator.bit_generator.state)
        if self.kind == "numpy":
            return np.random.get_state(legacy=False)
        if self.kind == "python":
            return random.getstate()
        if self.kind == "legacy":
            return self.obj.get_state(legacy=False)
        return self.obj.bit_generator.state

    def restore(self) -> None:
        if self.kind == "library":
            _rng._generator = self.saved[0]
            self.saved[0].bit_generator.state = self.saved[1]
        elif self.kind == "numpy":
            np.random.set_state(self.saved)
        elif self.kind == "python":
            random.setstate(self.saved)
        elif self.kind == "legacy":
            self.obj.set_state(self.saved)
        else:
            self.obj.bit_generator.state = self.saved

    def changed(self) -> bool:
        now = self.state()
        if self.kind == "python":  # a tuple of ints: compare directly
            return bool(now != self.saved)
        return not _same_state(now, self.saved)


def _same_state(a: Any, b: Any) -> bool:
    """Equality of generator states (nested dicts and tuples holding arrays)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_state(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same_state(x, y) for x, y in zip(a, b))
    return a is b or a == b


class _SideEffectGuard:
    """Snapshot what a check could change outside the op copy, and put it back.

    Random generators (the library's, NumPy's global, Python's, and those the
    op copy holds) are reset before every forward the check runs, so a
    stochastic op draws the same numbers each time; to keep that cheap, after
    the first forward only the generators it actually used are reset.
    """

    def __init__(self, op: Any) -> None:
        self.classes = [c for c in type(op).__mro__ if c not in (object, Differentiable)]
        self.modules = {c.__module__ for c in self.classes}
        self.class_attrs: list[tuple[type, dict]] = []
        self.globals: list[tuple[dict, dict]] = []
        self.sources: list[_RandomSource] = []
        self.active: list[_RandomSource] | None = None

    def __enter__(self) -> _SideEffectGuard:
        self.class_attrs = [(c, dict(vars(c))) for c in self.classes]
        for name in sorted(self.modules):
            module = sys.modules.get(name)
            if module is not None:
                self.globals.append((module.__dict__, dict(module.__dict__)))
        self.sources = [_RandomSource(kind, None) for kind in ("library", "numpy", "python")]
        return self

    def watch(self, clone: Any) -> None:
        """Also reset the generators the op copy holds (``Dropout(seed=...)``)."""
        for value in clone.__dict__.values():
            if isinstance(value, np.random.Generator):
                self.sources.append(_RandomSource("generator", value))
            elif isinstance(value, np.random.RandomState):
                self.sources.append(_RandomSource("legacy", value))

    def restore_random(self) -> None:
        """Reset the generators before a forward."""
        if self.active is None:
            for source in self.sources:
                source.restore()
        else:
            for source in self.active:
                source.restore()

    def settle(self) -> None:
        """After the first forward: from now on reset only the generators it used."""
        if self.active is None:
            self.active = [source for source in self.sources if source.changed()]

    def __exit__(self, *exc: object) -> None:
        for source in self.sources:
            source.restore()
        for cls, saved in self.class_attrs:
            for key in [k for k in vars(cls) if k not in saved]:
                delattr(cls, key)
            for key, value in saved.items():
                if vars(cls).get(key, _MISSING) is not value and not key.startswith("__"):
                    setattr(cls, key, value)
        for namespace, saved in self.globals:
            for key in [k for k in namespace if k not in saved]:
                del namespace[key]
            for key, value in saved.items():
                if namespace.get(key, _MISSING) is not value:
                    namespace[key] = value


_MISSING = object()
