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

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..differentiable import Differentiable
from ..errors import GradientCountError, ShapeRuleError
from ..i18n import tr
from ..tensor import Parameter, Tensor
from ..util import describe_nonfinite
from .diagnose import _diagnose, _message, _verdict, format_error, format_table
from .diagnose import argument_message as argument_message  # re-exported: importable from here as before
from .diagnose import reduction_axes as reduction_axes
from .isolation import _SideEffectGuard, quiet
from .isolation import clone_op as clone_op
from .numeric import _compare, _numeric
from .subject import _Backward, _Subject

__all__ = ["ARGUMENT_STATUSES", "ArgumentCheck", "GradcheckResult", "PrecisionWarning", "gradcheck"]

#: Per-argument outcomes of a check.
ARGUMENT_STATUSES = ("ok", "wrong_gradient", "shape", "no_gradient", "nonfinite_backward", "not_checked")


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
        result.error = describe_nonfinite(out)
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
