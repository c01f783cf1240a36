"""The ``demo`` command: write the lecture's diagrams, figures and walk-through."""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(out: str, langs: list[str]) -> int:
    """Write everything into ``out`` for each language; return the exit status."""
    try:
        from viz.demo import write_lecture_outputs
    except ImportError as error:
        print(
            f"demo needs the drawing extra ({error}); install it with: pip install 'graphviz_autodiff[viz]'",
            file=sys.stderr,
        )
        return 2
    from viz import VizError

    try:
        written = write_lecture_outputs(out, langs=langs, log=lambda text: print(text, flush=True))
    except VizError as error:
        print(f"demo: {error}", file=sys.stderr)
        return 1
    print(f"{len(written)} files written to {out}/:")
    for path in written:
        print(f"  {path}")
    return 0
