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
from typing import Any

import numpy as np

from ..differentiable import Differentiable
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
