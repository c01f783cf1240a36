"""The ``check`` command: gradient-check every op a student's file defines.

Usage::

    python -m graphviz_autodiff check path/to/student_ops.py [--out report.svg] [--lang ru] [--timeout 60]

What it does
============
It shares the grader's engine (:mod:`graphviz_autodiff.cli.grade`): the
student's code runs only in the sandboxed worker, and every verdict is
computed here, from the numbers the worker sends.

1. Runs the worker (:mod:`~graphviz_autodiff.cli.grade.worker`) on a copy of
   the file (and of the ``.py`` files beside it, which it may import) under
   bubblewrap, or the grader's fallback (:mod:`~graphviz_autodiff.cli.grade.sandbox`),
   so an infinite loop or a crash in the student's code is reported, not
   inherited: after ``--timeout`` seconds the worker dumps the stack
   (:mod:`faulthandler`) and stops, and the report says which line of the
   student's file was running.
2. The worker finds every :class:`~graphviz_autodiff.Differentiable` subclass
   *defined* in that file (``cls.__module__`` is the file's module; imported
   classes and base classes without a ``forward`` of their own are skipped) and
   measures each on generated inputs (below); this process judges them with
   :func:`~graphviz_autodiff.debug.judge`, as
   :func:`~graphviz_autodiff.debug.gradcheck` would.
3. When the file defines ``Linear``, ``Identity``, ``Squared`` and ``Sum``, the
   worker builds the lecture-5 graph with them,
   ``Sum(Squared(Identity(Linear(4)(X)), y))`` with X of shape (8, 4) and y of
   shape (8,), runs its backward pass and measures every node; this process
   rebuilds the debugger's :class:`~graphviz_autodiff.debug.Report` (verdict
   per node, culprit, inherited wrong gradients) and names the first culprit.
4. Prints the tables and, with ``--out``, draws the graph coloured by the
   report with ``viz.save`` (the lecture graph, else one call of every op),
   from the numbers the worker sent (:mod:`~graphviz_autodiff.cli.grade.replay`).

Exit status: 0 when every check passes, 1 when any fails (a timeout and a
crash of the student's file count as failures), 2 on a usage error (no such
file, not a ``.py`` file, no Differentiable subclass in it).

Inputs for each op
==================
An op class may declare how to build and call it:

``check_init``
    A tuple of positional arguments or a dict of keyword arguments for the
    constructor (``check_init = (4,)``, ``check_init = {"p": 0.5}``). Without
    it the class is built with no arguments (the lecture's ``Linear`` with
    ``Linear(4)``); a constructor that needs arguments is reported as
    "cannot instantiate: define check_init".

``check_inputs``
    One entry per argument of ``forward``: a shape tuple (a float64 array of
    that shape drawn from a standard normal), an array (used as given: integer
    labels, positive values for ``log``), or a number (a constant). It may be
    a list attribute (``check_inputs = [(8, 3), (3,)]``) or a classmethod or
    staticmethod taking a :class:`numpy.random.Generator` and returning that
    list (``return [rng.uniform(0.5, 2.0, size=(3, 4))]``).

Without ``check_inputs`` every argument is a float64 array of shape (3, 4)
(standard normal from the inputs stream of seed :data:`INPUT_SEED`; the
upstream gradients come from an independent stream), one per positional argument of ``forward`` (one
for ``*args``); the lecture's classes get the lecture's shapes: ``Linear``
(8, 4), ``Identity`` and ``Sum`` (8,), ``Squared`` (8,) and (8,).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..i18n import LANGS, tr

__all__ = ["DEFAULT_SHAPE", "EXIT_FAIL", "EXIT_OK", "EXIT_USAGE", "INPUT_SEED", "LECTURE_DEFAULTS", "main"]

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

#: Shape of each default input.
DEFAULT_SHAPE = (3, 4)

#: Seed of the generated inputs and of the gradient checks. Inputs come from the ``inputs`` stream of
#: ``graphviz_autodiff.debug.random_streams(INPUT_SEED)`` and the upstream gradients from its ``upstream``
#: stream: independent, so no generated input equals an upstream gradient.
INPUT_SEED = 0

#: Constructor arguments and input shapes used for the lecture's classes when they declare none.
LECTURE_DEFAULTS: dict[str, dict[str, Any]] = {
    "Linear": {"init": (4,), "inputs": [(8, 4)]},
    "Identity": {"inputs": [(8,)]},
    "Squared": {"inputs": [(8,), (8,)]},
    "Sum": {"inputs": [(8,)]},
}

_LECTURE = ("Linear", "Identity", "Squared", "Sum")
_GRACE = 10.0  # seconds the sandbox waits beyond --timeout before killing the worker itself
_SIBLINGS = 50  # .py files beside the student's file copied into the sandbox, at most
_SIBLING_BYTES = 2 << 20


# -- the parent: argument parsing, the sandboxed worker, printing -----------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m graphviz_autodiff check",
        description="Gradient-check every Differentiable op defined in a student's Python file.",
    )
    parser.add_argument("path", help="the student's .py file")
    parser.add_argument("--out", help="write the coloured graph here (.svg, .png, .pdf, .dot)")
    parser.add_argument("--lang", choices=LANGS, default="en", help="language of the report")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before the student's code is stopped")
    parser.add_argument("--eps", type=float, default=1e-6, help="finite-difference step")
    parser.add_argument("--rtol", type=float, default=1e-5, help="relative tolerance")
    parser.add_argument("--atol", type=float, default=1e-8, help="absolute tolerance")
    parser.add_argument("--json", dest="json_path", help="also write the result as JSON here")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``check`` command; return the exit status (0 pass, 1 fail, 2 usage error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse printed the usage error
        return int(exit_.code or 0) and EXIT_USAGE
    lang = args.lang
    path = Path(args.path)
    if not path.is_file():
        print(tr("cli.not_found", lang, path=path), file=sys.stderr)
        return EXIT_USAGE
    if path.suffix != ".py":
        print(tr("cli.not_python", lang, path=path), file=sys.stderr)
        return EXIT_USAGE
    if args.timeout <= 0:
        print("--timeout must be positive", file=sys.stderr)
        return EXIT_USAGE
    outcome = _check(path.resolve(), args)
    text, code = _summarise(outcome, path, lang)
    print(text)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(outcome, indent=1, default=_json_default), encoding="utf-8")
    return code


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _files(path: Path) -> dict[str, Path]:
    """The student's file and the ``.py`` files beside it (it may import them), by name."""
    files = {path.name: path}
    for sibling in sorted(path.parent.glob("*.py"))[:_SIBLINGS]:
        try:
            if sibling.is_file() and not sibling.is_symlink() and sibling.stat().st_size <= _SIBLING_BYTES:
                files.setdefault(sibling.name, sibling)
        except OSError:
            continue
    return files


def _check(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run the worker on the file in the sandbox and judge what it sent."""
    from .grade.sandbox import Limits, run_sandboxed
    from .grade.verdicts import Judging, read_frames
    from .grade.worker import worker_command

    plan = {
        "mode": "check",
        "seed": INPUT_SEED,
        "eps": args.eps,
        "lecture": list(_LECTURE),
        "train": None,
        "overview": bool(args.out),
        "stop_on_crash": True,
        "deadline": args.timeout,
    }
    run = run_sandboxed(
        worker_command(sys.executable, plan, path.name),
        files=_files(path),
        timeout=args.timeout + _GRACE,
        limits=Limits(memory_mb=2048),
    )
    frames = read_frames(run.frames)
    how = Judging(seed=INPUT_SEED, lang=args.lang, eps=args.eps, rtol=args.rtol, atol=args.atol)
    if ("Timeout (" in run.stderr and not frames.done) or run.timed_out:
        where = _student_frame(run.stderr, path, args.lang)
        return {"status": "timeout", "where": where or frames.running, "seconds": args.timeout}
    if frames.crash is not None:
        return {"status": "crash", "error": _crash_text(frames.crash, args.lang)}
    if not frames.done:
        return {"status": "died", "returncode": run.exit_code, "stderr": run.stderr[-2000:]}
    if not frames.classes:
        return {"status": "no_ops"}
    return _judged(frames, how, args)


_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<func>\S+)')


def _student_frame(dump: str, path: Path, lang: str) -> str | None:
    """``student.py:12 in backward``: the innermost frame of the student's file in a faulthandler dump."""
    for match in _FRAME.finditer(dump):  # faulthandler lists the innermost frame first
        if Path(match["file"]).name == path.name:
            return tr("cli.frame", lang, file=path.name, line=match["line"], function=match["func"])
    return None


def _crash_text(crash: dict[str, Any], lang: str) -> str:
    """The exception and the student's lines it went through (the last three)."""
    frames = [
        tr("cli.frame", lang, file=f[0], line=f[1], function=f[2])
        for f in crash.get("frames") or []
        if isinstance(f, list) and len(f) == 3
    ]
    error = str(crash.get("error", "?"))
    return tr("cli.traceback", lang, error=error, frames=", ".join(frames[-3:])) if frames else error


def _judged(frames: Any, how: Any, args: argparse.Namespace) -> dict[str, Any]:
    from .grade.replay import ReplayError, replay
    from .grade.verdicts import lecture_report

    lang = args.lang
    classes = list(frames.classes)
    rows = [_row(name, frames, how) for name in classes]
    lecture = graph = report = None
    if len(frames.graph) == 1:
        data = frames.graph[0].data or {}
        if "nodes" in data:
            try:
                replayed = replay(data, dict(frames.graph[0].arrays), name=tr("cli.lecture_graph", lang))
                graph, report = replayed.graph, lecture_report(frames, replayed, how)
            except ReplayError:
                graph = report = None
        is_lecture = all(name in classes for name in _LECTURE)
        if is_lecture and "nodes" in data and report is not None:
            lecture = report.to_dict()
            culprit = report.culprit
            lecture["culprit_label"] = None if culprit is None else culprit.label
        elif is_lecture:
            message = tr("cli.forward_raised", lang, error=data.get("error", "?"), where=data.get("where") or "?")
            lecture = {"ok": False, "text": message, "culprit": None, "nodes": []}
            graph = report = None
    drawing = _draw(graph, report, args.out, lang) if args.out else None
    ok = all(row["status"] != "fail" for row in rows) and (lecture is None or lecture["ok"])
    text = _text(Path(args.path), rows, lecture, drawing, ok, classes, lang)
    return {"status": "done", "ok": ok, "ops": rows, "lecture": lecture, "drawing": drawing, "text": text}


def _row(name: str, frames: Any, how: Any) -> dict[str, Any]:
    """One op's row, judged from its frame."""
    from ..debug import evidence_from_json, judge

    lang = how.lang
    row: dict[str, Any] = {"op": name, "status": "fail", "kind": None, "diagnosis": None, "argument": None}
    row.update(max_rel_error=None, max_abs_error=None, message="", where=None, factor=None)
    reported = frames.ops.get(name, [])
    if len(reported) != 1:
        row.update(kind="exception", message=tr("grade.msg.duplicate", lang, op=name, count=len(reported)))
        return row
    frame = reported[0]
    data = frame.data
    if frame.kind == "op_error":
        stage, error = data.get("stage"), str(data.get("error") or "")
        if stage == "abstract":
            row.update(status="skipped", message=tr("cli.abstract", lang))
        elif stage == "init":
            row.update(kind="exception", message=tr("cli.cannot_instantiate", lang, error=error))
        elif stage == "inputs":
            row.update(kind="exception", message=tr("cli.bad_inputs", lang, error=error))
        else:
            where = data.get("where") or "?"
            row.update(kind="exception", message=tr("grade.msg.exception", lang, op=name, error=error, where=where))
        return row
    try:
        evidence = evidence_from_json(str(data.get("evidence")), dict(frame.arrays))
    except Exception as error:  # a report the file forged or cut
        row.update(kind="exception", message=tr("grade.msg.bad_evidence", lang, op=name, detail=error))
        return row
    result = judge(evidence, rtol=how.rtol, atol=how.atol, eps=how.eps, lang=lang)
    row.update(
        where=result.where,
        factor=result.factor,
        status="ok" if result.ok else "fail",
        kind=result.kind,
        diagnosis=result.diagnosis,
        argument=result.argument,
        max_rel_error=result.max_rel_error,
        max_abs_error=result.max_abs_error,
        message=result.message,
    )
    if result.kind == "nonfinite_forward" and not data.get("declares_inputs"):
        row["message"] += "; " + tr("cli.hint_inputs", lang)
    return row


def _summarise(outcome: dict[str, Any], path: Path, lang: str) -> tuple[str, int]:
    """The text to print and the exit status."""
    status = outcome.get("status")
    if status == "no_ops":
        return tr("cli.no_ops", lang, path=path), EXIT_USAGE
    if status == "crash":
        return tr("cli.crash", lang, error=outcome.get("error", "?")), EXIT_FAIL
    if status == "timeout":
        lines = [tr("cli.timeout", lang, seconds=f"{outcome.get('seconds', 0):g}")]
        if outcome.get("where"):
            lines.append(tr("cli.timeout_where", lang, where=outcome["where"]))
        return "\n".join(lines), EXIT_FAIL
    if status != "done":
        lines = [tr("cli.crash_exit", lang, code=outcome.get("returncode"))]
        if outcome.get("stderr"):
            lines.append(outcome["stderr"].rstrip())
        return "\n".join(lines), EXIT_FAIL
    return outcome["text"], EXIT_OK if outcome["ok"] else EXIT_FAIL


def _draw(graph: Any, report: Any, out: str, lang: str) -> dict[str, Any]:
    if graph is None:
        return {"written": False, "message": tr("cli.svg_unavailable", lang, why=tr("cli.svg_no_graph", lang))}
    try:
        import viz

        save = viz.save
    except (ImportError, AttributeError) as error:
        why = f"the viz package is not available ({type(error).__name__}: {error})"
        return {"written": False, "message": tr("cli.svg_unavailable", lang, why=why)}
    try:
        path = save(graph, out, report=report, lang=lang)
    except Exception as error:
        why = f"{type(error).__name__}: {error}"
        return {"written": False, "message": tr("cli.svg_unavailable", lang, why=why)}
    return {"written": True, "path": str(path), "message": tr("cli.svg_written", lang, path=path)}


def _text(
    path: Path,
    rows: list[dict[str, Any]],
    lecture: dict[str, Any] | None,
    drawing: dict[str, Any] | None,
    ok: bool,
    classes: list[str],
    lang: str,
) -> str:
    from ..debug import diagnosis_text, format_error, format_table

    headers = [tr(f"col.{c}", lang) for c in ("op", "kind", "diagnosis", "argument", "rel", "abs", "message")]
    cells = [
        [
            row["op"],
            "-" if row["status"] == "skipped" else tr(f"kind.{row['kind'] or 'exception'}", lang),
            diagnosis_text(row["diagnosis"], row["factor"], lang),
            row["argument"] or "",
            format_error(row["max_rel_error"]),
            format_error(row["max_abs_error"]),
            row["message"],
        ]
        for row in rows
    ]
    lines = [tr("cli.ops_title", lang, path=path.name), format_table(headers, cells), ""]
    if lecture is not None:
        lines += [tr("cli.lecture_title", lang), lecture["text"], ""]
    else:
        missing = [name for name in _LECTURE if name not in classes]
        lines += [tr("cli.no_lecture", lang, missing=", ".join(missing or _LECTURE)), ""]
    if drawing is not None:
        lines.append(drawing["message"])
    checked = [row for row in rows if row["status"] != "skipped"] + ([lecture] if lecture is not None else [])
    n_failed = sum(1 for row in rows if row["status"] == "fail") + (0 if lecture is None or lecture["ok"] else 1)
    if ok:
        lines.append(tr("cli.summary_ok", lang, n=len(checked)))
    else:
        lines.append(tr("cli.summary_fail", lang, n_failed=n_failed, n=len(checked)))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
