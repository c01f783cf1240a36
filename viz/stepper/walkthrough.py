"""A walk through the steps for places where no Python runs: one HTML page, or one file per step.

:func:`to_html` writes **one self-contained HTML file**: every frame's SVG
inlined (one ``<template>`` per step), the step texts, and a few lines of
plain JavaScript for the buttons (first / back / next / last), the slider
and the arrow keys. No CDN, no font or image files, no network: a
``Content-Security-Policy`` of ``default-src 'none'`` forbids the page to
fetch anything, so it works from a USB stick, an LMS page or an e-mail.

:func:`save_frames` writes one file per step, named in order
(``step_000.svg``, ``step_001.svg``, ...), for slide decks (Beamer's
``\\includegraphics``, PowerPoint). PDF and PNG are drawn by Graphviz
(``neato -n2``) from each frame's DOT source with the positions of the one
layout, so the boxes do not move from slide to slide.

Examples
--------
>>> import tempfile, os
>>> svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10pt" height="10pt"><g id="node1" class="node"/></svg>'
>>> path = to_html([svg, svg], ["Step 0", "Step 1"], os.path.join(tempfile.mkdtemp(), "walk.html"))
>>> text = path.read_text(encoding="utf-8")
>>> text.count('<template class="gad-frame">'), "<script src" in text
(2, False)
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from graphviz_autodiff.i18n import check_lang, tr

from ..dot import run_dot

__all__ = ["ERROR_STYLE", "FRAME_FORMATS", "FrameSource", "frame_names", "save_frames", "text_html", "to_html"]

FRAME_FORMATS = ("svg", "pdf", "png")
#: How lines that report an error are drawn (red, bold), in the widget and in the page.
ERROR_STYLE = "color:#c62828;font-weight:bold"
_XML_PROLOG = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'


class FrameSource(Protocol):
    """What :func:`save_frames` needs: a number of frames, each one's SVG and pinned DOT (a :class:`FrameSet`)."""

    def __len__(self) -> int: ...

    def svg(self, k: int) -> str: ...

    def dot(self, k: int) -> str: ...


def text_html(lines: Sequence[str]) -> str:
    """Lines of a step text as escaped HTML (one ``<div>`` per line; lines starting with ``✗`` in red).

    >>> text_html(["a < b", "✗ oops"]).count("color:#c62828")
    1
    """
    rows = []
    for line in lines:
        error = line.startswith("✗")
        attrs = f' class="gad-line gad-error" style="{ERROR_STYLE}"' if error else ' class="gad-line"'
        rows.append(f"<div{attrs}>{html.escape(line) or '&nbsp;'}</div>")
    return (
        '<div class="gad-stepper-text" style="white-space:pre-wrap;font-family:\'DejaVu Sans Mono\',monospace;'
        'font-size:13px;line-height:1.45">' + "".join(rows) + "</div>"
    )


def _inline(svg: str) -> str:
    """An SVG document as an element to inline in HTML (without an XML prolog or DOCTYPE)."""
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("to_html: every frame must be SVG text containing an <svg> element")
    return svg[start:]


_STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 1em 2em; color: #1a1a1a; background: #ffffff; }
h1 { font-size: 1.3em; margin: 0 0 0.5em 0; }
.gad-controls { display: flex; flex-wrap: wrap; gap: 0.4em; align-items: center; margin-bottom: 0.3em; }
.gad-controls button { font-size: 1em; padding: 0.3em 0.8em; cursor: pointer; }
.gad-slider { width: 22em; }
.gad-keys { color: #7a7a7a; font-size: 0.85em; margin: 0.2em 0 0.6em 0; }
.gad-picture { overflow: auto; max-height: 78vh; border: 1px solid #dddddd; }
.gad-picture.gad-fit svg { max-width: 100%; height: auto; }
.gad-fit-label { color: #555555; font-size: 0.9em; }
.gad-text { margin-top: 0.6em; }
"""

_SCRIPT = """
(function () {
  "use strict";
  var frames = document.querySelectorAll("template.gad-frame");
  var texts = document.querySelectorAll("template.gad-text");
  var picture = document.getElementById("gad-picture");
  var text = document.getElementById("gad-text");
  var slider = document.getElementById("gad-slider");
  var counter = document.getElementById("gad-counter");
  var last = frames.length - 1;
  var index = 0;
  function show(k) {
    index = Math.max(0, Math.min(last, k));
    picture.replaceChildren(frames[index].content.cloneNode(true));
    text.replaceChildren(texts[index].content.cloneNode(true));
    slider.value = String(index);
    counter.textContent = counter.dataset.template.replace("{k}", index).replace("{n}", last);
    document.body.setAttribute("data-step", String(index));
  }
  document.getElementById("gad-first").addEventListener("click", function () { show(0); });
  document.getElementById("gad-back").addEventListener("click", function () { show(index - 1); });
  document.getElementById("gad-next").addEventListener("click", function () { show(index + 1); });
  document.getElementById("gad-last").addEventListener("click", function () { show(last); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  document.getElementById("gad-fit").addEventListener("change", function (event) {
    picture.classList.toggle("gad-fit", event.target.checked);
  });
  document.addEventListener("keydown", function (event) {
    if (event.target === slider || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var moves = { ArrowRight: index + 1, ArrowDown: index + 1, ArrowLeft: index - 1, ArrowUp: index - 1,
                  Home: 0, End: last };
    if (event.key in moves) { event.preventDefault(); show(moves[event.key]); }
  });
  show(parseInt(document.body.getAttribute("data-start"), 10) || 0);
})();
"""


def to_html(
    frames: Sequence[str],
    texts: Sequence[str],
    path: str | os.PathLike,
    lang: str = "en",
    *,
    title: str | None = None,
    start: int = 0,
) -> Path:
    """Write one self-contained HTML page that plays the frames with their texts.

    Parameters
    ----------
    frames : sequence of str
        The SVG of every step (``Stepper.svg(k)``), in order.
    texts : sequence of str
        The text of every step (``Stepper.describe(k)``), plain text; lines
        starting with ``✗`` are shown in red.
    path : str or path-like
        The ``.html`` file to write (parent directories are created).
    lang : {"en", "ru"}
        Language of the buttons.
    title : str, optional
        The page's title and heading.
    start : int, default 0
        The step shown when the page opens.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    ValueError
        No frames, frames and texts of different lengths, a frame without
        ``<svg>``, a bad ``start`` or ``lang``.
    """
    check_lang(lang, "to_html")
    if not frames:
        raise ValueError("to_html: there must be at least one frame")
    if len(frames) != len(texts):
        raise ValueError(f"to_html: {len(frames)} frames but {len(texts)} texts; give one text per frame")
    if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start < len(frames):
        raise ValueError(f"to_html: start must be a step between 0 and {len(frames) - 1}, got {start!r}")
    title = title if title is not None else tr("html.title_backward", lang)
    n = len(frames) - 1

    def button(key: str) -> str:
        label = html.escape(tr(f"button.{key}", lang))
        tip = html.escape(tr(f"tooltip.{key}", lang), quote=True)
        return f'<button type="button" id="gad-{key}" class="gad-{key}" title="{tip}">{label}</button>'

    counter = html.escape(tr("status.counter", lang, k="{k}", n="{n}"), quote=True)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(lang, quote=True)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        f'<body data-start="{start}" data-step="{start}">',
        f"<h1>{html.escape(title)}</h1>",
        '<div class="gad-controls">',
        button("first"),
        button("back"),
        button("next"),
        button("last"),
        f'<input type="range" id="gad-slider" class="gad-slider" min="0" max="{n}" value="{start}" step="1" '
        f'aria-label="{html.escape(tr("label.step", lang), quote=True)}">',
        f'<span id="gad-counter" class="gad-counter" data-template="{counter}">'
        f"{html.escape(tr('status.counter', lang, k=start, n=n))}</span>",
        f'<label class="gad-fit-label" title="{html.escape(tr("tooltip.fit", lang), quote=True)}">'
        f'<input type="checkbox" id="gad-fit" checked> {html.escape(tr("button.fit", lang))}</label>',
        "</div>",
        f'<p class="gad-keys">{html.escape(tr("html.keys", lang))}</p>',
        f'<div id="gad-picture" class="gad-picture gad-fit">{_inline(frames[start])}</div>',
        f'<div id="gad-text" class="gad-text">{text_html(texts[start].splitlines())}</div>',
    ]
    parts += [f'<template class="gad-frame">{_inline(svg)}</template>' for svg in frames]
    parts += [f'<template class="gad-text">{text_html(text.splitlines())}</template>' for text in texts]
    parts += [f"<script>{_SCRIPT}</script>", "</body>", "</html>", ""]
    return _write(Path(path), "\n".join(parts).encode("utf-8"))


def frame_names(n: int, fmt: str, stem: str = "step") -> list[str]:
    """File names of ``n`` frames, in order: ``step_000.svg`` … (more digits past 1,000 frames).

    >>> frame_names(3, "png")
    ['step_000.png', 'step_001.png', 'step_002.png']
    """
    width = max(3, len(str(max(n - 1, 0))))
    return [f"{stem}_{k:0{width}d}.{fmt}" for k in range(n)]


def save_frames(
    frames: FrameSource | Sequence[str],
    directory: str | os.PathLike,
    fmt: str = "svg",
    *,
    dpi: float | None = None,
    timeout: float | None = 60.0,
) -> list[Path]:
    """Write one file per frame into ``directory``: ``step_000.<fmt>``, ``step_001.<fmt>``, ...

    Parameters
    ----------
    frames : FrameSet or sequence of str
        The frames (``stepper.frames``), or SVG texts (then only ``fmt="svg"``).
    directory : str or path-like
        Created if needed. Files of the same names are replaced; others are left alone.
    fmt : {"svg", "pdf", "png"}
        SVG is written as shown in the notebook; PDF and PNG are drawn by
        Graphviz (``neato -n2``) from the frame's DOT with pinned positions.
    dpi : float, optional
        Resolution of PNG files (default 150).
    timeout : float or None
        Seconds Graphviz may take per frame.

    Returns
    -------
    list of pathlib.Path
        The written files, in step order.
    """
    if fmt not in FRAME_FORMATS:
        raise ValueError(f"save_frames: fmt must be one of {', '.join(map(repr, FRAME_FORMATS))}, got {fmt!r}")
    if dpi is not None and fmt != "png":
        raise ValueError(f"save_frames: dpi applies to PNG only, got dpi={dpi!r} for fmt={fmt!r}")
    if dpi is not None and not dpi > 0:
        raise ValueError(f"save_frames: dpi must be a positive number, got {dpi!r}")
    directory = Path(directory)
    n = len(frames)
    names = frame_names(n, fmt)
    texts = isinstance(frames, Sequence)
    if texts and fmt != "svg":
        raise ValueError("save_frames: PDF and PNG need the frames' DOT sources; pass stepper.frames, not SVG texts")
    written = []
    for k, name in enumerate(names):
        if fmt == "svg":
            svg: Any = frames[k] if texts else frames.svg(k)  # type: ignore[index, union-attr]
            data = (_XML_PROLOG + _inline(svg)).encode("utf-8")
        else:
            args = ["-n2", f"-Gdpi={dpi or 150:g}"] if fmt == "png" else ["-n2"]
            data = run_dot(frames.dot(k), fmt, engine="neato", args=args, timeout=timeout)  # type: ignore[union-attr]
        written.append(_write(directory / name, data))
    return written


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
