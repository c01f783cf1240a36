"""Grade a class: collect, run a sandboxed worker per submission in parallel, judge in the parent, report.

:func:`grade_class` is the ``grade`` command without its argument parsing;
:func:`grade_submission` grades one student. For each submission:

1. :func:`.collect.prepare` reads its files (a broken zip or notebook is that
   student's ``error``, with the reason);
2. :func:`.sandbox.run_sandboxed` runs :mod:`.worker` on it under bubblewrap
   (or the documented fallback) with the time and memory limits: the worker
   sends raw numbers;
3. :mod:`.verdicts` judges every op from those numbers, here, in the grader;
4. the lecture graph, when the worker sent one, is recorded again from its
   numbers (:mod:`.replay`) and drawn by :mod:`viz`, coloured by its report
   (``graph.svg``);
5. :func:`.reporters.write_reports` writes ``OUT`` once every student is graded.

A student's status is ``timeout`` when the run ran out of time, ``pass``
when every check passed, ``error`` when nothing could be checked (the files
could not be read, the worker never reported the script, or every op is
missing), else ``fail``. Scores are the points of the passing checks
(:mod:`.assignment`).

The grader itself never runs student code, and a problem of the grader with
one submission (an unexpected exception) becomes that student's ``error``
with a note; the class goes on.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from graphviz_autodiff.i18n import tr

from .assignment import Assignment
from .collect import Prepared, Submission, SubmissionError, collect, collect_gradescope_submission, prepare
from .reporters import OpResult, StudentResult, write_reports
from .sandbox import Limits, SandboxResult, run_sandboxed
from .verdicts import Judging, OpVerdict, WorkerRun, judge_op, lecture_missing, lecture_report, read_frames
from .verdicts import training_verdict as judge_training
from .worker import worker_command

__all__ = ["GradeOptions", "GradeSummary", "draw", "grade_class", "grade_submission", "submissions_of"]

_WATCHDOG_MARK = "Timeout ("  # the first words of faulthandler's dump_traceback_later


@dataclass(frozen=True)
class GradeOptions:
    """How to run and report the submissions.

    Attributes
    ----------
    timeout
        Wall-clock seconds per submission.
    memory_mb
        Address-space limit per submission.
    jobs
        Submissions run at once.
    lang
        Language of every report.
    sandbox
        ``"auto"``, ``"bwrap"`` (refuse to grade without bubblewrap) or ``"fallback"``.
    draw
        Write ``graph.svg`` (needs :mod:`viz` and Graphviz's ``dot``).
    python
        The interpreter the worker runs with.
    eps, rtol, atol
        The checker's settings.
    """

    timeout: float = 60.0
    memory_mb: int = 1024
    jobs: int = 1
    lang: str = "en"
    sandbox: str = "auto"
    draw: bool = True
    python: str = field(default_factory=lambda: sys.executable)
    eps: float = 1e-6
    rtol: float = 1e-5
    atol: float = 1e-8

    @property
    def op_seconds(self) -> float:
        """Time budget of one op inside the worker."""
        return max(1.0, min(20.0, self.timeout / 4))

    @property
    def script_seconds(self) -> float:
        """Time budget of the student's script (module level, notebook cells) inside the worker."""
        return max(1.0, self.timeout / 2)

    @property
    def deadline(self) -> float:
        """When the worker's watchdog dumps its stack and exits (seconds after its start)."""
        return max(0.5, self.timeout - min(2.0, self.timeout / 5))


@dataclass(frozen=True)
class GradeSummary:
    """What :func:`grade_class` did.

    Attributes
    ----------
    results
        One per student, sorted by id.
    written
        The files :func:`.reporters.write_reports` wrote.
    seconds
        Wall time of the whole grading.
    ignored
        Top-level entries that are not submissions, with the reason.
    """

    results: tuple[StudentResult, ...]
    written: dict[str, Path]
    seconds: float
    ignored: tuple[tuple[str, str], ...] = ()


def submissions_of(root: Path, *, single: bool = False) -> tuple[list[Submission], tuple[tuple[str, str], ...]]:
    """The submissions under ``root``: a class export, or (``single``) one student's files (Gradescope)."""
    if single:
        return [collect_gradescope_submission(root)], ()
    found = collect(root)
    return list(found.submissions), tuple(found.ignored)


def grade_class(
    root: os.PathLike[str] | str,
    out: os.PathLike[str] | str,
    assignment: Assignment,
    options: GradeOptions,
    *,
    gradescope: bool = False,
    single: bool = False,
    on_start: Callable[[int], None] | None = None,
    progress: Callable[[StudentResult], None] | None = None,
) -> GradeSummary:
    """Grade every submission under ``root`` into ``out``.

    Parameters
    ----------
    root
        The class export (or, with ``single``, one student's folder).
    out
        The output folder.
    assignment
        What to check.
    options
        How to run and report.
    gradescope
        Also write Gradescope's ``results.json``.
    single
        ``root`` holds one student's files (Gradescope's ``/autograder/submission``).
    on_start
        Called with the number of submissions once they are found.
    progress
        Called with each student's result as it is ready (from the calling thread).
    """
    start = time.monotonic()
    submissions, ignored = submissions_of(Path(root), single=single)
    if on_start is not None:
        on_start(len(submissions))
    results: list[StudentResult] = []
    with ThreadPoolExecutor(max_workers=max(1, options.jobs), thread_name_prefix="grade") as pool:
        futures = [pool.submit(grade_submission, s, assignment, options) for s in submissions]
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            if progress is not None:
                progress(result)
    labels = {"training": tr("grade.training", options.lang)}
    written = write_reports(
        results,
        out,
        lang=options.lang,
        gradescope=gradescope,
        ops=assignment.check_names,
        title=assignment.name,
        labels=labels,
    )
    ordered = tuple(sorted(results, key=lambda r: (r.student.casefold(), r.student)))
    return GradeSummary(ordered, written, time.monotonic() - start, ignored)


def grade_submission(submission: Submission, assignment: Assignment, options: GradeOptions) -> StudentResult:
    """Grade one submission (never raises: a grader problem becomes the student's ``error``)."""
    start = time.monotonic()
    try:
        return _grade(submission, assignment, options, start)
    except Exception as error:  # a bug of the grader with this submission: the class goes on
        note = tr("grade.note.internal", options.lang, error=f"{type(error).__name__}: {error}")
        return _error_result(submission, assignment, note, start)


def _checks(assignment: Assignment) -> list[tuple[str, float]]:
    checks = [(op.name, op.points) for op in assignment.ops]
    if assignment.training is not None:
        checks.append(("training", assignment.training.points))
    return checks


def _error_row(name: str, points: float, message: str) -> OpResult:
    return OpResult(name, "error", None, None, message, None, 0.0, points)


def _error_result(submission: Submission, assignment: Assignment, note: str, start: float) -> StudentResult:
    """The result of a submission that could not be graded: every check an ``error`` row saying ``note``."""
    ops = [_error_row(name, points, note) for name, points in _checks(assignment)]
    return StudentResult(
        submission.student,
        submission.display_name,
        "error",
        0.0,
        assignment.max_score,
        ops,
        seconds=time.monotonic() - start,
        notes=(note,),
    )


def _grade(submission: Submission, assignment: Assignment, options: GradeOptions, start: float) -> StudentResult:
    lang = options.lang
    names = [op.name for op in assignment.ops]
    try:
        prepared = prepare(submission, main_names=assignment.main_names, required=names or ("Linear",))
    except SubmissionError as error:
        return _error_result(submission, assignment, error.message(lang), start)
    plan = assignment.plan(op_seconds=options.op_seconds)
    plan.update(
        deadline=options.deadline, script_seconds=options.script_seconds, eps=options.eps, node_checks=False, lang=lang
    )
    run = run_sandboxed(
        worker_command(options.python, plan, prepared.main),
        files=prepared.files,
        timeout=options.timeout,
        limits=Limits(memory_mb=options.memory_mb),
        mode=options.sandbox,
    )
    frames = read_frames(run.frames)
    how = _judging(run, frames, prepared, assignment, options)
    verdicts = [judge_op(spec, key, frames, how) for key, spec in enumerate(assignment.ops)]
    if assignment.training is not None:
        missing = lecture_missing(frames) if frames.classes is not None or frames.done else []
        verdicts.append(judge_training(assignment.training, frames, how, missing if frames.done else []))
    by_op = {spec.name: verdict for spec, verdict in zip(assignment.ops, verdicts)}
    svg = _drawing(frames, how, options, submission.display_name, by_op) if options.draw else None
    ops = [v.result for v in verdicts]
    status = _status(how, frames, ops)
    score = sum(op.points for op in ops)
    return StudentResult(
        submission.student,
        submission.display_name,
        status,
        score,
        assignment.max_score,
        ops,
        isolation=run.isolation.describe(options.lang),
        seconds=run.wall_seconds,
        notes=_notes(run, frames, prepared, how),
        graph_svg=svg,
        isolated=run.isolation.isolated,
    )


def _judging(
    run: SandboxResult, frames: WorkerRun, prepared: Prepared, assignment: Assignment, options: GradeOptions
) -> Judging:
    watchdog = not frames.done and _WATCHDOG_MARK in run.stderr
    timed_out = run.timed_out or watchdog
    ended = None
    if not frames.done and not timed_out:
        ended = _how_it_ended(run, options.lang)
    return Judging(
        seed=assignment.seed,
        lang=options.lang,
        locate=_locator(prepared, options.lang),
        ended=ended,
        timed_out=timed_out,
        timeout=options.timeout,
        eps=options.eps,
        rtol=options.rtol,
        atol=options.atol,
    )


def _how_it_ended(run: SandboxResult, lang: str) -> str:
    if run.signal is not None:
        return tr("grade.ended.signal", lang, signal=run.signal)
    if run.protocol_error:
        return tr("grade.ended.protocol", lang, error=run.protocol_error)
    return tr("grade.ended.exit", lang, code=run.exit_code)


def _locator(prepared: Prepared, lang: str) -> Callable[[str], str]:
    """``"hw5.py:12"`` → ``"cell 5, line 3"`` for the notebook's script; other places unchanged."""
    script = PurePosixPath(prepared.main).name

    def locate(where: str) -> str:
        file, _, line = str(where).rpartition(":")
        if prepared.line_map is None or file != script or not line.isdigit():
            return str(where)
        return prepared.locate(int(line), lang)

    return locate


def _status(how: Judging, frames: WorkerRun, ops: Sequence[OpResult]) -> str:
    if how.timed_out:
        return "timeout"
    if ops and all(op.status == "pass" for op in ops):
        return "pass"
    if frames.classes is None or all(op.status == "error" for op in ops):
        return "error"
    return "fail"


def _notes(run: SandboxResult, frames: WorkerRun, prepared: Prepared, how: Judging) -> tuple[str, ...]:
    """What the TA should know beyond the verdicts: the run's events first, then how the files were read."""
    lang = how.lang
    notes = []
    crash = frames.crash
    if crash is not None:
        where = how.locate(str(crash["where"])) if crash.get("where") else tr("grade.where.unknown", lang)
        if crash.get("timeout"):
            notes.append(tr("grade.note.script_timeout", lang, where=where))
        else:
            notes.append(tr("grade.note.crash", lang, error=str(crash.get("error", "?")), where=where))
    if frames.tampered:
        notes.append(tr("grade.note.tampered", lang, names=", ".join(frames.tampered[:5])))
    if not frames.started:
        notes.append(tr("grade.note.no_worker", lang, ended=_how_it_ended(run, lang)))
        tail = run.stderr.strip().splitlines()[-3:]
        notes += [line[:300] for line in tail]
    if run.protocol_error:
        notes.append(tr("grade.ended.protocol", lang, error=run.protocol_error))
    notes += list(run.notes)
    # "cells run as hw5.py" is left out: every place is already given as "cell 5, line 3"
    notes += [note.text(lang) for note in prepared.notes if note.key != "note.converted"]
    return tuple(notes)


# -- the picture ---------------------------------------------------------------------------------------------
def _drawing(
    frames: WorkerRun, how: Judging, options: GradeOptions, title: str, verdicts: dict[str, OpVerdict]
) -> str | None:
    """The lecture graph drawn from the worker's numbers, coloured by its report (``None`` when there is none)."""
    if len(frames.graph) != 1 or "nodes" not in (frames.graph[0].data or {}):
        return None
    from .replay import ReplayError, replay

    frame = frames.graph[0]
    try:
        replayed = replay(frame.data, dict(frame.arrays), name=tr("cli.lecture_graph", how.lang))
        report = lecture_report(frames, replayed, how, verdicts)
    except ReplayError:
        return None
    return draw(replayed.graph, report, options.lang, title)


def draw(graph: Any, report: Any, lang: str, title: str | None = None) -> str | None:
    """SVG of ``graph`` coloured by ``report`` (``None`` when :mod:`viz` or Graphviz cannot draw it)."""
    try:
        import warnings

        import viz

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return viz.to_svg(graph, report=report, lang=lang, legend="present", title=title, timeout=20.0)
    except Exception:  # no viz, no dot, a layout that failed: the report stands without a picture
        return None
