"""Command line: ``python -m graphviz_autodiff <command> ...``.

The top layer of the project: it may import the core and ``viz``; nothing
imports it.

Commands
--------
demo [--out DIR] [--lang en ru]
    Write the lecture's diagrams (SVG, PDF, PNG), figures and HTML
    walk-through into DIR (default ``build/lecture``); needs the ``viz``
    extra and Graphviz's ``dot``.
check PATH [--out FILE] [--lang en|ru] [--timeout S]
    Gradient-check every op a student's file defines (see
    :mod:`graphviz_autodiff.cli.check`).
grade SUBMISSIONS --out OUT [--jobs N] [--timeout S] [--memory-mb M] [--lang en|ru] [--gradescope] [--assignment A]
    Grade a class of submissions, each in a sandbox, into per-student and
    class reports; ``grade --make-gradescope-bundle autograder.zip`` writes a
    Gradescope autograder (see :mod:`graphviz_autodiff.cli.grade`).
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a command; return its exit status (0 ok, 1 failure, 2 usage error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["check"]:  # its own parser handles everything after the command, -h included
        from .check import main as check_main

        return check_main(argv[1:])
    if argv[:1] == ["grade"]:
        from .grade.command import main as grade_main

        return grade_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m graphviz_autodiff")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    check = commands.add_parser(
        "check", add_help=False, help="gradient-check the ops of a student's file (check -h for options)"
    )
    check.add_argument("args", nargs=argparse.REMAINDER)
    grade = commands.add_parser(
        "grade", add_help=False, help="grade a class of submissions in sandboxes (grade -h for options)"
    )
    grade.add_argument("args", nargs=argparse.REMAINDER)
    demo = commands.add_parser("demo", help="write the lecture's diagrams, figures and HTML walk-through")
    demo.add_argument("--out", default="build/lecture", help="output folder (default: build/lecture)")
    demo.add_argument(
        "--lang", nargs="+", choices=("en", "ru"), default=["en", "ru"], help="languages (default: en ru)"
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    from .demo import main as demo_main

    return demo_main(args.out, args.lang)
