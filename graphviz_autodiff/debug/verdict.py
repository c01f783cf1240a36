"""The verdict of a gradient check, computed from raw numbers only.

This module is the seam between **running** an op (the student's code:
:mod:`graphviz_autodiff.debug.measure`) and **judging** it (this module). It
imports nothing that runs user code: :func:`judge` is a pure function of an
:class:`Evidence`, a tree of plain dataclasses holding strings, numbers and
NumPy arrays of numbers, so it can run in another process than the one that
ran the op. :func:`evidence_to_json` and :func:`evidence_from_json` carry an
:class:`Evidence` over a pipe without :mod:`pickle` (decoding builds only the
classes below and numeric arrays, so a hostile sender cannot run code in the
receiver).

What the measuring side sends
=============================
For one call of an op, :class:`Evidence` holds

* the **slots**: one :class:`Slot` per argument of ``forward`` then one per
  parameter (name, shape, dtype as the op saw it, whether a gradient is
  needed, its float64 value);
* what **forward** did: its output (or the text and ``file:line`` of the
  exception it raised), the arguments it modified in place, the dtypes that
  were cast to float64;
* one :class:`Trial` per **upstream gradient** ``u``: ``u`` itself, what
  ``backward(u)`` returned (the count, then one :class:`Returned` per slot:
  its Python type, dtype, shape and float64 values) or the exception it
  raised, whether it wrote into ``u``, and one :class:`Differences` per
  perturbed slot: the **outputs at perturbed inputs**, contracted with ``u``.

The contraction (:func:`graphviz_autodiff.debug.numeric.contract`) is the
only arithmetic done on the measuring side; it keeps the message small (one
number per input element instead of one output per input element).
:meth:`Differences.from_outputs` builds the same record from full outputs,
for a sender that prefers to ship those.

What the judging side computes
==============================
The numeric gradient, its rounding bound and its kinks (see
:mod:`graphviz_autodiff.debug` for the formulas), the per-element verdict,
the diagnosis of a wrong gradient (sign, factor, transpose, swapped
arguments, ignored ``upstream_grad``...) and the one-line message, in a
:class:`GradcheckResult` with one :class:`ArgumentCheck` per slot.

Examples
--------
>>> import numpy as np
>>> from graphviz_autodiff.debug.verdict import Differences, Evidence, Returned, Slot, Trial, judge
>>> x, u = np.array([1.0, -2.0]), np.array([0.5, 3.0])
>>> def f(v):
...     return 3.0 * v
>>> steps = [(x + 1e-6 * np.eye(2)[k], x - 1e-6 * np.eye(2)[k]) for k in range(2)]
>>> diffs = Differences.from_outputs(
...     u, f(x), [f(p) for p, _ in steps], [f(m) for _, m in steps],
...     np.full(2, 1e-6), np.full(2, 1e-6), unit=np.finfo(float).eps)
>>> slot = Slot("x", "x", "argument", 0, (2,), "float64", True, value=x)
>>> trial = Trial(u, count=1, gradients=(Returned.of(2.0 * u),), differences=(diffs,))
>>> result = judge(Evidence("Triple", (slot,), output=f(x), trials=(trial,)))
>>> result.kind, result.diagnosis, result.factor
('wrong_gradient', 'factor', 0.666667)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ..i18n import tr
from ..util import describe_nonfinite
from .diagnose import _diagnose, _message, _verdict, diagnosis_text, format_error, format_table
from .numeric import compare, contract, numeric_gradient

__all__ = [
    "ARGUMENT_STATUSES",
    "ArgumentCheck",
    "Differences",
    "Evidence",
    "GradcheckResult",
    "Returned",
    "Slot",
    "Trial",
    "evidence_from_json",
    "evidence_to_json",
    "judge",
]

#: Per-argument outcomes of a check.
ARGUMENT_STATUSES = (
    "ok",
    "wrong_gradient",
    "wrong_type",
    "shape",
    "no_gradient",
    "nonfinite_backward",
    "not_checked",
)


# -- the raw numbers ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Slot:
    """One gradient an op owes: of an argument of ``forward``, or of a parameter.

    Attributes
    ----------
    name : str
        The argument's name in ``forward``'s signature, or the parameter's attribute.
    display : str
        The name shown in messages (a parameter's ``name``, e.g. ``"θ"``).
    role : {"argument", "parameter"}
    position : int or None
        The argument's position (``None`` for a parameter).
    shape : tuple of int
    dtype : str
        The dtype the op saw (before the float64 cast of the check), e.g. ``"float32"``.
    needs : bool
        Whether a gradient is needed (a float argument that requires one; always
        True for a parameter).
    data : bool
        A plain array the caller passed (not an op's output, not a Tensor):
        ``None`` for it then gets the hint ``Tensor(y, requires_grad=False)``.
    value : numpy.ndarray or None
        Its float64 value (used to name transposes of products); ``None`` when not float.
    """

    name: str
    display: str
    role: str
    position: int | None
    shape: tuple[int, ...]
    dtype: str
    needs: bool
    data: bool = False
    value: np.ndarray | None = None

    @property
    def key(self) -> tuple[str, str]:
        """``(role, name)``: unique even when a parameter and an argument share a name."""
        return self.role, self.name


@dataclass(frozen=True)
class Returned:
    """One gradient as ``backward`` gave it, reduced to plain data.

    Attributes
    ----------
    type_name : str
        Its Python type (``"ndarray"``, ``"NoneType"``, ``"str"``, ``"Tensor"``...).
    dtype : str or None
        The dtype of ``np.asarray(value)`` when it is array-like, else ``None``.
    shape : tuple of int or None
    values : numpy.ndarray or None
        A float64 copy when the dtype is boolean, integer or float (``None`` otherwise).
    """

    type_name: str
    dtype: str | None = None
    shape: tuple[int, ...] | None = None
    values: np.ndarray | None = None

    @property
    def is_none(self) -> bool:
        """Whether ``backward`` gave ``None`` (or never set the parameter's ``.grad``)."""
        return self.type_name == "NoneType"

    @classmethod
    def none(cls) -> Returned:
        """``None``: no gradient."""
        return cls("NoneType")

    @classmethod
    def of(cls, value: Any) -> Returned:
        """Describe what ``backward`` returned (a Tensor or Parameter counts as its ``.data``).

        Runs ``np.asarray`` on the value: call it where the op runs.
        """
        if value is None:
            return cls.none()
        type_name = type(value).__name__
        data = getattr(value, "data", None) if type_name in ("Tensor", "Parameter") else value
        try:
            array = np.asarray(data)
        except Exception:  # a ragged list, an object NumPy refuses
            return cls(type_name)
        values = array.astype(np.float64) if array.dtype.kind in "biuf" else None
        return cls(type_name, array.dtype.name, tuple(int(n) for n in array.shape), values)


@dataclass(frozen=True)
class Differences:
    """Finite differences of ``Σ u ⊙ forward(x)`` for one slot and one upstream ``u``.

    Every array has the slot's shape; element ``k`` comes from perturbing
    element ``k`` of the slot by ``+h_k`` and ``−h_k`` (NaN where ``forward``
    raised or changed shape).

    Attributes
    ----------
    central : Σ u (f(x+h) − f(x−h))
    right : Σ u (f(x+h) − f(x))
    left : Σ u (f(x) − f(x−h))
    scale : Σ |u| (|f(x+h)| + |f(x−h)|) over the outputs that changed (the rounding scale)
    step_plus, step_minus : (x+h) − x and x − (x−h), as taken in floating point
    unit : float
        Machine epsilon of the dtype ``forward`` computed its output in.
    """

    central: np.ndarray
    right: np.ndarray
    left: np.ndarray
    scale: np.ndarray
    step_plus: np.ndarray
    step_minus: np.ndarray
    unit: float

    @classmethod
    def from_outputs(
        cls,
        upstream: np.ndarray,
        f0: np.ndarray,
        f_plus: list[np.ndarray | None],
        f_minus: list[np.ndarray | None],
        step_plus: np.ndarray,
        step_minus: np.ndarray,
        *,
        unit: float,
    ) -> Differences:
        """The record from full outputs (one per element; ``None`` where forward failed)."""
        shape = np.shape(step_plus)
        columns = [contract(upstream, f0, p, m) for p, m in zip(f_plus, f_minus)]
        stacked = np.array(columns, dtype=np.float64).reshape(-1, 4) if columns else np.zeros((0, 4))
        parts = [stacked[:, i].reshape(shape) for i in range(4)]
        return cls(*parts, np.asarray(step_plus, dtype=np.float64), np.asarray(step_minus, dtype=np.float64), unit)


@dataclass(frozen=True)
class Trial:
    """One ``backward`` on one upstream gradient, and the finite differences with that upstream.

    Attributes
    ----------
    upstream : numpy.ndarray
    error : str or None
        ``"TypeError: ..."`` when ``backward`` raised.
    where : str or None
        ``student.py:12``: the user's line where it raised.
    count : int or None
        How many argument gradients ``backward`` returned (``None`` when it raised).
    gradients : tuple of Returned
        One per slot (arguments, then parameters) when ``count`` is right.
    mutated_upstream : bool
        ``backward`` wrote into ``upstream_grad``.
    differences : tuple of (Differences or None)
        One per slot; ``None`` for a slot that was not perturbed (not float).
    """

    upstream: np.ndarray
    error: str | None = None
    where: str | None = None
    count: int | None = None
    gradients: tuple[Returned, ...] = ()
    mutated_upstream: bool = False
    differences: tuple[Differences | None, ...] = ()


@dataclass(frozen=True)
class Evidence:
    """Everything measured about one call of an op: the input of :func:`judge`.

    Attributes
    ----------
    label : str
        The op's name for messages.
    slots : tuple of Slot
        Arguments, then parameters.
    output : numpy.ndarray or None
        ``forward``'s output (float64 when float); ``None`` when it raised or was not numeric.
    output_type : str or None
        ``forward``'s output described (``"str"``, ``"complex128"``) when it is not a real array.
    forward_error, forward_where : str or None
        The exception ``forward`` raised, and the user's line.
    mutated_inputs : tuple of str
        Arguments ``forward`` modified in place.
    cast : tuple of str
        The dtypes of the arrays cast to float64 (one entry per array).
    trials : tuple of Trial
        One per upstream gradient, in order (the first is shown when all pass).
    """

    label: str
    slots: tuple[Slot, ...]
    output: np.ndarray | None = None
    output_type: str | None = None
    forward_error: str | None = None
    forward_where: str | None = None
    mutated_inputs: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()
    trials: tuple[Trial, ...] = ()


# -- the verdict --------------------------------------------------------------------------------
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
        See :mod:`graphviz_autodiff.debug`.
    analytic, numeric : numpy.ndarray or None
        What ``backward`` returned (as float64), and the central finite differences.
    max_abs_error, max_rel_error : float or None
        See :mod:`graphviz_autodiff.debug` (``None`` when not compared).
    factor : float or None
        c for ``diagnosis == "factor"`` (a ≈ c·n).
    other : str or None
        For ``diagnosis == "swapped"``: the argument whose gradient this is.
    note : str or None
        Why the argument was not checked, or which elements were skipped.
    got_shape : tuple of int or None
        The shape ``backward`` returned, when it is not the argument's.
    got_type : str or None
        What ``backward`` returned when it is not a real array (``"bool"``, ``"str"``...).
    data : bool
        The argument is a plain array the caller passed (see :class:`Slot`).
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
    got_type: str | None = None
    data: bool = False

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
    """What :func:`graphviz_autodiff.debug.gradcheck` (or :func:`judge`) found for one op.

    ``bool(result)`` is ``result.ok``, so ``assert gradcheck(op, x)`` works.

    Attributes
    ----------
    op : Differentiable or None
        The op that was checked (the caller's object, never modified; ``None``
        when judged from :class:`Evidence` alone).
    label : str
        Its ``name`` or class name.
    kind : str
        ``"ok"`` or the failure: ``"wrong_gradient"``, ``"wrong_type"``,
        ``"shape"``, ``"nonfinite_forward"``, ``"nonfinite_backward"``,
        ``"exception"``, ``"no_gradient"`` or ``"reuse"`` (forward modified its input).
    diagnosis : str or None
        The diagnosis of the failing gradient (:mod:`graphviz_autodiff.debug`).
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
    where : str or None
        ``student.py:12``: the user's line where the exception was raised.
    mutated_inputs : tuple of str
        Arguments ``forward`` modified in place.
    cast : tuple of str
        The dtypes of the arrays that were cast to float64 (one entry per array).
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
    where: str | None = None
    mutated_inputs: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()
    gradient_count: tuple[int, int] | None = None
    failing_record: ArgumentCheck | None = field(default=None, repr=False)
    output_type: str | None = None
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
    def cast_float32(self) -> int:
        """How many lower- or higher-precision float arrays were cast to float64."""
        return len(self.cast)

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
                diagnosis_text(a.diagnosis, a.factor, lang),
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


def judge(
    evidence: Evidence,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    eps: float = 1e-6,
    lang: str = "en",
) -> GradcheckResult:
    """The verdict on one op call from its :class:`Evidence` (no user code runs here).

    Parameters
    ----------
    evidence : Evidence
        What the measuring side recorded.
    rtol, atol : float
        The tolerances (:mod:`graphviz_autodiff.debug`).
    eps : float
        The relative finite-difference step that was used (recorded on the result).
    lang : {"en", "ru"}
        Language of the message.

    Returns
    -------
    GradcheckResult
        With ``op=None``; the caller may set it.
    """
    result = GradcheckResult(op=None, label=evidence.label, eps=eps, rtol=rtol, atol=atol, lang=lang)
    result.cast = tuple(evidence.cast)
    _judge_into(result, evidence)
    result.message = _message(result)
    return result


def _judge_into(result: GradcheckResult, evidence: Evidence) -> None:
    if evidence.forward_error is not None:
        result.kind, result.diagnosis = "exception", "forward"
        result.error, result.where = evidence.forward_error, evidence.forward_where
        return
    if evidence.output is None:
        result.kind, result.diagnosis = "wrong_type", "output_type"
        result.output_type = evidence.output_type or "?"
        return
    out = evidence.output
    result.output = out
    result.mutated_inputs = tuple(evidence.mutated_inputs)
    if out.dtype.kind == "f" and not np.isfinite(out).all():
        result.kind = "nonfinite_forward"
        result.error = describe_nonfinite(out)
        return
    n_args = sum(1 for s in evidence.slots if s.role == "argument")
    compared: list[tuple[np.ndarray, list[ArgumentCheck], bool]] = []
    for trial in evidence.trials:
        if trial.error is not None:
            result.kind, result.error, result.where = "exception", trial.error, trial.where
            result.upstream_grad = trial.upstream
            return
        if trial.count != n_args:
            result.kind, result.diagnosis = "exception", "gradient_count"
            result.gradient_count = (int(trial.count or 0), n_args)
            result.upstream_grad = trial.upstream
            return
        records = _records(evidence, trial, result.rtol, result.atol)
        compared.append((trial.upstream, records, trial.mutated_upstream))
    if not compared:
        result.kind, result.diagnosis = "exception", "forward"
        result.error = "no upstream gradient to compare with"
        return
    _diagnose_across(compared, evidence, result.rtol, result.atol)
    failing = [c for c in compared if _fails(c[1], c[2])]
    up, records, mutated_upstream = failing[0] if failing else compared[0]
    result.upstream_grad = up
    result.arguments = records
    _verdict(result, records, mutated_upstream)


def _fails(records: list[ArgumentCheck], mutated_upstream: bool) -> bool:
    return mutated_upstream or any(not r.ok for r in records)


def _records(evidence: Evidence, trial: Trial, rtol: float, atol: float) -> list[ArgumentCheck]:
    """One record per slot for one trial: compared with finite differences and diagnosed."""
    records = []
    numeric: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for slot, returned, diffs in zip(evidence.slots, trial.gradients, trial.differences):
        r = ArgumentCheck(
            name=slot.name,
            display=slot.display,
            role=slot.role,
            position=slot.position,
            shape=tuple(slot.shape),
            data=slot.data,
        )
        if diffs is not None:
            numeric[slot.key] = numeric_gradient(diffs)
        _fill(r, slot, returned, numeric.get(slot.key), rtol, atol)
        records.append(r)
    _diagnose(records, trial.upstream, numeric, {s.key: s.value for s in evidence.slots}, rtol, atol)
    return records


def _fill(
    r: ArgumentCheck,
    slot: Slot,
    returned: Returned,
    numeric: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    rtol: float,
    atol: float,
) -> None:
    """Classify what backward returned for one slot and compare it with the numeric gradient."""
    float_slot = _kind(slot.dtype) == "f"
    if not float_slot and slot.role == "argument":
        r.status, r.note = "not_checked", f"dtype {slot.dtype}"
        r.analytic = returned.values
        return
    if returned.is_none:
        if not slot.needs:
            r.status, r.note = "not_checked", "requires_grad=False"
            return
        r.status = "pending_none"
    elif returned.values is None or returned.dtype == "bool":
        r.status = "wrong_type"
        r.got_type = returned.type_name if returned.dtype in (None, "object") else returned.dtype
        r.diagnosis = _type_diagnosis(returned)
        r.got_shape = returned.shape
        return
    else:
        r.analytic = returned.values
        if returned.shape != tuple(slot.shape):
            r.status, r.got_shape = "shape", returned.shape
            return
        r.status = "pending"
    if numeric is None:  # pragma: no cover - every float slot is perturbed
        r.status = "not_checked"
        return
    values, noise, kinks = numeric
    compare(r, values, noise, kinks, rtol, atol)


def _kind(dtype: str) -> str:
    """The kind letter of a dtype name (``"?"`` for a name NumPy does not know)."""
    try:
        return np.dtype(dtype).kind
    except TypeError:
        return "?"


def _type_diagnosis(returned: Returned) -> str:
    dtype = returned.dtype or ""
    if dtype == "bool":
        return "boolean"
    if dtype.startswith("complex"):
        return "complex"
    if dtype.startswith(("str", "bytes")) or returned.type_name in ("str", "bytes"):
        return "string"
    return "not_numeric"


def _diagnose_across(
    compared: list[tuple[np.ndarray, list[ArgumentCheck], bool]], evidence: Evidence, rtol: float, atol: float
) -> None:
    """``ignores_upstream``: the gradient is the same for every upstream while the true one is not."""
    if len(compared) < 2:
        return
    for i, first in enumerate(compared[0][1]):
        column = [records[i] for _, records, _ in compared]
        if not any(r.status == "wrong_gradient" for r in column):
            continue
        if any(r.analytic is None or r.numeric is None for r in column) or not np.any(first.analytic):
            continue  # an all-zero gradient is diagnosed "zero"
        same_analytic = all(np.allclose(r.analytic, first.analytic, rtol=1e-12, atol=0.0) for r in column)
        moved = any(not np.allclose(r.numeric, first.numeric, rtol=10 * rtol, atol=atol) for r in column)
        if same_analytic and moved:
            for r in column:
                if r.status == "wrong_gradient":
                    r.diagnosis, r.factor, r.other = "ignores_upstream", None, None


# -- carrying Evidence over a pipe ----------------------------------------------------------------------
_CLASSES = {cls.__name__: cls for cls in (Slot, Returned, Differences, Trial, Evidence)}
_ARRAY_KINDS = "biuf"


def evidence_to_json(evidence: Evidence, arrays: dict[str, np.ndarray] | None = None) -> str:
    """Encode an :class:`Evidence` as JSON (arrays as dtype, shape and a flat list; NaN/Inf kept).

    Parameters
    ----------
    evidence : Evidence
    arrays : dict, optional
        When given, arrays are not written into the JSON: each is stored in this
        dict under a generated name (``"a0"``, ``"a1"``...) and the JSON holds
        ``{"__array__": dtype, "shape": [...], "ref": name}``, so that a sender
        can ship the arrays as raw bytes (the grader's result frames).
    """
    return json.dumps(_encode(evidence, arrays), allow_nan=True, separators=(",", ":"))


def evidence_from_json(text: str, arrays: dict[str, np.ndarray] | None = None) -> Evidence:
    """Decode :func:`evidence_to_json`'s output, building only this module's classes and numeric arrays.

    Parameters
    ----------
    text : str
    arrays : dict, optional
        The arrays an encoding with ``arrays=`` refers to, by name.

    Raises
    ------
    ValueError
        When the text is not a well-formed encoding of an :class:`Evidence`
        (a reference to a missing array, an array whose dtype or shape is not
        the one announced).
    """
    decoded = _decode(json.loads(text), arrays or {})
    if not isinstance(decoded, Evidence):
        raise ValueError(f"not an Evidence: {type(decoded).__name__}")
    return decoded


def _encode(value: Any, arrays: dict[str, np.ndarray] | None = None) -> Any:
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _ARRAY_KINDS:
            raise ValueError(f"cannot encode an array of dtype {value.dtype}")
        if arrays is not None:
            name = f"a{len(arrays)}"
            arrays[name] = value
            return {"__array__": value.dtype.name, "shape": list(value.shape), "ref": name}
        return {"__array__": value.dtype.name, "shape": list(value.shape), "data": value.ravel().tolist()}
    if type(value).__name__ in _CLASSES and not isinstance(value, type):
        return {
            "__class__": type(value).__name__,
            **{f.name: _encode(getattr(value, f.name), arrays) for f in fields(value)},
        }
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, arrays) for v in value]}
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError(f"cannot encode a {type(value).__name__}")


def _decode(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(value, dict):
        if "__array__" in value:
            return _decode_array(value, arrays)
        if "__tuple__" in value:
            return tuple(_decode(v, arrays) for v in value["__tuple__"])
        cls = _CLASSES.get(str(value.get("__class__")))
        if cls is None:
            raise ValueError(f"unknown record {value.get('__class__')!r}")
        names = {f.name for f in fields(cls)}
        extra = set(value) - names - {"__class__"}
        if extra:
            raise ValueError(f"{cls.__name__}: unknown fields {sorted(extra)}")
        return cls(**{k: _decode(v, arrays) for k, v in value.items() if k != "__class__"})
    if isinstance(value, list):
        raise ValueError("a bare list in an Evidence encoding")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError(f"unexpected {type(value).__name__}")  # pragma: no cover - json gives no other types


def _decode_array(value: dict[str, Any], arrays: dict[str, np.ndarray]) -> np.ndarray:
    dtype = np.dtype(str(value["__array__"]))
    if dtype.kind not in _ARRAY_KINDS:
        raise ValueError(f"refusing an array of dtype {dtype}")
    shape = tuple(int(n) for n in value["shape"])
    if "ref" not in value:
        return np.array(value["data"], dtype=dtype).reshape(shape)
    found = arrays.get(str(value["ref"]))
    if found is None:
        raise ValueError(f"missing array {value['ref']!r}")
    found = np.asarray(found)
    if found.dtype != dtype or found.shape != shape:
        raise ValueError(f"array {value['ref']!r} is {found.dtype}{found.shape}, announced {dtype}{shape}")
    return np.array(found)  # a writable copy
