"""Command line: ``python -m graphviz_autodiff <command> ...``.

Commands
--------
check PATH [--out FILE] [--lang en|ru] [--timeout S]
    Gradient-check every op a student's file defines (see
    :mod:`graphviz_autodiff.cli_check`).
demo
    Write the lecture's diagrams (not wired yet).
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a command; return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["check"]:  # its own parser handles everything after the command, -h included
        from .cli_check import main as check_main

        return check_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m graphviz_autodiff")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    check = commands.add_parser(
        "check", add_help=False, help="gradient-check the ops of a student's file (check -h for options)"
    )
    check.add_argument("args", nargs=argparse.REMAINDER)
    commands.add_parser("demo", help="write the lecture's diagrams")
    try:
        parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    print("demo: not wired yet")
    return 2


if __name__ == "__main__":
    sys.exit(main())
