"""cli.grade.verdicts: every verdict computed in the grader from the worker's numbers, forged reports refused."""

from __future__ import annotations

import dataclasses
import sys

import pytest

from graphviz_autodiff.cli.grade.assignment import default_assignment
from graphviz_autodiff.cli.grade.protocol import Frame
from graphviz_autodiff.cli.grade.replay import replay
from graphviz_autodiff.cli.grade.sandbox import Limits, run_sandboxed
from graphviz_autodiff.cli.grade.verdicts import (
    Judging,
    WorkerRun,
    judge_op,
    lecture_missing,
    lecture_report,
    read_frames,
    training_verdict,
)
from graphviz_autodiff.cli.grade.worker import worker_command
from graphviz_autodiff.debug import evidence_from_json, evidence_to_json

from . import classroom as cr

ASSIGNMENT = default_assignment()
LINEAR, IDENTITY, SQUARED, SUM = ASSIGNMENT.ops
FACTOR = cr.replace_backward("Squared", "        d = (self.mu - self.y) * upstream_grad\n        return d, -d\n")
DOUBLED = """
class Identity(Differentiable):
    def forward(self, z):
        return 2 * z

    def backward(self, upstream_grad):
        return 2 * upstream_grad
"""


def worker_frames(source: str):
    plan = ASSIGNMENT.plan(op_seconds=10.0)
    plan.update(deadline=50.0, script_seconds=10.0, eps=1e-6, node_checks=False)
    run = run_sandboxed(
        worker_command(sys.executable, plan, "main.py"),
        files={"main.py": source.encode()},
        timeout=60.0,
        limits=Limits(memory_mb=1024),
        mode="bwrap",
    )
    return run.frames


@pytest.fixture(scope="module")
def factor_run():
    return read_frames(worker_frames(cr.module(Squared=FACTOR)))


def test_read_frames_sorts_the_frames_and_ignores_malformed_ones():
    frames = [
        Frame("hello", {"python": "3.11"}),
        Frame("loaded", {"classes": ["Linear", "Sum"]}),
        Frame("loaded", {"classes": ["Forged"]}),
        Frame("running", {"op": "Linear"}),
        Frame("op", {"op": "Linear"}),
        Frame("running", {"op": "Sum"}),
        Frame("op", {"op": 3}),
        Frame("op", "not a dict"),
        Frame("node", {"id": "x"}),
        Frame("tampered", {"names": ["numpy.sum"]}),
        Frame("done"),
    ]
    run = read_frames(frames)
    assert run.started and run.done and run.classes == ("Linear", "Sum")
    assert list(run.ops) == ["Linear"] and run.running == "Sum"
    assert run.nodes == {} and run.tampered == ["numpy.sum"]
    assert lecture_missing(run) == ["Identity", "Squared"]
    assert lecture_missing(WorkerRun()) == ["Linear", "Identity", "Squared", "Sum"]


def test_ops_are_judged_from_the_workers_numbers(factor_run):
    results = [judge_op(spec, key, factor_run, Judging()).result for key, spec in enumerate(ASSIGNMENT.ops)]
    assert [(r.op, r.status, r.kind, r.points) for r in results] == [
        ("Linear", "pass", "ok", 1.0),
        ("Identity", "pass", "ok", 1.0),
        ("Squared", "fail", "wrong_gradient", 0.0),
        ("Sum", "pass", "ok", 1.0),
    ]
    squared = results[2]
    assert squared.diagnosis == "factor" and squared.max_rel_error == pytest.approx(0.5, rel=1e-6)
    assert squared.message == (
        "∂L/∂mu is too small by a constant factor: backward returns 0.5 × the correct gradient (a factor 2 is missing)"
    )
    assert results[0].max_rel_error < 1e-8


def test_a_report_measured_on_other_inputs_or_forged_is_refused(factor_run):
    (frame,) = factor_run.ops["Linear"]
    evidence = evidence_from_json(frame.data["evidence"], dict(frame.arrays))
    slots = list(evidence.slots)
    slots[0] = dataclasses.replace(slots[0], value=slots[0].value + 1.0)
    arrays: dict = {}
    text = evidence_to_json(dataclasses.replace(evidence, slots=tuple(slots)), arrays)
    run = WorkerRun(ops={"Linear": [Frame("op", {**frame.data, "evidence": text}, arrays)]})
    result = judge_op(LINEAR, 0, run, Judging()).result
    assert (result.status, result.kind) == ("fail", "inconsistent")
    assert "Linear" in result.message
    garbage = WorkerRun(ops={"Linear": [Frame("op", {"op": "Linear", "evidence": "{garbage"})]})
    assert judge_op(LINEAR, 0, garbage, Judging()).result.kind == "inconsistent"
    tampered = WorkerRun(ops={"Linear": [Frame("op", {"op": "Linear", "tampered": ["numpy.sum"]})]})
    assert judge_op(LINEAR, 0, tampered, Judging()).result.kind == "inconsistent"
    twice = WorkerRun(ops={"Sum": [Frame("op_error", {"op": "Sum", "stage": "missing"})] * 2})
    assert judge_op(SUM, 3, twice, Judging()).result.message == (
        "2 results for Sum arrived: something in the submission writes to the grader's channel"
    )


def test_a_passing_op_whose_forward_differs_from_its_reference_fails():
    run = read_frames(worker_frames(cr.module(Identity=DOUBLED)))
    assert IDENTITY.reference == "graphviz_autodiff.ops.Identity"
    result = judge_op(IDENTITY, 1, run, Judging()).result
    assert (result.status, result.kind, result.points) == ("fail", "wrong_forward", 0.0)
    assert result.message == (
        "Identity.forward computes another function than the lecture's (max rel. difference 1.0e+00)"
    )
    # Without a reference only the gradient check decides: its backward is consistent with its (wrong) forward.
    plain = judge_op(dataclasses.replace(IDENTITY, reference=None), 1, run, Judging()).result
    assert (plain.status, plain.kind) == ("pass", "ok")


@pytest.mark.parametrize(
    ("stage", "status", "kind", "message"),
    [
        ("missing", "error", "missing", "Sum is not defined in the submission"),
        ("abstract", "error", "missing", "Sum has no forward of its own"),
        ("timeout", "fail", "timeout", "Sum ran out of time (an infinite loop?) at cell 2, line 3"),
        ("init", "fail", "exception", "Sum(...) raised ValueError: bad at cell 2, line 3"),
        ("inputs", "fail", "exception", "building the inputs of Sum raised ValueError: bad at cell 2, line 3"),
        ("backward", "fail", "exception", "Sum raised ValueError: bad at cell 2, line 3"),
    ],
)
def test_op_errors_are_located_for_the_student(stage, status, kind, message):
    frame = Frame("op_error", {"op": "Sum", "stage": stage, "error": "ValueError: bad", "where": "main.py:7"})
    how = Judging(locate=lambda where: "cell 2, line 3" if where == "main.py:7" else where)
    result = judge_op(SUM, 3, WorkerRun(ops={"Sum": [frame]}), how).result
    assert (result.status, result.kind, result.message, result.points) == (status, kind, message, 0.0)


def test_an_unreported_op_is_a_timeout_or_says_why_the_run_stopped():
    assert judge_op(SUM, 3, WorkerRun(), Judging(timed_out=True, timeout=30)).result.message == (
        "no result for Sum: the submission ran out of time (30 s)"
    )
    result = judge_op(SUM, 3, WorkerRun(), Judging(ended="killed by signal 9")).result
    assert (result.kind, result.message) == (
        "not_reported",
        "no result for Sum: the submission stopped before reporting it (killed by signal 9)",
    )


@pytest.mark.parametrize(
    ("losses", "status", "kind", "message"),
    [
        ([3.0, 2.0, 1.0, 1.0, 1.0, 0.5], "pass", "ok", "the loss decreases from 3.0e+00 to 5.0e-01 in 5 steps"),
        (
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "fail",
            "loss_not_decreasing",
            "the loss does not decrease during training: 1.0e+00 → 6.0e+00",
        ),
        (
            [1.0, float("nan"), 1.0, 1.0, 1.0, 0.5],
            "fail",
            "loss_not_decreasing",
            "the loss becomes NaN or infinite during training (it started at 1.0e+00)",
        ),
        ([1.0, 0.5], "fail", "inconsistent", "the result for training is malformed (losses)"),
        ([1.0, 1.0, 1.0, 1.0, 1.0, 1.0], "fail", "loss_not_decreasing", None),
    ],
)
def test_training_verdict_from_the_loss_history(losses, status, kind, message):
    run = WorkerRun(train=[Frame("train", {"losses": losses, "error": None})])
    result = training_verdict(ASSIGNMENT.training, run, Judging()).result
    assert (result.status, result.kind) == (status, kind)
    assert result.points == (ASSIGNMENT.training.points if status == "pass" else 0.0)
    if message is not None:
        assert result.message == message


def test_training_without_its_frame_or_with_an_error():
    missing = training_verdict(ASSIGNMENT.training, WorkerRun(), Judging(), ["Sum"]).result
    assert (missing.status, missing.kind) == ("error", "missing")
    assert missing.message == "the lecture graph needs Linear, Identity, Squared and Sum; missing: Sum"
    crashed = WorkerRun(train=[Frame("train", {"losses": None, "error": "ValueError: x", "where": "main.py:3"})])
    assert training_verdict(ASSIGNMENT.training, crashed, Judging()).result.message == (
        "training the lecture graph raised ValueError: x at main.py:3"
    )


def test_verdicts_in_russian(factor_run):
    result = judge_op(SQUARED, 2, factor_run, Judging(lang="ru")).result
    assert result.message.startswith("∂L/∂mu меньше в постоянное число раз")
    assert judge_op(SUM, 3, WorkerRun(), Judging(lang="ru")).result.message != (
        judge_op(SUM, 3, WorkerRun(), Judging()).result.message
    )


def test_the_lecture_report_from_numbers_blames_squared_and_marks_what_inherits_its_error(factor_run):
    (frame,) = factor_run.graph
    replayed = replay(frame.data, dict(frame.arrays))
    verdicts = {spec.name: judge_op(spec, key, factor_run, Judging()) for key, spec in enumerate(ASSIGNMENT.ops)}
    report = lecture_report(factor_run, replayed, Judging(), verdicts)
    assert [(n.label, n.kind) for n in report.nodes] == [
        ("Sum", "ok"),
        ("Squared", "wrong_gradient"),
        ("Identity", "inherits_wrong"),
        ("Linear", "inherits_wrong"),
        ("y", "inherits_wrong"),
        ("θ", "inherits_wrong"),
        ("X", "inherits_wrong"),
    ]
    assert report.culprit.label == "Squared"
    for node in report.inherited:
        assert node.inherits_from == report.culprit.node
        assert node.received_error == pytest.approx(0.5, rel=1e-6)  # every gradient below Squared is half the truth


def test_without_node_frames_or_verdicts_the_op_calls_are_unchecked(factor_run):
    (frame,) = factor_run.graph
    report = lecture_report(factor_run, replay(frame.data, dict(frame.arrays)), Judging())
    assert {n.kind for n in report.nodes if n.role == "op"} == {"exception"}
