"""cli.grade.worker: the real worker under bubblewrap sends raw numbers (hello, ops, graph, truth, train, done)."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from graphviz_autodiff.cli.grade.assignment import default_assignment
from graphviz_autodiff.cli.grade.sandbox import Limits, run_sandboxed
from graphviz_autodiff.cli.grade.verdicts import expected_arguments
from graphviz_autodiff.cli.grade.worker import BOOTSTRAP, OpTimeout, worker_command
from graphviz_autodiff.debug import evidence_from_json, random_streams

from . import classroom as cr

ASSIGNMENT = default_assignment()


def run_worker(source: str, *, op_seconds: float = 10.0, script_seconds: float = 10.0, **plan_extra):
    plan = ASSIGNMENT.plan(op_seconds=op_seconds)
    plan.update(deadline=50.0, script_seconds=script_seconds, eps=1e-6, node_checks=False, **plan_extra)
    run = run_sandboxed(
        worker_command(sys.executable, plan, "main.py"),
        files={"main.py": source.encode()},
        timeout=60.0,
        limits=Limits(memory_mb=1024),
        mode="bwrap",
    )
    return run, run.frames


def kinds(frames):
    return [f.kind for f in frames]


@pytest.fixture(scope="module")
def honest():
    return run_worker(cr.module(prelude="print('hello from the student')\n"))


def test_worker_command_is_python_with_the_bootstrap_the_plan_and_the_script():
    command = worker_command("/usr/bin/python3", {"mode": "grade", "ops": []}, "main.py")
    assert command == ["/usr/bin/python3", "-c", BOOTSTRAP, '{"mode":"grade","ops":[]}', "main.py"]
    assert "main(sys.argv[1:])" in BOOTSTRAP
    assert issubclass(OpTimeout, BaseException) and not issubclass(OpTimeout, Exception)


def test_an_honest_submission_sends_every_frame_in_order(honest):
    run, frames = honest
    assert run.exit_code == 0 and run.isolation.isolated
    assert run.stdout == "hello from the student\n"
    # node_checks=False (as grade runs it): no per-call "node" frames, the ops are checked once each.
    assert kinds(frames) == ["hello", "loaded", *["running", "op"] * 4, "graph", "truth", "train", "done"]
    loaded = frames[1].data["classes"]
    assert loaded == ["Linear", "Identity", "Squared", "Sum", "ReLU", "Dense", "AddBias"]
    ops = [f.data["op"] for f in frames if f.kind == "op"]
    assert ops == ["Linear", "Identity", "Squared", "Sum"]


def test_the_evidence_is_measured_on_the_graders_own_draw_of_the_inputs(honest):
    _, frames = honest
    for frame in (f for f in frames if f.kind == "op"):
        key = frame.data["key"]
        spec = ASSIGNMENT.ops[key]
        evidence = evidence_from_json(frame.data["evidence"], dict(frame.arrays))
        arguments = [s for s in evidence.slots if s.role == "argument"]
        for slot, expected in zip(arguments, expected_arguments(spec, key, ASSIGNMENT.seed), strict=True):
            np.testing.assert_array_equal(slot.value, expected)
        upstream = random_streams(ASSIGNMENT.seed, key).upstream
        for trial in evidence.trials:
            np.testing.assert_array_equal(trial.upstream, upstream.standard_normal(evidence.output.shape))
    squared = next(f for f in frames if f.kind == "op" and f.data["op"] == "Squared")
    evidence = evidence_from_json(squared.data["evidence"], dict(squared.arrays))
    mu, y = (s.value for s in evidence.slots)
    np.testing.assert_allclose(evidence.output, (mu - y) ** 2)
    trial = evidence.trials[0]
    np.testing.assert_allclose(trial.gradients[0].values, 2 * (mu - y) * trial.upstream)


def test_the_training_frame_holds_the_loss_history_of_gradient_descent(honest):
    from graphviz_autodiff.cli.grade.assignment import training_data

    _, frames = honest
    (train,) = [f for f in frames if f.kind == "train"]
    losses = train.data["losses"]
    X, y = training_data(0)
    theta = np.linspace(-1.0, 1.0, 4)  # the classroom's Linear starts there
    expected = []
    for _ in range(ASSIGNMENT.training.steps + 1):
        residual = X @ theta - y
        expected.append(float(np.sum(residual**2)))
        theta = theta - ASSIGNMENT.training.lr * X.T @ (2 * residual)
    np.testing.assert_allclose(losses, expected, rtol=1e-10)
    assert train.data["error"] is None


def test_a_missing_op_and_a_crashing_script_are_reported_not_fatal():
    source = cr.module(Sum=None, tail="raise RuntimeError('boom at the end')\n")
    run, frames = run_worker(source)
    assert run.exit_code == 0 and kinds(frames)[-1] == "done"
    (crash,) = [f for f in frames if f.kind == "crash"]
    assert crash.data["error"] == "RuntimeError: boom at the end"
    assert crash.data["where"] == f"main.py:{source.count(chr(10))}"
    errors = {f.data["op"]: f.data["stage"] for f in frames if f.kind == "op_error"}
    assert errors == {"Sum": "missing"}
    assert [f.data["op"] for f in frames if f.kind == "op"] == ["Linear", "Identity", "Squared"]
    assert not [f for f in frames if f.kind in ("graph", "train")]  # no lecture graph without Sum


def test_an_endless_backward_costs_only_its_op():
    endless = cr.replace_backward("Identity", "        while True:\n            pass\n")
    run, frames = run_worker(cr.module(Identity=endless), op_seconds=1.0)
    assert run.exit_code == 0 and not run.timed_out
    errors = {f.data["op"]: f.data["stage"] for f in frames if f.kind == "op_error"}
    assert errors["Identity"] == "timeout"
    assert {f.data["op"] for f in frames if f.kind == "op"} == {"Linear", "Squared", "Sum"}
    assert kinds(frames)[-1] == "done"


def test_the_plan_is_json_the_worker_reads():
    plan = ASSIGNMENT.plan(op_seconds=3.0)
    assert json.loads(json.dumps(plan)) == plan
    assert [op["name"] for op in plan["ops"]] == ["Linear", "Identity", "Squared", "Sum"]


CHECK_PLAN = {"mode": "check", "seed": 0, "eps": 1e-6, "lecture": None, "train": None, "stop_on_crash": True}


def run_check(source: str):
    run = run_sandboxed(
        worker_command(sys.executable, {**CHECK_PLAN, "deadline": 30}, "main.py"),
        files={"main.py": source.encode()},
        timeout=40.0,
        limits=Limits(memory_mb=1024),
        mode="bwrap",
    )
    return run.frames


def test_check_mode_measures_every_class_the_script_defines():
    frames = run_check(cr.HEADER + cr.CORRECT["ReLU"] + cr.CORRECT["Squared"])
    assert kinds(frames) == ["hello", "loaded", "running", "op", "running", "op", "done"]
    ops = [(f.data["op"], f.data["key"]) for f in frames if f.kind == "op"]
    assert ops == [("ReLU", 0), ("Squared", 1)]
    shapes = {
        f.data["op"]: [s.shape for s in evidence_from_json(f.data["evidence"], dict(f.arrays)).slots]
        for f in frames
        if f.kind == "op"
    }
    assert shapes == {"ReLU": [(3, 4)], "Squared": [(8,), (8,)]}  # the default shape, the lecture's for Squared


def test_stop_on_crash_reports_the_crash_and_checks_nothing():
    source = cr.HEADER + cr.CORRECT["ReLU"] + "raise SystemExit(3)\n"
    frames = run_check(source)
    assert kinds(frames) == ["hello", "crash", "loaded", "done"]
    assert frames[1].data["error"] == "SystemExit: 3"
    assert frames[1].data["where"] == f"main.py:{source.count(chr(10))}"
    assert frames[2].data["classes"] == ["ReLU"]


def test_patches_of_the_checker_at_import_are_undone_and_reported():
    from graphviz_autodiff.cli.grade.verdicts import Judging, judge_op, read_frames

    prelude = (
        "import graphviz_autodiff.debug.numeric as _numeric\n"
        "_numeric.compare = lambda *args, **kwargs: None\n"
        "np.allclose = lambda *args, **kwargs: True\n"
    )
    factor = cr.replace_backward("Squared", "        d = (self.mu - self.y) * upstream_grad\n        return d, -d\n")
    _, frames = run_worker(cr.module(prelude=prelude, Squared=factor))
    (tampered,) = [f for f in frames if f.kind == "tampered"]
    assert tampered.data == {"when": "script", "names": ["graphviz_autodiff.debug.numeric.compare", "numpy.allclose"]}
    result = judge_op(ASSIGNMENT.ops[2], 2, read_frames(frames), Judging()).result
    assert (result.status, result.kind, result.diagnosis) == ("fail", "wrong_gradient", "factor")  # still caught


def test_the_librarys_errors_come_in_the_reports_language():
    wrong_shape = "        return (2 * (self.mu - self.y) * upstream_grad).sum(), None\n"
    source = cr.module(Squared=cr.replace_backward("Squared", wrong_shape))

    def graph_errors(frames):
        graph = next(f for f in frames if f.kind == "graph")
        return [node["error"] for node in graph.data["nodes"] if node.get("error")]

    english_frames = run_worker(source)[1]
    english = graph_errors(english_frames)
    russian = graph_errors(run_worker(source, lang="ru")[1])
    # no student frame in the traceback (the engine found the wrong shape after backward returned): the place is
    # the definition of the backward that returned it
    graph = next(f for f in english_frames if f.kind == "graph")
    lines = source.splitlines()
    squared = cr.line_of(source, "class Squared")
    definition = next(i for i in range(squared, len(lines) + 1) if "def backward" in lines[i - 1])
    assert [node["where"] for node in graph.data["nodes"] if node.get("error")] == [f"main.py:{definition}"]
    train = next(f for f in english_frames if f.kind == "train")  # loss.backward() raised: the error names its op
    assert train.data["error"].startswith("ShapeRuleError: Squared.backward returned a gradient of shape ()")
    assert train.data["where"] == f"main.py:{definition}"
    assert english == [
        "ShapeRuleError: Squared.backward returned a gradient of shape () for argument 0 (mu), which has shape (8,). "
        "Every gradient must have the shape of its argument."
    ]
    assert russian == [
        "ShapeRuleError: Squared.backward вернул градиент формы () для аргумента 0 (mu), а у аргумента форма (8,). "
        "Каждый градиент должен иметь форму своего аргумента."
    ]
