"""The grader's side of the worker's frames: every verdict, computed from numbers, in the parent.

Nothing here imports or runs a student's code. :func:`read_frames` sorts what
the worker sent (:mod:`.worker` lists the frames); :func:`judge_op` turns the
frames of one required op into an :class:`OpVerdict`; :func:`lecture_report`
rebuilds the debugger's :class:`~graphviz_autodiff.debug.Report` of the lecture
graph (for the picture and for ``check``); :func:`training_verdict` judges the
loss history.

What the grader checks besides the debugger's verdict
=====================================================
A hostile submission shares the worker's process: it can patch the checker,
write frames of its own into the result channel, or exit before the worker
reports. So for every op of the plan the grader

- accepts exactly one report: none is a failure (``not_reported``, or
  ``timeout`` when the run ran out of time), two or more are ``inconsistent``;
- draws the op's inputs and upstream gradients itself (the seeds of
  :mod:`.assignment`) and fails the op (``inconsistent``) when the report was
  measured on other ones;
- judges the raw numbers with :func:`~graphviz_autodiff.debug.judge`;
- when the op has a reference implementation and passes: runs the reference
  (trusted code) on the same inputs and parameter values, and fails the op
  when the student's output differs (``wrong_forward``) or when the finite
  differences the worker reported disagree with the reference's gradient
  (``inconsistent``: a forged report must then contain the right numbers,
  which is doing the homework).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphviz_autodiff import Parameter
from graphviz_autodiff.debug import (
    Evidence,
    GradcheckResult,
    NodeCheck,
    Report,
    evidence_from_json,
    format_error,
    judge,
    measure_call,
    random_streams,
)
from graphviz_autodiff.debug.graph_check import fill_record, mark_inherits_wrong, nearest_failing
from graphviz_autodiff.debug.truth import relative_error
from graphviz_autodiff.i18n import tr

from .assignment import (
    LECTURE_OPS,
    TRAINING_NAME,
    OpSpec,
    TrainingSpec,
    instantiate,
    make_inputs,
    resolve_reference,
)
from .protocol import Frame
from .reporters import OpResult

__all__ = [
    "GRADER_KINDS",
    "Judging",
    "OpVerdict",
    "WorkerRun",
    "judge_op",
    "lecture_report",
    "read_frames",
    "training_verdict",
]

#: Verdict kinds the grader adds to the debugger's (labelled by the catalogue's ``kind.*`` keys).
GRADER_KINDS = {
    "missing": "kind.missing",
    "not_reported": "kind.not_reported",
    "timeout": "kind.timeout",
    "wrong_forward": "kind.wrong_forward",
    "inconsistent": "kind.inconsistent",
    "library": "kind.library",
    "loss_not_decreasing": "kind.loss_not_decreasing",
}

_OUTPUT_RTOL = 1e-5


# -- sorting the frames ----------------------------------------------------------------------------------
@dataclass
class WorkerRun:
    """What the worker's frames say, sorted (nothing judged yet).

    Attributes
    ----------
    started
        A ``hello`` frame arrived (the worker ran and opened its channel).
    classes
        The Differentiable subclasses the script defines (``None``: no ``loaded`` frame).
    crash
        The script's exception, if any (``{"error", "where", "frames", "timeout"}``).
    ops
        ``op`` and ``op_error`` frames by op name, in arrival order.
    running
        The last op the worker announced and never reported.
    graph, nodes, truth
        The lecture graph's frames (``nodes`` by worker node id).
    train
        ``train`` frames.
    tampered
        What the script rebound in the checker at import (put back before any check).
    done
        A ``done`` frame arrived.
    """

    started: bool = False
    classes: tuple[str, ...] | None = None
    crash: dict[str, Any] | None = None
    ops: dict[str, list[Frame]] = field(default_factory=dict)
    running: str | None = None
    graph: list[Frame] = field(default_factory=list)
    nodes: dict[int, list[Frame]] = field(default_factory=dict)
    truth: list[Frame] = field(default_factory=list)
    train: list[Frame] = field(default_factory=list)
    tampered: list[str] = field(default_factory=list)
    done: bool = False


def read_frames(frames: Sequence[Frame]) -> WorkerRun:
    """Sort the frames of one run (malformed ones are ignored: they only make an op unreported)."""
    run = WorkerRun()
    for frame in frames:
        data = frame.data if isinstance(frame.data, dict) else {}
        kind = frame.kind
        if kind == "hello":
            run.started = True
        elif kind == "loaded" and run.classes is None:
            names = data.get("classes")
            run.classes = tuple(str(n) for n in names) if isinstance(names, list) else ()
        elif kind == "crash" and run.crash is None:
            run.crash = data
        elif kind == "running":
            run.running = str(data.get("op"))
        elif kind in ("op", "op_error") and isinstance(data.get("op"), str):
            run.ops.setdefault(data["op"], []).append(frame)
            if run.running == data["op"]:
                run.running = None
        elif kind == "graph":
            run.graph.append(frame)
        elif kind == "node" and isinstance(data.get("id"), int):
            run.nodes.setdefault(data["id"], []).append(frame)
        elif kind == "truth":
            run.truth.append(frame)
        elif kind == "train":
            run.train.append(frame)
        elif kind == "tampered" and isinstance(data.get("names"), list):
            run.tampered += [str(n) for n in data["names"]][:20]
        elif kind == "done":
            run.done = True
    return run


# -- judging one op -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Judging:
    """What the grader knows besides the frames.

    Attributes
    ----------
    seed
        The assignment's seed (the worker drew with the same).
    lang
        Language of the messages.
    locate
        ``"hw5.py:12"`` to what the student should read (``"cell 5, line 3"`` for a notebook).
    ended
        Why the worker stopped early, for messages (``"exit status 0"``, ``"killed by signal 9"``),
        or ``None`` when it finished.
    timed_out
        The run ran out of time (the ops it did not report count as ``timeout``).
    timeout
        The run's time limit in seconds.
    eps, rtol, atol
        The checker's settings.
    """

    seed: int = 0
    lang: str = "en"
    locate: Callable[[str], str] = str
    ended: str | None = None
    timed_out: bool = False
    timeout: float = 60.0
    eps: float = 1e-6
    rtol: float = 1e-5
    atol: float = 1e-8


@dataclass
class OpVerdict:
    """The verdict on one op: the report's row and, when judged, the debugger's full result."""

    result: OpResult
    check: GradcheckResult | None = None


def _row(spec: OpSpec, status: str, kind: str | None, message: str, max_rel_error: float | None = None) -> OpVerdict:
    points = spec.points if status == "pass" else 0.0
    return OpVerdict(OpResult(spec.name, status, kind, None, message, max_rel_error, points, spec.points))


def judge_op(spec: OpSpec, key: int, run: WorkerRun, how: Judging) -> OpVerdict:
    """The verdict on op ``spec`` (number ``key`` of the plan) from the worker's frames."""
    lang = how.lang
    frames = run.ops.get(spec.name, [])
    if len(frames) > 1:
        message = tr("grade.msg.duplicate", lang, op=spec.name, count=len(frames))
        return _row(spec, "fail", "inconsistent", message)
    if not frames:
        return _unreported(spec, run, how)
    frame = frames[0]
    data = frame.data
    if frame.kind == "op_error":
        return _op_error(spec, data, how)
    if data.get("tampered"):
        return _row(spec, "fail", "inconsistent", _tampered(spec.name, data["tampered"], lang))
    try:
        evidence = evidence_from_json(str(data.get("evidence")), dict(frame.arrays))
    except Exception as error:  # a forged or cut report
        return _row(spec, "fail", "inconsistent", tr("grade.msg.bad_evidence", lang, op=spec.name, detail=error))
    evidence = _localised(evidence, how.locate)
    if spec.inputs is not None and not _measured_on_our_inputs(spec, key, evidence, how.seed):
        return _row(spec, "fail", "inconsistent", tr("grade.msg.wrong_inputs", lang, op=spec.name))
    result = judge(evidence, rtol=how.rtol, atol=how.atol, eps=how.eps, lang=lang)
    if result.ok and spec.reference:
        problem = _against_reference(spec, key, evidence, how)
        if problem is not None:
            kind, message = problem
            return _row(spec, "fail", kind, message, max_rel_error=result.max_rel_error)
    status = "pass" if result.ok else "fail"
    return OpVerdict(
        OpResult(
            spec.name,
            status,
            result.kind,
            result.diagnosis,
            result.message,
            result.max_rel_error,
            spec.points if result.ok else 0.0,
            spec.points,
        ),
        result,
    )


def _unreported(spec: OpSpec, run: WorkerRun, how: Judging) -> OpVerdict:
    lang = how.lang
    if how.timed_out:
        return _row(
            spec, "fail", "timeout", tr("grade.msg.timeout_run", lang, op=spec.name, seconds=f"{how.timeout:g}")
        )
    why = how.ended or tr("grade.msg.no_reason", lang)
    return _row(spec, "fail", "not_reported", tr("grade.msg.not_reported", lang, op=spec.name, why=why))


def _tampered(op: str, names: Any, lang: str) -> str:
    listed = ", ".join(str(n) for n in names[:5]) if isinstance(names, list) else "?"
    return tr("grade.msg.tampered", lang, op=op, names=listed)


def _op_error(spec: OpSpec, data: Mapping[str, Any], how: Judging) -> OpVerdict:
    lang = how.lang
    stage = str(data.get("stage"))
    error = str(data.get("error") or "")
    where = how.locate(str(data["where"])) if data.get("where") else tr("grade.where.unknown", lang)
    op = spec.name
    if stage == "missing":
        return _row(spec, "error", "missing", tr("grade.msg.missing", lang, op=op))
    if stage == "not_differentiable":
        return _row(spec, "error", "missing", tr("grade.msg.not_differentiable", lang, op=op, got=error))
    if stage == "abstract":
        return _row(spec, "error", "missing", tr("grade.msg.abstract", lang, op=op))
    if stage == "library":
        return _row(spec, "error", "library", tr("grade.msg.library", lang, op=op, library=error))
    if stage == "timeout":
        return _row(spec, "fail", "timeout", tr("grade.msg.timeout_op", lang, op=op, where=where))
    if stage == "init":
        return _row(spec, "fail", "exception", tr("grade.msg.init", lang, op=op, error=error, where=where))
    if stage == "inputs":
        return _row(spec, "fail", "exception", tr("grade.msg.inputs", lang, op=op, error=error, where=where))
    return _row(spec, "fail", "exception", tr("grade.msg.exception", lang, op=op, error=error, where=where))


def _localised(evidence: Evidence, locate: Callable[[str], str]) -> Evidence:
    """The evidence with every ``file:line`` turned into what the student reads (cell and line)."""
    trials = tuple(dataclasses.replace(t, where=locate(t.where)) if t.where else t for t in evidence.trials)
    where = locate(evidence.forward_where) if evidence.forward_where else evidence.forward_where
    return dataclasses.replace(evidence, trials=trials, forward_where=where)


def expected_arguments(spec: OpSpec, key: int, seed: int) -> list[np.ndarray]:
    """The op's inputs as the grader draws them (the worker must have used the same)."""
    values = make_inputs(spec.inputs or (), random_streams(seed, key).inputs)
    return [np.asarray(v) for v in values]


def _measured_on_our_inputs(spec: OpSpec, key: int, evidence: Evidence, seed: int) -> bool:
    expected = expected_arguments(spec, key, seed)
    arguments = [s for s in evidence.slots if s.role == "argument"]
    if len(arguments) != len(expected):
        return False
    for slot, value in zip(arguments, expected):
        if tuple(slot.shape) != value.shape:
            return False
        if slot.value is not None and not np.array_equal(slot.value, value.astype(np.float64)):
            return False
    if evidence.output is None:
        return True
    upstream = random_streams(seed, key).upstream
    for trial in evidence.trials:
        drawn = upstream.standard_normal(evidence.output.shape)
        if trial.upstream.shape != drawn.shape or not np.array_equal(trial.upstream, drawn):
            return False
    return True


def _against_reference(spec: OpSpec, key: int, evidence: Evidence, how: Judging) -> tuple[str, str] | None:
    """``(kind, message)`` when the passing op disagrees with its reference, else ``None``."""
    lang = how.lang
    try:
        reference = instantiate(resolve_reference(str(spec.reference)), spec.init)
    except Exception as error:  # the TA's reference is broken (AssignmentError included): say so, do not pass
        return "inconsistent", tr("grade.msg.no_reference", lang, op=spec.name, error=error)
    student_params = [s for s in evidence.slots if s.role == "parameter"]
    reference_params = [(attr, p) for attr, p in vars(reference).items() if isinstance(p, Parameter)]
    if len(student_params) != len(reference_params):
        return None  # another parametrisation: the gradient check alone decides
    if spec.inputs is not None:  # already checked equal to the reported values (integers included)
        arrays = expected_arguments(spec, key, how.seed)
    else:
        arrays = [s.value if s.value is not None else np.zeros(s.shape) for s in evidence.slots if s.role == "argument"]
    values = {attr: slot.value for (attr, _), slot in zip(reference_params, student_params)}
    theirs = measure_call(
        reference,
        arrays,
        tuple(s.needs for s in evidence.slots if s.role == "argument"),
        values,
        upstreams=[t.upstream for t in evidence.trials],
        eps=how.eps,
        streams=random_streams(how.seed, key),
        label=spec.name,
        finite_differences=False,
    )
    if theirs.output is None or evidence.output is None or theirs.output.shape != evidence.output.shape:
        return "wrong_forward", tr("grade.msg.wrong_forward", lang, op=spec.name, rel="shape")
    scale = max(float(np.max(np.abs(theirs.output), initial=0.0)), 1.0)
    error = float(np.max(np.abs(theirs.output - evidence.output), initial=0.0)) / scale
    if not error <= _OUTPUT_RTOL:
        return "wrong_forward", tr("grade.msg.wrong_forward", lang, op=spec.name, rel=format_error(error))
    if len(theirs.trials) != len(evidence.trials) or any(t.count != len(arrays) for t in theirs.trials):
        return None
    hybrid = dataclasses.replace(
        evidence,
        trials=tuple(dataclasses.replace(t, gradients=r.gradients) for t, r in zip(evidence.trials, theirs.trials)),
    )
    if not judge(hybrid, rtol=how.rtol, atol=how.atol, eps=how.eps, lang=lang).ok:
        return "inconsistent", tr("grade.msg.inconsistent", lang, op=spec.name)
    return None


# -- training -------------------------------------------------------------------------------------------------
def training_verdict(spec: TrainingSpec, run: WorkerRun, how: Judging, missing: Sequence[str] = ()) -> OpVerdict:
    """The training check: the loss history must be finite and end below where it started."""
    lang = how.lang
    name = TRAINING_NAME
    points = spec.points

    def row(status: str, kind: str | None, message: str) -> OpVerdict:
        return OpVerdict(OpResult(name, status, kind, None, message, None, points if status == "pass" else 0.0, points))

    if len(run.train) > 1:
        return row("fail", "inconsistent", tr("grade.msg.duplicate", lang, op=name, count=len(run.train)))
    if not run.train:
        if missing:
            return row("error", "missing", tr("grade.msg.train_missing", lang, missing=", ".join(missing)))
        if how.timed_out:
            return row("fail", "timeout", tr("grade.msg.timeout_run", lang, op=name, seconds=f"{how.timeout:g}"))
        why = how.ended or tr("grade.msg.no_reason", lang)
        return row("fail", "not_reported", tr("grade.msg.not_reported", lang, op=name, why=why))
    data = run.train[0].data if isinstance(run.train[0].data, dict) else {}
    losses = data.get("losses")
    if data.get("tampered"):
        return row("fail", "inconsistent", _tampered(name, data["tampered"], lang))
    if data.get("error"):
        where = how.locate(str(data["where"])) if data.get("where") else tr("grade.where.unknown", lang)
        return row("fail", "exception", tr("grade.msg.train_error", lang, error=data["error"], where=where))
    if not isinstance(losses, list) or len(losses) != spec.steps + 1:
        return row("fail", "inconsistent", tr("grade.msg.bad_evidence", lang, op=name, detail="losses"))
    try:
        values = np.asarray(losses, dtype=np.float64)
    except (TypeError, ValueError):
        return row("fail", "inconsistent", tr("grade.msg.bad_evidence", lang, op=name, detail="losses"))
    first, last = format_error(float(values[0])), format_error(float(values[-1]))
    if not np.isfinite(values).all():
        return row("fail", "loss_not_decreasing", tr("grade.msg.train_nonfinite", lang, first=first))
    if not values[-1] < values[0]:
        return row("fail", "loss_not_decreasing", tr("grade.msg.train_up", lang, first=first, last=last))
    return row("pass", "ok", tr("grade.msg.train_ok", lang, first=first, last=last, steps=spec.steps))


def lecture_missing(run: WorkerRun) -> list[str]:
    """The lecture classes the script does not define (all of them when it defined nothing)."""
    defined = set(run.classes or ())
    return [name for name in LECTURE_OPS if name not in defined]


# -- the lecture graph as a debugger Report ----------------------------------------------------------------------
def lecture_report(
    run: WorkerRun, replayed: Any, how: Judging, verdicts: Mapping[str, OpVerdict] | None = None
) -> Report:
    """The debugger's :class:`~graphviz_autodiff.debug.Report` of the replayed graph, from the worker's numbers.

    One :class:`~graphviz_autodiff.debug.NodeCheck` per op call (backward
    order: its ``node`` frame judged, or, with ``verdicts``, the verdict of the
    op of its class: ``grade`` checks each op once, on the assignment's
    inputs) then per leaf (NaN/Inf in its value);
    a passing node whose recorded gradient differs from the ``truth`` frame is
    ``inherits_wrong``, from the nearest failing node nearer the loss. Node ids
    are the replayed graph's.
    """
    lang = how.lang
    G = replayed.graph.nx
    report = Report(graph=replayed.graph, lang=lang, eps=how.eps, rtol=how.rtol, atol=how.atol)
    for worker_id in replayed.calls:
        node = replayed.nodes[worker_id]
        attrs = G.nodes[node]
        record = NodeCheck(node=node, op=attrs["op"], label=str(attrs["label"]), call_index=attrs["call_index"])
        frames = run.nodes.get(worker_id, [])
        op_class = str(replayed.described[worker_id].get("op_class")) if replayed.described else ""
        if verdicts is not None and op_class in verdicts:
            _from_verdict(record, verdicts[op_class])
        elif len(frames) != 1:
            record.kind = "exception"
            record.message = tr("msg.check_failed", lang, error=tr("grade.msg.node_unreported", lang))
        elif frames[0].data.get("tampered"):
            record.kind = "exception"
            record.message = _tampered(record.label, frames[0].data["tampered"], lang)
        else:
            try:
                evidence = evidence_from_json(str(frames[0].data.get("evidence")), dict(frames[0].arrays))
                result = judge(_localised(evidence, how.locate), rtol=how.rtol, atol=how.atol, eps=how.eps, lang=lang)
                fill_record(record, result)
            except Exception as error:  # a forged node frame
                record.kind = "exception"
                record.message = tr("msg.check_failed", lang, error=f"{type(error).__name__}: {error}")
        report.cast += list(record.result.cast) if record.result is not None else []
        report.nodes.append(record)
    for worker_id in replayed.leaves:
        node = replayed.nodes[worker_id]
        attrs = G.nodes[node]
        record = NodeCheck(node=node, op=None, label=str(attrs["label"]), role=str(attrs["kind"]))
        what = tr(f"what.{record.role}", lang) if record.role in ("input", "parameter", "constant") else record.role
        value = np.asarray(attrs["value"])
        if value.dtype.kind in "fc" and not np.isfinite(value).all():
            from graphviz_autodiff.util import describe_nonfinite

            record.kind = "nonfinite_forward"
            record.message = tr("msg.leaf_nonfinite", lang, what=what, count=describe_nonfinite(value, lang))
        else:
            record.message = tr("msg.leaf_ok", lang, what=what)
        report.nodes.append(record)
    for index, record in enumerate(report.nodes):
        record.index = index
    _mark_inherited(report, run, replayed)
    return report


def _from_verdict(record: NodeCheck, verdict: OpVerdict) -> None:
    if verdict.check is not None and verdict.result.kind == verdict.check.kind:
        fill_record(record, verdict.check)
        return
    row = verdict.result
    record.kind = "ok" if row.status == "pass" else (row.kind or "exception")
    record.diagnosis, record.message, record.max_rel_error = row.diagnosis, row.message, row.max_rel_error


def _mark_inherited(report: Report, run: WorkerRun, replayed: Any) -> None:
    """``inherits_wrong`` for passing nodes whose recorded gradient is not the true one (the ``truth`` frame)."""
    if len(run.truth) != 1 or not any(n.kind not in ("ok", "inherits_wrong") for n in report.nodes):
        return
    if (run.truth[0].data or {}).get("tampered"):
        return
    truth = run.truth[0].arrays
    G = replayed.graph.nx
    by_node = {record.node: record for record in report.nodes}
    worker_of = {node: worker_id for worker_id, node in replayed.nodes.items()}
    for record in report.nodes:
        if record.kind != "ok" or record.node is None:
            continue
        true = truth.get(f"t{worker_of.get(record.node)}")
        got = G.nodes[record.node]["grad"]
        if true is None or got is None:
            continue
        got, true = np.asarray(got, dtype=np.float64), np.asarray(true, dtype=np.float64)
        if got.shape != true.shape:
            continue
        error = relative_error(got, true, report.rtol, report.atol)
        if error is None:
            continue
        source = nearest_failing(record.node, G.successors, by_node)
        mark_inherits_wrong(record, error, source, report.lang)
