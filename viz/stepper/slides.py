"""A walk for slides and movies: one file per step, 16:9 slides with the step's explanation; GIF, MP4, PDF.

:func:`save_frames` writes one file per step, named in order
(``step_000.svg``, ``step_001.svg``, ...), for slide decks (Beamer's
``\\includegraphics``, PowerPoint). PDF and PNG are drawn by Graphviz
(``neato -n2``) from each frame's DOT source with the positions of the one
layout, so the boxes do not move from slide to slide.

:func:`slide_svg` composes one slide: the step's picture fitted into a 16:9
canvas (1920 × 1080 units) and the step's text under it, or beside it when
the picture is tall (whichever shows the picture larger, :func:`arrangement`),
in a font large enough for a projector (it shrinks only when the text is long). The
slides are rasterised with CairoSVG (:func:`rasterize`) and written as an
animated GIF or an MP4 video with imageio (:func:`write_gif`,
:func:`write_mp4`), or drawn as vector pages and joined into one PDF with
pypdf (:func:`write_pdf`, one page per step). Everything is deterministic:
the same walk gives the same files.

Examples
--------
>>> frame = '<svg xmlns="http://www.w3.org/2000/svg" width="100pt" height="50pt" viewBox="0 0 100 50"></svg>'
>>> slide = slide_svg(frame, ["Step 1 of 4", "∂L/∂s = 1"])
>>> 'viewBox="0 0 1920 1080"' in slide and "∂L/∂s = 1" in slide
True
"""

from __future__ import annotations

import html
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..dot import run_dot
from ..themes import Theme, get_theme

__all__ = [
    "FRAME_FORMATS",
    "SLIDE_SIZE",
    "FrameSource",
    "arrangement",
    "frame_names",
    "picture_box",
    "rasterize",
    "save_frames",
    "slide_svg",
    "text_box",
    "write_gif",
    "write_mp4",
    "write_pdf",
]

FRAME_FORMATS = ("svg", "pdf", "png")
_XML_PROLOG = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'

#: The slide canvas in SVG units (16:9).
SLIDE_SIZE = (1920, 1080)
_MARGIN = 48
_TEXT_SHARE = 0.34  # the part of the height kept for the explanation under the picture
_SIDE_SHARE = 0.36  # the part of the width kept for the explanation beside a tall picture
_MAX_FONT = 30.0
_MIN_FONT = 14.0
_NARROW_FONT = 22.0
_ROOT = re.compile(r"<svg\b[^>]*>", re.S)
_ATTR = re.compile(r'\s(width|height|x|y|preserveAspectRatio)="[^"]*"')


def _wrap(line: str, width: int) -> list[str]:
    """Split one text line into pieces of at most ``width`` characters, at spaces when possible."""
    indent = line[: len(line) - len(line.lstrip())]
    pieces, current = [], ""
    for word in line.split():
        if current and len(current) + 1 + len(word) > width:
            pieces.append(current)
            current = indent + "    " + word
        else:
            current = f"{current} {word}" if current else indent + word
    return [*pieces, current] if current or not pieces else pieces


def _text_block(
    lines: Sequence[str], box: tuple[float, float, float, float], theme: Theme, *, narrow: bool = False
) -> list[str]:
    """``<text>`` elements for ``lines`` in ``box`` (x, y, width, height): the largest font that fits.

    In a ``narrow`` box (beside the picture) the font also shrinks, down to :data:`_NARROW_FONT`, while
    wrapping would add more than a quarter to the number of lines.
    """
    x, y, width, height = box
    font = _MAX_FONT
    while True:
        per_line = max(int(width / (0.58 * font)), 20)
        wrapped = [piece for line in lines for piece in _wrap(line, per_line)]
        fits = len(wrapped) * font * 1.35 <= height
        short = not narrow or len(wrapped) <= 1.25 * len(lines) or font <= _NARROW_FONT
        if (fits and short) or font <= _MIN_FONT:
            break
        font -= 1.0
    keep = max(int(height / (font * 1.35)), 1)
    if len(wrapped) > keep:
        wrapped = [*wrapped[: keep - 1], "…"]
    family = html.escape(theme.value_fontname, quote=True)
    out = []
    for i, line in enumerate(wrapped):
        colour = "#c62828" if line.lstrip().startswith("✗") else theme.text
        weight = ' font-weight="bold"' if i == 0 else ""
        out.append(
            f'<text x="{x:g}" y="{y + font * (1.1 + 1.35 * i):.1f}" font-family="{family}" font-size="{font:g}" '
            f'fill="{colour}"{weight} xml:space="preserve">{html.escape(line)}</text>'
        )
    return out


def picture_box(with_text: bool = True, *, beside: bool = False) -> tuple[float, float, float, float]:
    """``(x, y, width, height)`` of the picture on a slide, in slide units: above the text, or left of it."""
    width, height = SLIDE_SIZE
    if not with_text:
        return (_MARGIN, _MARGIN, width - 2 * _MARGIN, height - 2 * _MARGIN)
    if beside:
        text_width = (width - 2 * _MARGIN) * _SIDE_SHARE
        return (_MARGIN, _MARGIN, width - 2 * _MARGIN - text_width - _MARGIN / 2, height - 2 * _MARGIN)
    text_height = (height - 2 * _MARGIN) * _TEXT_SHARE
    return (_MARGIN, _MARGIN, width - 2 * _MARGIN, height - 2 * _MARGIN - text_height - _MARGIN / 2)


def text_box(*, beside: bool = False, picture_width: float | None = None) -> tuple[float, float, float, float]:
    """``(x, y, width, height)`` of the step's text on a slide: under the picture, or right of it.

    Beside a picture drawn ``picture_width`` units wide (narrower than its box), the text takes the rest.
    """
    width, height = SLIDE_SIZE
    if beside:
        box = picture_box(beside=True)
        used = box[2] if picture_width is None else min(box[2], picture_width)
        left = _MARGIN + used + _MARGIN
        return (left, _MARGIN, width - _MARGIN - left, height - 2 * _MARGIN)
    text_height = (height - 2 * _MARGIN) * _TEXT_SHARE
    return (_MARGIN, height - _MARGIN - text_height, width - 2 * _MARGIN, text_height)


def arrangement(size: tuple[float, float]) -> tuple[bool, float]:
    """``(beside, scale)``: where a picture of ``size`` (width, height) is drawn largest, and how large.

    ``beside`` is ``False`` for the text under the picture (a wide picture), ``True`` for the text right of
    it (a tall one); ``scale`` is slide units per picture unit. Ties go to the text under the picture.

    >>> arrangement((2000, 300))[0], arrangement((600, 900))[0]
    (False, True)
    """
    scales = {}
    for beside in (False, True):
        _, _, width, height = picture_box(beside=beside)
        scales[beside] = min(width / size[0], height / size[1])
    beside = scales[True] > scales[False]
    return beside, scales[beside]


def slide_svg(frame: str, lines: Sequence[str], *, theme: str | Theme = "lecture", beside: bool | None = None) -> str:
    """One 16:9 slide: the frame's SVG fitted into the slide, the text ``lines`` under it or beside it.

    Parameters
    ----------
    frame : str
        A frame's SVG (``stepper.svg(k)``).
    lines : sequence of str
        The step's explanation (``stepper.lines(k)``); the first line is bold, lines starting with
        ``✗`` red. Long lines are wrapped; the font shrinks (down to 14 units) to fit, and what still
        does not fit ends with "…".
    theme : str or Theme
        Background, text colour and font.
    beside : bool, optional
        Put the text right of the picture (``True``) or under it (``False``); default: where the picture
        is drawn larger (:func:`arrangement` of the frame's ``viewBox``).

    Returns
    -------
    str
        A standalone SVG of ``SLIDE_SIZE`` units.
    """
    t = get_theme(theme)
    width, height = SLIDE_SIZE
    start = frame.find("<svg")
    m = _ROOT.search(frame, start)
    if start < 0 or m is None:
        raise ValueError("slide_svg: the frame must be SVG text containing an <svg> element")
    size = _view_size(m.group(0))
    if beside is None:
        beside = bool(lines) and arrangement(size)[0]
    picture = picture_box(bool(lines), beside=beside)
    if beside:  # the picture on the left at its fitted width; the text takes the rest
        drawn = size[0] * min(picture[2] / size[0], picture[3] / size[1])
        picture = (picture[0], picture[1], min(picture[2], drawn), picture[3])
    root = _ATTR.sub("", m.group(0))
    root = root[:-1] + (
        f' x="{picture[0]:g}" y="{picture[1]:g}" width="{picture[2]:g}" height="{picture[3]:g}" '
        'preserveAspectRatio="xMidYMid meet">'
    )
    nested = root + frame[m.end() :].strip()
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f'<rect width="{width}" height="{height}" fill="{t.background}"/>',
        nested,
        *(_text_block(lines, text_box(beside=beside, picture_width=picture[2]), t, narrow=beside) if lines else []),
        "</svg>",
    ]
    return "\n".join(parts)


def _view_size(root: str) -> tuple[float, float]:
    """``(width, height)`` of an ``<svg>`` tag's ``viewBox`` (or its width and height in points)."""
    box = re.search(r'viewBox="([^"]+)"', root)
    if box:
        values = [float(v) for v in re.split(r"[\s,]+", box.group(1).strip())]
        if len(values) == 4 and values[2] > 0 and values[3] > 0:
            return values[2], values[3]
    sizes = [re.search(rf'{name}="([\d.]+)', root) for name in ("width", "height")]
    if all(sizes):
        return float(sizes[0].group(1)), float(sizes[1].group(1))  # type: ignore[union-attr]
    return float(SLIDE_SIZE[0]), float(SLIDE_SIZE[1])


def rasterize(svg: str, width: int) -> np.ndarray:
    """An SVG drawn as an RGB image ``width`` pixels wide: a ``uint8`` array of shape (height, width, 3)."""
    import cairosvg
    import imageio.v3 as iio

    png = cairosvg.svg2png(bytestring=svg.encode("utf-8"), output_width=width, background_color="white")
    image = iio.imread(io.BytesIO(png), extension=".png")
    return np.ascontiguousarray(image[..., :3])


def _even(n: int) -> int:
    return n + (n % 2)


def write_gif(slides: Sequence[str], path: str | os.PathLike, *, width: int = 960, seconds: float = 1.5) -> Path:
    """Write the slides as an animated GIF that loops, ``seconds`` per slide (the last one held twice as long)."""
    import imageio.v3 as iio

    _check(slides, width, seconds, "write_gif")
    images = [rasterize(svg, width) for svg in slides]
    durations = [int(seconds * 1000)] * len(images)
    durations[-1] *= 2
    path = _parent(path)
    iio.imwrite(path, images, extension=".gif", duration=durations, loop=0)
    return path


def write_mp4(slides: Sequence[str], path: str | os.PathLike, *, width: int = 1280, seconds: float = 1.5) -> Path:
    """Write the slides as an H.264 MP4 video, one video frame per slide shown for ``seconds`` each."""
    import imageio.v2 as imageio

    _check(slides, width, seconds, "write_mp4")
    images = [rasterize(svg, _even(width)) for svg in slides]
    path = _parent(path)
    writer = imageio.get_writer(
        path, format="FFMPEG", mode="I", fps=1.0 / seconds, codec="libx264", quality=8, macro_block_size=2,
        ffmpeg_log_level="error", output_params=["-pix_fmt", "yuv420p"],
    )  # fmt: skip
    try:
        for image in images:
            writer.append_data(image[: image.shape[0] - image.shape[0] % 2])  # H.264 needs even sides
    finally:
        writer.close()
    return path


def write_pdf(slides: Sequence[str], path: str | os.PathLike) -> Path:
    """Write the slides as one PDF, one vector page per slide (CairoSVG draws each, pypdf joins them)."""
    import cairosvg
    from pypdf import PdfWriter

    if not slides:
        raise ValueError("write_pdf: there must be at least one slide")
    writer = PdfWriter()
    for svg in slides:
        writer.append(io.BytesIO(cairosvg.svg2pdf(bytestring=svg.encode("utf-8"))))
    writer.add_metadata({"/Producer": "graphviz_autodiff viz.stepper.slides", "/CreationDate": "D:20000101000000Z"})
    path = _parent(path)
    with open(path, "wb") as out:
        writer.write(out)
    return path


def _check(slides: Sequence[str], width: int, seconds: float, where: str) -> None:
    if not slides:
        raise ValueError(f"{where}: there must be at least one slide")
    if isinstance(width, bool) or not isinstance(width, int) or width < 16:
        raise ValueError(f"{where}: width must be an int of at least 16 pixels, got {width!r}")
    if not seconds > 0:
        raise ValueError(f"{where}: seconds must be positive, got {seconds!r}")


def _parent(path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


# -- one file per step ---------------------------------------------------------------------------------------
class FrameSource(Protocol):
    """What :func:`save_frames` needs: a number of frames, each one's SVG and pinned DOT (a :class:`FrameSet`)."""

    def __len__(self) -> int: ...

    def svg(self, k: int) -> str: ...

    def dot(self, k: int) -> str: ...


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
            data = (_XML_PROLOG + svg[svg.index("<svg") :]).encode("utf-8")
        else:
            args = ["-n2", f"-Gdpi={dpi or 150:g}"] if fmt == "png" else ["-n2"]
            data = run_dot(frames.dot(k), fmt, engine="neato", args=args, timeout=timeout)  # type: ignore[union-attr]
        written.append(_write_bytes(directory / name, data))
    return written


def _write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` atomically (a temporary file in the same folder, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
