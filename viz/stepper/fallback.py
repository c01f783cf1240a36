"""What a walk shows when its graph is too big to lay out: one summary frame per step, drawn without Graphviz.

When Graphviz does not lay the graph out within the stepper's ``timeout``,
:class:`viz.stepper.frames.FrameSet` falls back, once, to
:func:`summary_svg`: a small standalone SVG that says how big the graph is,
why there is no picture and what to do, and which node the current step is
at. It costs microseconds, so stepping stays fast and the failing layout is
never run again.

Examples
--------
>>> svg = summary_svg(["5000 nodes", "step 3: Add (v₃)"], title="No picture")
>>> svg.startswith("<svg") and "step 3: Add (v₃)" in svg
True
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from ..themes import Theme, get_theme

__all__ = ["summary_svg"]


def summary_svg(lines: Sequence[str], *, title: str, theme: str | Theme = "lecture", width: int | None = None) -> str:
    """A standalone SVG with a title and lines of text (every line escaped), in the theme's colours.

    Parameters
    ----------
    lines : sequence of str
        The text, one line each (plain text).
    title : str
        The first line, in bold.
    theme : str or Theme
        Colours and font.
    width : int, optional
        Width in points (default: wide enough for the longest line); the height follows the number of lines.
    """
    t = get_theme(theme)
    size = t.fontsize + 2
    step = round(size * 1.5)
    width = width or round(32 + 0.62 * size * max(len(line) for line in [title, *lines]))
    height = step * (len(lines) + 2)
    font = html.escape(t.fontname, quote=True)
    rows = [
        f'<text x="16" y="{step}" font-family="{font}" font-size="{size}" font-weight="bold" '
        f'fill="{t.text}">{html.escape(title)}</text>'
    ]
    rows += [
        f'<text x="16" y="{step * (i + 2)}" font-family="{font}" font-size="{size}" fill="{t.text}">'
        f"{html.escape(line)}</text>"
        for i, line in enumerate(lines)
    ]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}pt" height="{height}pt" '
        f'viewBox="0 0 {width} {height}" class="gad-fallback">\n'
        f'<rect width="100%" height="100%" fill="{t.background}" stroke="{t.border}"/>\n' + "\n".join(rows) + "\n</svg>"
    )
