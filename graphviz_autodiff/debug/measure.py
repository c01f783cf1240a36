"""The measuring side of a gradient check: run the op, record raw numbers as :class:`~.verdict.Evidence`.

This is the only part of the checker that runs the user's code. It runs
``forward`` and ``backward`` on an isolated copy of the op
(:class:`~graphviz_autodiff.debug.subject._Subject`), catches whatever they
raise or return, and records numbers only: the output, what ``backward``
returned per argument and parameter (:class:`~.verdict.Returned`), and the
outputs at perturbed inputs contracted with each upstream gradient
(:class:`~.verdict.Differences`). :func:`~.verdict.judge` turns that into a
verdict, in this process or in another one.

Randomness
==========
Three independent streams, spawned from one :class:`numpy.random.SeedSequence`
(:func:`random_streams`): **inputs** (the ``check`` command draws generated
inputs from it), **upstream** (the random upstream gradients) and
**perturbation** (the jitter of the finite-difference steps). With one seed
for all three, a generated input and the upstream gradient would be the same
array, and bugs that swap the two (a ReLU mask computed on
``upstream_grad``, ``Xᵀ·X`` for ``Xᵀ·G``) would pass. The seeds are fixed:
``gradcheck(seed=0)`` and ``check(seed=0)`` by default; a graph node ``k``
uses ``SeedSequence([seed, k])``.

Finite-difference step
======================
Element ``k`` of an array ``x`` is moved by ``h_k = eps · max(|x_k|, 1) · (1 + j_k)``,
``j_k`` uniform in ``[0, 1)`` from the perturbation stream: the step scales
with the value, so ``x = 1e12`` is really moved (an absolute ``1e-6`` would
vanish in its rounding). Two fallbacks, the step actually taken being
recorded so the verdict stays exact about it:

* no output changed, or the change is below a million times the outputs'
  rounding: ``1000 h_k``, ``10⁶ h_k``, ``10⁹ h_k`` are tried, as long as
  the one-sided differences agree (outputs so large that the change vanished
  in their rounding, such as a bias added to values of 1e12: the op is then
  linear in that element at any scale that matters);
* ``|x_k| > 10`` and the one-sided differences disagree by more than
  ``1e-6`` (plus rounding), so truncation may matter: ``h_k / |x_k|^(2/3)``
  then ``h_k / |x_k|`` are tried, and the first whose one-sided differences
  agree and whose change stands a million times above the outputs' rounding
  is kept (a logit of 1e5 is still curved at an ordinary scale; the first
  balances truncation against the rounding of intermediates of size
  ``|x_k|``).

When ``forward`` computes its output in a lower precision than float64 (it
casts to float32 itself), ``eps`` is raised to the cube root of that
precision's epsilon, the best step for central differences in it.
"""

from __future__ import annotations

import os
import sysconfig
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ShapeRuleError, describe_error
from ..tensor import Parameter
from .isolation import _SideEffectGuard, quiet
from .numeric import contract, relative_steps
from .subject import _Subject
from .verdict import Differences, Evidence, Returned, Slot, Trial

__all__ = ["Streams", "measure_call", "random_streams", "user_location"]


@dataclass(frozen=True)
class Streams:
    """The checker's three independent random generators (see the module docstring)."""

    inputs: np.random.Generator
    upstream: np.random.Generator
    perturbation: np.random.Generator


def random_streams(seed: int, *key: int) -> Streams:
    """Independent ``inputs``, ``upstream`` and ``perturbation`` generators for ``seed`` (and a node ``key``).

    Examples
    --------
    >>> s = random_streams(0)
    >>> bool((s.inputs.standard_normal(3) == s.upstream.standard_normal(3)).any())
    False
    """
    entropy = [int(seed), *(int(k) for k in key)] if key else int(seed)
    inputs, upstream, perturbation = np.random.SeedSequence(entropy).spawn(3)
    return Streams(*(np.random.default_rng(s) for s in (inputs, upstream, perturbation)))


_PACKAGE_DIR = os.path.realpath(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + os.sep
_LIBRARY_DIRS = tuple(
    os.path.realpath(p) + os.sep
    for p in {_PACKAGE_DIR, *(sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib"))}
)


def user_location(error: BaseException) -> str | None:
    """``student.py:12``: the innermost frame of ``error``'s traceback outside the library, NumPy and Python."""
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if not os.path.realpath(f.filename).startswith(_LIBRARY_DIRS)
    ]
    if not frames:
        return None
    frame = frames[-1]
    return f"{os.path.basename(frame.filename)}:{frame.lineno}"


def _describe(error: BaseException) -> str:
    """The error's type and the first line of its message, in :func:`~graphviz_autodiff.i18n.message_lang`."""
    return describe_error(error).split("\n", 1)[0]


def measure_call(
    op: Any,
    arrays: list[np.ndarray],
    needs: tuple[bool, ...],
    param_values: dict[str, np.ndarray] | None,
    *,
    upstreams: list[np.ndarray | None],
    eps: float,
    streams: Streams,
    label: str,
    data: tuple[bool, ...] = (),
    finite_differences: bool = True,
    run_backward: bool = True,
) -> Evidence:
    """Run one call of ``op`` on ``arrays`` (on a copy) and record the raw numbers of its check.

    Parameters
    ----------
    op : Differentiable
        The user's op (copied, never modified).
    arrays : list of numpy.ndarray
        The arguments the call saw.
    needs : tuple of bool
        Which arguments need a gradient.
    param_values : dict or None
        Parameter values the call saw, by attribute (``None``: the current values).
    upstreams : list of (numpy.ndarray or None)
        Upstream gradients to compare with; ``None`` entries are drawn from
        ``streams.upstream``, non-finite ones are skipped.
    eps : float
        The relative finite-difference step.
    streams : Streams
        The random generators.
    label : str
        The op's name for messages.
    data : tuple of bool
        Which arguments are plain arrays passed by the caller (see :class:`~.verdict.Slot`).
    finite_differences : bool, default True
        False: run ``backward`` only (the trials then hold no differences).
    run_backward : bool, default True
        False: finite differences only (the trials then hold no gradients, ``count`` is None).

    Returns
    -------
    Evidence
        Everything :func:`~.verdict.judge` needs. Never raises for what the op
        does; raises :class:`~graphviz_autodiff.errors.ShapeRuleError` for an
        upstream gradient of the wrong shape given by the caller.
    """
    with _SideEffectGuard(op) as guard, quiet():
        try:
            subject = _Subject(op, arrays, needs, param_values, guard)
        except Exception as error:  # the op cannot even be copied or set up
            return Evidence(label, (), forward_error=_describe(error), forward_where=user_location(error))
        return _measure(subject, upstreams, eps, streams, label, data, (finite_differences, run_backward))


def _slots(subject: _Subject, data: tuple[bool, ...]) -> tuple[Slot, ...]:
    slots = []
    for i, (name, x) in enumerate(zip(subject.names, subject.work)):
        is_float = x.dtype.kind == "f"
        slots.append(
            Slot(
                name=name,
                display=name,
                role="argument",
                position=i,
                shape=tuple(x.shape),
                dtype=subject.dtypes[i],
                needs=bool(subject.needs[i]) if i < len(subject.needs) else is_float,
                data=bool(data[i]) if i < len(data) else False,
                value=x.copy() if is_float else None,
            )
        )
    for (attr, p), dtype in zip(subject.params, subject.param_dtypes):
        slots.append(
            Slot(attr, str(p.name or attr), "parameter", None, tuple(p.data.shape), dtype, True, value=p.data.copy())
        )
    return tuple(slots)


def _measure(
    subject: _Subject,
    upstreams: list[np.ndarray | None],
    eps: float,
    streams: Streams,
    label: str,
    data: tuple[bool, ...],
    what: tuple[bool, bool] = (True, True),
) -> Evidence:
    finite_differences, run_backward = what
    slots = _slots(subject, data)
    base = {"label": label, "slots": slots}
    try:
        out, passed = subject.forward()
    except Exception as error:
        return Evidence(**base, forward_error=_describe(error), forward_where=user_location(error))
    subject.guard.settle()
    base["cast"] = tuple(subject.cast)
    base["mutated_inputs"] = tuple(
        subject.names[i]
        for i, (before, after) in enumerate(zip(subject.work, passed))
        if before.shape != after.shape or not np.array_equal(before, after, equal_nan=True)
    )
    if out.dtype.kind not in "biuf":
        return Evidence(**base, output_type=f"{type(out).__name__} of {out.dtype.name}")
    output = out.astype(np.float64)
    if out.dtype.kind == "f" and not np.isfinite(out).all():
        return Evidence(**base, output=output)
    post_state = dict(subject.clone.__dict__)
    ups = _upstreams(upstreams, out.shape, streams.upstream, label)
    trials = []
    for up in ups:
        state = subject.clone.__dict__
        state.clear()
        state.update(post_state)
        trial = _run_backward(subject, up) if run_backward else Trial(up)
        trials.append(trial)
        if run_backward and (trial.error is not None or trial.count != len(subject.work)):
            return Evidence(**base, output=output, trials=tuple(trials))
    if not finite_differences:
        return Evidence(**base, output=output, trials=tuple(trials))
    differences = _differences(subject, ups, out, eps, streams.perturbation)
    trials = [
        Trial(t.upstream, t.error, t.where, t.count, t.gradients, t.mutated_upstream, tuple(d[i] for d in differences))
        for i, t in enumerate(trials)
    ]
    return Evidence(**base, output=output, trials=tuple(trials))


def _upstreams(upstreams: list[np.ndarray | None], shape: tuple[int, ...], rng: Any, label: str) -> list[np.ndarray]:
    """The finite upstream gradients to compare with (``None`` entries drawn from ``rng``)."""
    ups = []
    for up in upstreams:
        if up is None:
            up = rng.standard_normal(shape)
        up = np.asarray(up, dtype=np.float64)
        if up.shape != shape:
            if up.size != 1:
                raise ShapeRuleError(
                    f"gradcheck({label}): upstream_grad has shape {up.shape} but the output has shape "
                    f"{shape}; pass an upstream gradient of the output's shape."
                )
            up = np.full(shape, up.reshape(()))
        if np.isfinite(up).all():
            ups.append(up)
    while len(ups) < 2:  # two upstreams at least: a gradient that ignores upstream_grad then shows
        ups.append(rng.standard_normal(shape))
    return ups


def _run_backward(subject: _Subject, up: np.ndarray) -> Trial:
    """Run backward(up) once and describe what it gave (never raises for what the op does)."""
    try:
        back = subject.backward(up)
    except Exception as error:
        return Trial(up, error=_describe(error), where=user_location(error))
    n = len(subject.work)
    raw = back.raw
    if type(raw) is tuple or (type(raw) is list and n != 1):
        seq = list(raw)
    else:
        seq = [raw]
    if len(seq) != n:
        return Trial(up, count=len(seq), mutated_upstream=back.mutated_upstream)
    gradients = [_returned(g) for g in seq] + [_returned(c) for c in back.param_grads]
    return Trial(up, count=n, gradients=tuple(gradients), mutated_upstream=back.mutated_upstream)


def _returned(value: Any) -> Returned:
    try:
        return Returned.of(value)
    except Exception:  # an object whose conversion raises
        return Returned(type(value).__name__)


def _differences(
    subject: _Subject, ups: list[np.ndarray], out: np.ndarray, eps: float, rng: np.random.Generator
) -> list[list[Differences | None]]:
    """``[slot][upstream]`` contracted central differences for every float argument and parameter."""
    unit = float(np.finfo(out.dtype).eps) if out.dtype.kind == "f" else float(np.finfo(np.float64).eps)
    if unit > np.finfo(np.float64).eps:
        eps = max(eps, unit ** (1.0 / 3.0))
    buffers: list[np.ndarray | None] = [x if x.dtype.kind == "f" else None for x in subject.work]
    buffers += [p.data for _, p in subject.params if type(p) is Parameter]
    result = []
    for buf in buffers:
        if buf is None:
            result.append([None] * len(ups))
            continue
        result.append(
            _perturb(subject, buf, ups, out, relative_steps(buf.reshape(-1), eps, rng.random(buf.size)), unit)
        )
    return result


def _perturb(
    subject: _Subject, buf: np.ndarray, ups: list[np.ndarray], f0: np.ndarray, steps: np.ndarray, unit: float
) -> list[Differences | None]:
    """Central differences of every element of ``buf``, with the step ladder of the module docstring."""
    flat = buf.reshape(-1)
    if not np.shares_memory(flat, buf):  # pragma: no cover - work arrays are contiguous copies
        raise RuntimeError("internal: a checked array is not contiguous")
    columns = np.full((len(ups), 4, flat.size), np.nan)
    step_plus, step_minus = np.zeros(flat.size), np.zeros(flat.size)
    for k in range(flat.size):
        probe = _choose(subject, flat, k, steps[k], ups, f0, unit)
        step_plus[k], step_minus[k] = probe[0], probe[1]
        for i in range(len(ups)):
            columns[i, :, k] = probe[2][i]
    shape = buf.shape
    return [
        Differences(
            *(columns[i, j].reshape(shape) for j in range(4)),
            step_plus.reshape(shape),
            step_minus.reshape(shape),
            unit,
        )
        for i in range(len(ups))
    ]


def _choose(
    subject: _Subject, flat: np.ndarray, k: int, h: float, ups: list[np.ndarray], f0: np.ndarray, unit: float
) -> tuple[float, float, list[tuple[float, float, float, float]]]:
    """Probe element ``k`` with the relative step, and with the fallbacks of the module docstring if needed."""
    first = _probe(subject, flat, k, h, ups, f0)
    x = float(flat[k])
    if _unchanged(first) or (_clean(first, unit) and not _resolved(first, unit)):
        return _grow(subject, flat, k, h, ups, f0, unit, first)
    size = max(abs(x), 1.0)
    if size <= 10 or _clean(first, unit):
        return first
    for smaller in (h / size ** (2.0 / 3.0), h / size):
        probe = _probe(subject, flat, k, smaller, ups, f0)
        if _clean(probe, unit) and _resolved(probe, unit):
            return probe
    return first


def _grow(
    subject: _Subject,
    flat: np.ndarray,
    k: int,
    h: float,
    ups: list[np.ndarray],
    f0: np.ndarray,
    unit: float,
    first: tuple[float, float, list[tuple[float, float, float, float]]],
) -> tuple[float, float, list[tuple[float, float, float, float]]]:
    """Steps 1000, 10⁶, 10⁹ times larger while the change drowns in the outputs' rounding and stays linear."""
    best, step = first, h
    for _ in range(3):
        step *= 1e3
        if not np.isfinite(float(flat[k]) + step):
            break
        probe = _probe(subject, flat, k, step, ups, f0)
        if _unchanged(probe):
            continue
        if not _clean(probe, unit):
            break  # curvature (or a kink) shows at this size: keep the smaller step
        best = probe
        if _resolved(probe, unit):
            break
    return best


def _probe(
    subject: _Subject, flat: np.ndarray, k: int, h: float, ups: list[np.ndarray], f0: np.ndarray
) -> tuple[float, float, list[tuple[float, float, float, float]]]:
    """``(step₊, step₋, [contracted numbers per upstream])`` of element ``k`` moved by ``±h``."""
    old = flat[k]
    plus, minus = old + h, old - h
    flat[k] = plus
    f_plus = _safe_forward(subject)
    flat[k] = minus
    f_minus = _safe_forward(subject)
    flat[k] = old
    return float(plus - old), float(old - minus), [contract(up, f0, f_plus, f_minus) for up in ups]


def _unchanged(probe: tuple[float, float, list[tuple[float, float, float, float]]]) -> bool:
    return all(central == 0.0 and right == 0.0 and left == 0.0 for central, right, left, _ in probe[2])


def _resolved(probe: tuple[float, float, list[tuple[float, float, float, float]]], unit: float) -> bool:
    """Whether the outputs' rounding is below 1e-6 of the difference (the difference is then precise)."""
    return all(8.0 * unit * scale <= 1e-6 * abs(central) for central, _, _, scale in probe[2])


def _clean(probe: tuple[float, float, list[tuple[float, float, float, float]]], unit: float) -> bool:
    """Whether the one-sided differences agree to 1e-6 (plus rounding): truncation is then negligible."""
    step_plus, step_minus, numbers = probe
    if not (step_plus > 0 and step_minus > 0):  # the step vanished in the rounding of x
        return False
    for central, right, left, scale in numbers:
        if not np.isfinite(central):
            return False
        bound = 8.0 * unit * scale / (step_plus + step_minus)
        r, lft = right / step_plus, left / step_minus
        if abs(r - lft) > 1e-6 * max(abs(r), abs(lft)) + 4 * bound + 1e-12:
            return False
    return True


def _safe_forward(subject: _Subject) -> np.ndarray | None:
    try:
        out, _ = subject.forward()
    except Exception:
        return None
    return out if out.dtype.kind in "biuf" else None
