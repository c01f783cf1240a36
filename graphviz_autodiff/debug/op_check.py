"""Gradient checking of one op: its ``backward`` against central finite differences.

:func:`gradcheck` runs an op's ``forward`` and ``backward`` on a **copy** of
the op (the op you pass, its parameters, their ``.grad`` and its saved state
are never touched) and compares, for every float argument **and every
parameter**, the gradient ``backward`` returns with central finite
differences.

The method
==========
* Two steps with a seam between them (:mod:`graphviz_autodiff.debug.verdict`):
  :func:`~graphviz_autodiff.debug.measure.measure_call` runs the op and
  records raw numbers, :func:`~graphviz_autodiff.debug.verdict.judge` turns
  them into the verdict, possibly in another process.
* Everything is computed in float64: float16, float32 and float128 arguments
  and parameters of the copy are cast, with one :class:`PrecisionWarning`
  naming the dtypes.
* The op's output ``y = f(x)`` is contracted with **two** upstream gradients
  ``u`` drawn from a standard normal (the upstream stream of
  ``random_streams(seed)``, independent of the inputs' stream), so every
  output element matters and a backward that ignores ``upstream_grad`` shows;
  both must pass. The numeric gradient of element ``k`` is

  .. math:: n_k = \\frac{\\sum_j u_j\\,[f_j(x + h_k e_k) - f_j(x - h_k e_k)]}{(x_k + h_k) - (x_k - h_k)}

  with the relative step ``h_k = eps · max(|x_k|, 1) · (1 + j_k)`` and its
  fallbacks (:mod:`graphviz_autodiff.debug.measure`); the denominator is the
  step actually taken in floating point. ``backward(u)`` gives the analytic
  gradient ``a``.
* **Verdict** (``torch.autograd.gradcheck``'s criterion, widened by the
  rounding error of the difference itself): element ``k`` passes when

  .. math:: |a_k - n_k| \\le \\mathrm{atol} + \\mathrm{rtol}\\,|n_k| + r_k,
            \\quad r_k = 8\\,\\epsilon \\sum_j |u_j| (|f_j(x+he_k)| + |f_j(x-he_k)|) / 2h

  where ε is the machine epsilon of the output dtype and the sum runs over
  the outputs that changed (over all outputs when none did: the difference is
  then zero only to within their rounding). ``r_k`` bounds the rounding error of the
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

Nothing the op returns makes the check raise: a boolean mask, a complex,
string or object array, a dict, a generator, a wrong count, an exception in
``forward`` or ``backward`` (with the user's ``file:line``) each become a
verdict (kinds ``wrong_type``, ``exception``, ``no_gradient``...).

Diagnoses
=========
When a gradient is wrong, the checker tests the classic mistakes, in this
order, and names the first that explains the numbers (``diagnosis``):

=====================  ==============================================================
``swapped``            ∂L/∂aᵢ equals the numeric gradient of another argument (and back)
``sign``               a = −n
``ignores_upstream``   a is the same for every upstream gradient while n is not
``factor``             a = c·n for a constant c ≠ ±1 (``factor`` holds c; 0 gives ``zero``);
                       shown as "missing factor 1/|c|" or "extra factor |c|"
``transpose``          aᵀ = n (square), or a was computed transposed and reshaped, or
                       n = P′·Q′ and a = P″·Q″ for two of the op's matrices (arguments,
                       parameters, ``upstream_grad``) with different transposes: the
                       square-weight ``x @ g`` for ``x.T @ g``
``swapped``            a equals the numeric gradient of another argument (one way)
``passthrough``        a is ``upstream_grad`` itself (the local derivative is missing)
``wrong_mask``         a = n where both are non-zero, zeros elsewhere in the wrong places
                       (a ReLU mask taken of ``upstream_grad`` instead of ``x``)
``zero``               a = 0 but n ≠ 0 (a stale or default value used instead of the input)
``transpose``          shape rule broken; the shape is the reversed shape
``missing_reduction``  shape rule broken; summing over the broadcast axes gives the right values
``missing_outer``      shape rule broken; ``np.outer(upstream_grad, a)`` gives the right values
``missing_broadcast``  shape rule broken; broadcasting gives the right values
``swapped``            shape rule broken; the shape and values are another argument's
``boolean``            (kind ``wrong_type``) a boolean array, such as the mask ``x > 0``
``complex``            (kind ``wrong_type``) a complex array
``string``             (kind ``wrong_type``) a string or an array of strings
``not_numeric``        (kind ``wrong_type``) a dict, a generator, a ragged list...
``output_type``        (kind ``wrong_type``) ``forward`` returned complex or text values
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
from typing import Any

import numpy as np

from ..differentiable import Differentiable
from ..i18n import messages_in
from ..tensor import Parameter, Tensor
from .measure import measure_call, random_streams
from .verdict import ARGUMENT_STATUSES, ArgumentCheck, GradcheckResult, judge

__all__ = ["ARGUMENT_STATUSES", "ArgumentCheck", "GradcheckResult", "PrecisionWarning", "check_call", "gradcheck"]


class PrecisionWarning(UserWarning):
    """Float arrays other than float64 (float16, float32, float128) were checked in float64."""


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
        Seed of the random upstream gradients and step jitter (their own
        streams of ``random_streams(seed)``, independent of any inputs drawn
        from its ``inputs`` stream).
    upstream_grad : array_like, optional
        Use this upstream gradient first (it must have the output's shape); a
        random one is compared too.
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
    data = tuple(type(x) is np.ndarray and x.dtype.kind == "f" for x in inputs)
    result = check_call(
        op,
        arrays,
        tuple(needs),
        None,
        upstreams=[upstream, None],
        eps=eps,
        rtol=rtol,
        atol=atol,
        seed=(seed,),
        lang=lang,
        data=data,
    )
    if result.cast:
        warnings.warn(cast_warning(f"gradcheck({result.label})", result.cast), PrecisionWarning, stacklevel=2)
    return result


def cast_warning(where: str, cast: tuple[str, ...] | list[str]) -> str:
    """``"gradcheck(Linear): 2 array(s) of float32 were cast to float64 ..."``: names the real dtypes."""
    dtypes = ", ".join(sorted(set(cast)))
    return f"{where}: {len(cast)} array(s) of {dtypes} were cast to float64 for finite differences; checked in float64."


# -- the machinery (also used by the graph check) -------------------------------------------
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
    seed: tuple[int, ...],
    lang: str = "en",
    label: str | None = None,
    data: tuple[bool, ...] = (),
) -> GradcheckResult:
    """Check one call of ``op`` on ``arrays`` (the inputs it saw): measure, then judge.

    ``param_values`` maps parameter attribute names to the values the call
    saw (``None``: the parameters' current values). ``upstreams`` lists the
    upstream gradients to compare with (``None`` entries are drawn from the
    upstream stream of ``random_streams(*seed)``; non-finite ones are
    skipped; at least two are used); every one must pass, and the result
    shows the first failing comparison, else the first one.
    """
    label = label or str(getattr(op, "name", None) or type(op).__name__)
    with messages_in(lang):  # the errors the op raises, quoted in the verdict, in the verdict's language
        evidence = measure_call(
            op,
            arrays,
            needs,
            param_values,
            upstreams=upstreams,
            eps=eps,
            streams=random_streams(*seed),
            label=label,
            data=data,
        )
    result = judge(evidence, rtol=rtol, atol=atol, eps=eps, lang=lang)
    result.op = op
    return result
