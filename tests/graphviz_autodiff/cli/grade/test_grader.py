"""cli.grade.grader: a class graded for real (bubblewrap): statuses, scores, notes, reports, and no grader crash."""

from __future__ import annotations

import json

import pytest

from graphviz_autodiff.cli.grade import grader
from graphviz_autodiff.cli.grade.assignment import default_assignment
from graphviz_autodiff.cli.grade.grader import GradeOptions, grade_class, grade_submission, submissions_of

from . import classroom as cr

FACTOR = cr.replace_backward("Squared", "        d = (self.mu - self.y) * upstream_grad\n        return d, -d\n")
# Swallows the alarm that stops the script: only the watchdog (the run's deadline) ends it.
STUBBORN = "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass\n"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grader")
    folder = root / "class"
    folder.mkdir()
    (folder / "ann.py").write_text(cr.module())
    (folder / "bob.ipynb").write_text(cr.notebook_of_ops(Squared=FACTOR)[0])
    (folder / "cid.py").write_text(STUBBORN)
    (folder / "dan.zip").write_bytes(b"not a zip")
    (folder / "eve.py").write_text("import numpy as np\n")
    (folder / "notes.txt").write_text("not a submission")
    options = GradeOptions(timeout=6.0, jobs=2, draw=True, sandbox="bwrap")
    summary = grade_class(folder, root / "out", default_assignment(), options)
    return summary, {r.student: r for r in summary.results}, root / "out"


def test_options_budget_the_time_of_ops_script_and_watchdog():
    options = GradeOptions(timeout=60.0)
    assert (options.op_seconds, options.script_seconds, options.deadline) == (15.0, 30.0, 58.0)
    short = GradeOptions(timeout=2.0)
    assert (short.op_seconds, short.script_seconds, short.deadline) == (1.0, 1.0, 1.6)
    assert GradeOptions(timeout=200.0).op_seconds == 20.0


def test_submissions_of_a_class_and_what_is_ignored(tmp_path):
    (tmp_path / "ann.py").write_text("x = 1\n")
    (tmp_path / "readme.txt").write_text("hi")
    found, ignored = submissions_of(tmp_path)
    assert [s.student for s in found] == ["ann"]
    assert ignored == (("readme.txt", "not a submission (.txt)"),)


def test_every_students_status_and_score(graded):
    summary, by_student, _ = graded
    assert [r.student for r in summary.results] == ["ann", "bob", "cid", "dan", "eve"]
    assert {s: (r.status, r.score, r.max_score) for s, r in by_student.items()} == {
        "ann": ("pass", 5.0, 5.0),
        "bob": ("fail", 4.0, 5.0),
        "cid": ("timeout", 0.0, 5.0),
        "dan": ("error", 0.0, 5.0),
        "eve": ("error", 0.0, 5.0),
    }
    squared = next(op for op in by_student["bob"].ops if op.op == "Squared")
    assert (squared.status, squared.kind, squared.diagnosis, squared.points) == ("fail", "wrong_gradient", "factor", 0)
    assert {op.kind for op in by_student["eve"].ops} == {"missing"}
    assert all(r.isolated for r in summary.results)
    assert summary.ignored == (("notes.txt", "not a submission (.txt)"),)


def test_notes_say_why_a_submission_could_not_be_graded(graded):
    _, by_student, _ = graded
    assert by_student["dan"].notes == ("dan.zip is not a readable zip archive: BadZipFile: File is not a zip file",)
    assert {op.message for op in by_student["dan"].ops} == {by_student["dan"].notes[0]}
    assert {op.kind for op in by_student["cid"].ops} == {"timeout"}


def test_the_lecture_graph_is_drawn_for_a_student_whose_graph_ran(graded):
    _, by_student, out = graded
    assert by_student["ann"].graph_svg is not None and "<svg" in by_student["ann"].graph_svg
    assert (out / "ann" / "graph.svg").is_file()
    assert by_student["dan"].graph_svg is None


def test_reports_are_written_for_the_class(graded):
    summary, _, out = graded
    assert set(summary.written) == {f"student:{s}" for s in ("ann", "bob", "cid", "dan", "eve")} | {
        "summary",
        "junit",
        "index",
    }
    report = json.loads((out / "bob" / "report.json").read_text(encoding="utf-8"))
    assert (report["student"], report["status"], report["score"]) == ("bob", "fail", 4.0)


def test_a_grader_problem_with_one_submission_becomes_that_students_error(monkeypatch, tmp_path):
    (tmp_path / "ann.py").write_text(cr.module())
    (submission,), _ = submissions_of(tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("sandbox exploded")

    monkeypatch.setattr(grader, "run_sandboxed", broken)
    result = grade_submission(submission, default_assignment(), GradeOptions(draw=False))
    assert (result.status, result.score) == ("error", 0.0)
    assert result.notes == ("internal error of the grader with this submission: RuntimeError: sandbox exploded",)
    assert {op.status for op in result.ops} == {"error"}
