"""``python -m graphviz_autodiff.i18n``: regenerate the template, update the catalogues, compile them (Babel).

Without options it does all three steps in order (``make i18n`` runs this);
``--extract``, ``--update``, ``--compile`` do only the steps named.
``--init LANG`` starts the catalogue of a new language; ``--import-table FILE``
copies the messages of an old Python table (``EN``/``RU`` dictionaries) into
the catalogues; ``--check`` changes nothing and exits with 1 when a file is
out of date or a message is untranslated.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m graphviz_autodiff.i18n", description=__doc__.splitlines()[0])
    parser.add_argument("--extract", action="store_true", help="regenerate the template (.pot)")
    parser.add_argument("--update", action="store_true", help="merge the template into every catalogue (.po)")
    parser.add_argument("--compile", action="store_true", help="compile every catalogue (.mo)")
    parser.add_argument("--init", metavar="LANG", help="start the catalogue of a new language from the template")
    parser.add_argument("--import-table", metavar="FILE", type=Path, help="copy an old Python table into the .po files")
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is out of date or a text is missing")
    args = parser.parse_args(argv)
    try:
        from . import tools
    except ImportError as error:  # Babel is a development tool, in the "test" extra
        print(f"error: {error}; install Babel (pip install Babel, or the project's [test] extra)", file=sys.stderr)
        return 2
    if args.check:
        problems = tools.check()
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    if args.import_table:
        for lang, keys in tools.import_table(args.import_table).items():
            print(f"{lang}: added {len(keys)} message(s): {', '.join(keys)}")
    if args.init:
        print(f"created {tools.init(args.init)}")
    steps = {"template": args.extract, "catalogues": args.update, "compiled": args.compile}
    if not any(steps.values()):
        steps = dict.fromkeys(steps, True)
    for path in tools.run(**steps):
        print(f"wrote {path.relative_to(tools.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
