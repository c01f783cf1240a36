"""``python -m graphviz_autodiff grade``: the command line of the grader.

Usage::

    python -m graphviz_autodiff grade SUBMISSIONS --out OUT [--jobs N] [--timeout S] [--memory-mb M]
        [--lang en|ru] [--gradescope] [--assignment assignment.toml] [--sandbox auto|bwrap|fallback]
        [--single] [--no-graphs]
    python -m graphviz_autodiff grade --make-gradescope-bundle autograder.zip [--assignment assignment.toml]

``SUBMISSIONS`` is a course export (one entry per student: ``.py``, ``.ipynb``,
folder or ``.zip``; Moodle, Canvas and Gradescope layouts), or with
``--single`` one student's files (Gradescope's ``/autograder/submission``).
What lands in ``OUT`` is listed in :mod:`.reporters`; how each submission is
run and judged in :mod:`.grader`; the ``assignment.toml`` schema in
:mod:`.assignment`; the bundle in :mod:`.bundle`.

Progress goes to stderr (a tqdm bar on a terminal), the summary to stdout.
Exit status: 0 when the class was graded (whatever the students' results),
2 on a usage error (no such folder, a bad ``assignment.toml``, ``--sandbox
bwrap`` where bubblewrap cannot run...).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from graphviz_autodiff.i18n import LANGS, tr

from .assignment import Assignment, AssignmentError, default_assignment, load_assignment

__all__ = ["EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK, EXIT_USAGE = 0, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m graphviz_autodiff grade",
        description="Grade a class of autodiff submissions (.py, .ipynb, folders, zips), each in a sandbox.",
    )
    parser.add_argument("submissions", nargs="?", help="the folder of submissions (one entry per student)")
    parser.add_argument("--out", help="the output folder (reports for every student and the class)")
    parser.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: CPU count)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per submission (default 60)")
    parser.add_argument("--memory-mb", type=int, default=None, help="memory per submission in MB (default 1024)")
    parser.add_argument("--lang", choices=LANGS, default="en", help="language of the reports")
    parser.add_argument("--gradescope", action="store_true", help="also write Gradescope's results.json")
    parser.add_argument("--assignment", help="assignment.toml: the ops, their points and inputs")
    parser.add_argument(
        "--sandbox",
        choices=("auto", "bwrap", "fallback"),
        default="auto",
        help="auto: bubblewrap when it works, else the fallback (reports say so); bwrap: refuse to grade without it",
    )
    parser.add_argument("--single", action="store_true", help="SUBMISSIONS holds one student's files (Gradescope)")
    parser.add_argument("--no-graphs", action="store_true", help="do not draw graph.svg (faster)")
    parser.add_argument("--make-gradescope-bundle", metavar="ZIP", help="write a Gradescope autograder zip and stop")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``grade`` command; return the exit status (0 graded, 2 usage error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse printed the usage error (or the help)
        return int(exit_.code or 0) and EXIT_USAGE
    lang = args.lang
    try:
        assignment = load_assignment(args.assignment) if args.assignment else default_assignment()
    except AssignmentError as error:
        return _usage(str(error))
    if args.make_gradescope_bundle:
        from .bundle import make_bundle

        path = make_bundle(args.make_gradescope_bundle, assignment_path=args.assignment, lang=lang)
        print(tr("grade.cli.bundle_written", lang, path=path))
        return EXIT_OK
    problem = _check_arguments(args, assignment)
    if problem:
        return _usage(problem)
    return _grade(args, assignment)


def _usage(message: str) -> int:
    print(f"grade: {message}", file=sys.stderr)
    return EXIT_USAGE


def _check_arguments(args: argparse.Namespace, assignment: Assignment) -> str | None:
    lang = args.lang
    if not args.submissions:
        return tr("grade.cli.no_submissions", lang)
    root = Path(args.submissions)
    if not root.is_dir():
        return tr("grade.cli.not_a_folder", lang, path=root)
    if not args.out:
        return tr("grade.cli.no_out", lang)
    out = Path(args.out).resolve()
    if out == root.resolve() or root.resolve() in out.parents:
        return tr("grade.cli.out_inside", lang, out=args.out, path=root)
    if args.jobs is not None and args.jobs < 1:
        return "--jobs must be at least 1"
    timeout = args.timeout if args.timeout is not None else assignment.timeout
    if timeout is not None and not timeout > 0:
        return "--timeout must be positive"
    memory = args.memory_mb if args.memory_mb is not None else assignment.memory_mb
    if memory is not None and memory < 64:
        return "--memory-mb must be at least 64"
    if args.sandbox == "bwrap":
        from .sandbox import probe_bwrap

        probe = probe_bwrap()
        if not probe.ok:
            return tr("grade.cli.no_bwrap", lang, reason=probe.reason)
    return None


def _grade(args: argparse.Namespace, assignment: Assignment) -> int:
    from .grader import GradeOptions, grade_class

    lang = args.lang
    options = GradeOptions(
        timeout=args.timeout or assignment.timeout or 60.0,
        memory_mb=args.memory_mb or assignment.memory_mb or 1024,
        jobs=args.jobs or os.cpu_count() or 1,
        lang=lang,
        sandbox=args.sandbox,
        draw=not args.no_graphs,
    )
    bar = _Progress(lang)
    try:
        summary = grade_class(
            args.submissions,
            args.out,
            assignment,
            options,
            gradescope=args.gradescope,
            single=args.single,
            on_start=bar.start,
            progress=bar.update,
        )
    finally:
        bar.close()
    counts = {status: sum(1 for r in summary.results if r.status == status) for status in ("pass", "fail")}
    counts |= {status: sum(1 for r in summary.results if r.status == status) for status in ("error", "timeout")}
    print(
        tr(
            "grade.cli.summary",
            lang,
            n=len(summary.results),
            seconds=f"{summary.seconds:.1f}",
            n_pass=counts["pass"],
            n_fail=counts["fail"],
            n_error=counts["error"],
            n_timeout=counts["timeout"],
        )
    )
    exposed = [r for r in summary.results if not r.isolated]
    if exposed:
        print(tr("grade.cli.not_isolated", lang, n=len(exposed), description=exposed[0].isolation), file=sys.stderr)
    for name, reason in summary.ignored:
        print(tr("grade.cli.ignored", lang, name=name, reason=reason), file=sys.stderr)
    print(tr("grade.cli.report", lang, path=summary.written["index"]))
    return EXIT_OK


class _Progress:
    """A tqdm bar on stderr when it is a terminal (nothing otherwise)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.bar: Any = None

    def start(self, total: int) -> None:
        try:
            from tqdm import tqdm
        except ImportError:  # the progress bar is a comfort, not a requirement
            return
        self.bar = tqdm(
            total=total, unit="sub", desc=tr("grade.cli.progress", self.lang), file=sys.stderr, disable=None
        )

    def update(self, result: Any) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"{result.student[:24]}: {result.status}", refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
