"""Text of a drawing: escaping, number formatting, HTML-like label pieces, strings.

Graphviz "HTML-like" labels are a small XML dialect (``<TABLE>``, ``<TR>``,
``<TD>``, ``<FONT>``, ``<B>``, ``<BR/>``). Every piece of user-controlled text
(op names, tensor names, error messages, numbers) goes through :func:`escape`
before it enters a label, so a name like ``<script>`` is drawn literally and
the SVG stays valid XML.

Numbers follow three rules (``precision`` = significant digits):

* a scalar is written with ``precision`` significant digits (``-0`` as ``0``);
* an array with at most ``max_array`` elements is written in full, one row of
  a matrix per line;
* a larger array is summarised: ``min · mean · max`` over its finite values,
  plus the number of NaN and Inf entries if there are any.

A heat-map is a ``<TABLE>`` of coloured cells (no image files): deterministic
and self-contained.
"""

from __future__ import annotations

import math
import re
from typing import Any

import graphviz
import numpy as np

from graphviz_autodiff.i18n import LANGS as LANGUAGES
from graphviz_autodiff.i18n import tr
from graphviz_autodiff.util import count_nonfinite

from ..themes import Theme, mix

__all__ = [
    "LANGS",
    "LINE_BREAK",
    "MAX_NAME",
    "MAX_TEXT",
    "array_norm",
    "clip",
    "escape",
    "escape_attr",
    "font",
    "format_scalar",
    "format_value",
    "grad_font",
    "heatmap_table",
    "safe_text",
    "split_lines",
    "wrap",
]

#: The languages of the words in drawings (the catalogues of :mod:`graphviz_autodiff.i18n`).
LANGS = LANGUAGES


#: Names (of tensors, ops, groups, the graph) longer than this are cut with "…" in drawings.
MAX_NAME = 80
#: The longest text :func:`escape` passes on: Graphviz 2.43 rejects a run of text longer than 16,384 bytes
#: in an HTML-like label, and 2,000 characters stay below that even escaped (``&quot;``) or 4-byte UTF-8.
MAX_TEXT = 2000
#: What a line break inside a name is drawn as (a DOT statement stays on one line).
LINE_BREAK = "↵"

# Every line break Python's str.splitlines() knows that XML allows (the others are control characters).
_LINE_BREAKS = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
# Code points that UTF-8 cannot encode (lone surrogates) or XML 1.0 forbids (U+FFFE, U+FFFF).
_UNENCODABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")
# Control characters are not allowed in XML (tab, LF and CR are, but line breaks are replaced first).
_CONTROL = {c: " " for c in range(32) if c != 9}


def clip(s: Any, limit: int = MAX_NAME) -> str:
    """``s`` cut to ``limit`` characters, the last one an ellipsis when it was longer.

    >>> clip("x" * 100, 5)
    'xxxx…'
    """
    s = str(s)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def split_lines(s: Any) -> list[str]:
    r"""``s`` split at every line break :func:`escape` knows (LF, CR, CR LF, U+0085, U+2028, U+2029).

    >>> split_lines("Lecture 5\u2028after backward")
    ['Lecture 5', 'after backward']
    """
    return _LINE_BREAKS.split(str(s))


def safe_text(s: Any) -> str:
    r"""``s`` as text that Graphviz, UTF-8 and XML accept, on one line (not escaped).

    At most :data:`MAX_TEXT` characters; line breaks drawn as ``↵``; U+FFFD for
    lone surrogates and U+FFFE/U+FFFF; spaces for control characters. Use it
    before writing user text into any file (HTML, SVG, text).

    >>> safe_text("a\r\nb\ud800")
    'a↵b�'
    """
    s = clip(s, MAX_TEXT)
    s = _UNENCODABLE.sub("\ufffd", s)
    return _LINE_BREAKS.sub(LINE_BREAK, s).translate(_CONTROL)


def escape(s: Any) -> str:
    r"""Escape text for a Graphviz HTML-like label (``& < > " '`` and ``\``), on one line.

    Graphviz 2.43 expands ``\N`` (the node's name), ``\G``, ``\E``, ``\T`` and
    ``\H`` even inside HTML-like labels, and reads ``\\`` as one backslash:
    backslashes are doubled, so a name like ``a\Nb`` is drawn as written.

    Line breaks (LF, CR, CR LF, U+0085, U+2028, U+2029) are drawn as ``↵``,
    control characters as spaces, lone surrogates and XML's forbidden
    U+FFFE/U+FFFF as U+FFFD, and text longer than :data:`MAX_TEXT` characters
    is cut (:func:`safe_text`), so the label always parses (Graphviz, XML) and
    every DOT statement stays on one line (the stepper splices frames line by line).

    >>> escape('<script>alert("x")</script> & θ')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; θ'
    >>> escape("a\nb\u2028c\ud800")
    'a↵b↵c�'
    >>> print(escape(r"\N"))
    \\N
    """
    return (
        safe_text(s)
        .replace("\\", "\\\\")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def escape_attr(s: Any, *, tooltip: bool = False) -> str:
    r"""Text for a plain (non-HTML) DOT attribute such as ``id``, ``class``, ``fontname`` or ``tooltip``.

    Graphviz reads backslash sequences in these (``\N`` is the node's name,
    ``\n`` a line break, ``\G`` the graph's name), reads ``&amp;``-style
    entities, and treats ``<...>`` as an HTML label. Here ``&`` becomes
    ``&amp;``, backslashes are doubled (quadrupled for a ``tooltip``, which
    Graphviz 2.43 unescapes twice) and the value is marked as not HTML, so the
    SVG shows the text literally; quotes are escaped when the ``graphviz``
    package quotes the value. Line breaks and unencodable characters are
    handled as in :func:`escape`.

    >>> print(escape_attr(r"\N & <b>"))
    \\N &amp; <b>
    """
    text = safe_text(s).replace("&", "&amp;").replace("\\", "\\\\\\\\" if tooltip else "\\\\")
    return graphviz.nohtml(text)


def wrap(s: str, width: int = 48, max_lines: int = 4) -> list[str]:
    """Split text into lines of at most ``width`` characters (words kept whole when possible)."""
    words = str(s).split()
    lines: list[str] = []
    line = ""
    for word in words:
        while len(word) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1][: width - 1] + "…"]
    return lines


def format_scalar(x: Any, precision: int) -> str:
    """One number with ``precision`` significant digits (``-0`` shown as ``0``).

    >>> format_scalar(3.14159, 3), format_scalar(-0.0, 4), format_scalar(float("nan"), 4)
    ('3.14', '0', 'NaN')
    """
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (complex, np.complexfloating)):
        return (
            f"{format_scalar(x.real, precision)}{'+' if x.imag >= 0 else '-'}{format_scalar(abs(x.imag), precision)}j"
        )
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    out = f"{x:.{precision}g}"
    return "0" if out in ("-0", "0") else out


def format_value(a: Any, precision: int, max_array: int, lang: str) -> list[str]:
    """Lines of escaped text for a value or gradient.

    Small arrays (``size <= max_array``) are written in full, one matrix row
    per line; larger ones as ``min · mean · max`` plus NaN/Inf counts.

    >>> format_value(np.array([1.0, -0.5]), 4, 6, "en")
    ['[1, -0.5]']
    >>> format_value(np.arange(10.0), 3, 6, "en")
    ['min 0 · mean 4.5 · max 9']
    """
    a = np.asarray(a)
    if a.dtype.kind not in "biufc":  # a student's string/object "gradient": show what it is, never crash
        return [
            escape(clip(f"{a.dtype} {tuple(a.shape)}: {np.array2string(a.ravel()[: max(max_array, 1)], threshold=6)}"))
        ]
    if a.ndim == 0:
        return [escape(format_scalar(a.item(), precision))]
    if a.size <= max_array:
        return [escape(line) for line in _array_lines(a, precision)]
    return _summary(a, precision, lang)


def _array_lines(a: np.ndarray, precision: int) -> list[str]:
    if a.ndim == 1:
        return ["[" + ", ".join(format_scalar(x, precision) for x in a.tolist()) + "]"]
    rows = [line for sub in a for line in _array_lines(sub, precision)]
    if not rows:
        return ["[]"]
    rows[0] = "[" + rows[0]
    rows[1:] = [" " + r for r in rows[1:]]
    rows[-1] += "]"
    return rows


def _summary(a: np.ndarray, precision: int, lang: str) -> list[str]:
    n_nan, n_inf = count_nonfinite(a)
    values = a[np.isfinite(a)] if n_nan or n_inf else a
    lines = []
    if values.size and a.dtype.kind in "fciub":
        real = values.real if values.dtype.kind == "c" else values
        parts = (
            f"{tr('label.min', lang)} {format_scalar(real.min(), precision)}",
            f"{tr('label.mean', lang)} {format_scalar(real.mean(), precision)}",
            f"{tr('label.max', lang)} {format_scalar(real.max(), precision)}",
        )
        lines.append(escape(" · ".join(parts)))
    elif not values.size:
        lines.append(escape(tr("label.no_finite", lang)))
    if n_nan or n_inf:
        lines.append(
            escape(" · ".join(p for p in (f"NaN: {n_nan}" if n_nan else "", f"Inf: {n_inf}" if n_inf else "") if p))
        )
    return lines


def array_norm(a: Any) -> float:
    """The L2 norm of an array as a float (NaN/Inf propagate; NaN for non-numeric data)."""
    a = np.asarray(a)
    if a.dtype.kind not in "fciub":
        return float("nan")
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.linalg.norm(a.astype(np.complex128 if a.dtype.kind == "c" else np.float64).ravel()))


def font(content: str, *, colour: str | None = None, size: float | None = None, face: str | None = None) -> str:
    """Wrap already escaped ``content`` in a ``<FONT>`` tag (attributes only when given)."""
    attrs = []
    if colour:
        attrs.append(f'COLOR="{colour}"')
    if size:
        attrs.append(f'POINT-SIZE="{size:g}"')
    if face:
        attrs.append(f'FACE="{escape(face)}"')
    if not attrs or not content:  # Graphviz 2.43 rejects an empty <FONT></FONT>
        return content
    return f"<FONT {' '.join(attrs)}>{content}</FONT>"


def grad_font(content: str, theme: Theme) -> str:
    """Already escaped ``content`` set as a gradient: the theme's gradient colour (italic if it says so)."""
    out = font(content, colour=theme.grad)
    return f"<I>{out}</I>" if theme.grad_italic else out


def _downsample(a: np.ndarray, max_side: int) -> np.ndarray:
    """Average blocks of a 2-D array so that neither side exceeds ``max_side``."""
    rows, cols = a.shape
    rs = max(1, math.ceil(rows / max_side))
    cs = max(1, math.ceil(cols / max_side))
    if rs == 1 and cs == 1:
        return a
    out = np.empty((math.ceil(rows / rs), math.ceil(cols / cs)), dtype=np.float64)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            block = a[i * rs : (i + 1) * rs, j * cs : (j + 1) * cs]
            out[i, j] = np.nan if not np.isfinite(block).all() else block.mean()
    return out


def heatmap_table(a: Any, theme: Theme, max_side: int = 24) -> str | None:
    """A heat-map of an array as an HTML-like ``<TABLE>`` of coloured cells.

    A vector is drawn as one row, a matrix as rows × columns (averaged down to
    at most ``max_side`` cells per side), higher dimensions flattened to 2-D.
    Colours are diverging around 0, scaled by the largest finite ``|x|``:
    ``theme.heatmap_neg`` for the most negative, ``theme.heatmap_zero`` for 0,
    ``theme.heatmap_pos`` for the most positive, ``theme.heatmap_nan`` for NaN
    and Inf. Returns ``None`` for scalars and non-numeric arrays.
    """
    a = np.asarray(a)
    if a.ndim == 0 or a.size <= 1 or a.dtype.kind not in "fiub":
        return None
    a = a.astype(np.float64)
    a = a.reshape(1, -1) if a.ndim == 1 else a.reshape(-1, a.shape[-1])
    a = _downsample(a, max_side)
    finite = a[np.isfinite(a)]
    scale = float(np.abs(finite).max()) if finite.size else 0.0
    size = theme.cell_size
    rows = []
    for row in a:
        cells = []
        for x in row.tolist():
            if not math.isfinite(x):
                colour = theme.heatmap_nan
            elif scale == 0 or x == 0:
                colour = theme.heatmap_zero
            else:
                colour = mix(theme.heatmap_zero, theme.heatmap_pos if x > 0 else theme.heatmap_neg, abs(x) / scale)
            cells.append(f'<TD BGCOLOR="{colour}" WIDTH="{size}" HEIGHT="{size}" FIXEDSIZE="TRUE"></TD>')
        rows.append("<TR>" + "".join(cells) + "</TR>")
    # A fixed-size table keeps its natural size inside a wider cell (Graphviz stretches it otherwise).
    return (
        f'<TABLE BORDER="0" CELLBORDER="1" COLOR="{theme.cluster_border}" CELLSPACING="0" CELLPADDING="0" '
        f'FIXEDSIZE="TRUE" WIDTH="{size * a.shape[1]}" HEIGHT="{size * a.shape[0]}" ALIGN="LEFT">'
        + "".join(rows)
        + "</TABLE>"
    )
