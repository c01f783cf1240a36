"""Export drawings: SVG text, and files by extension (SVG, PDF, PNG, DOT).

Everything runs Graphviz through :func:`viz.dot.run_dot`, with the
diagram's ``timeout`` and one clear error when ``dot`` is missing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import graphviz

from graphviz_autodiff.graph import Graph
from graphviz_autodiff.tensor import Tensor

from .drawing.builder import ON_TIMEOUT, Diagram, render
from .drawing.fallback import Fallback, draw
from .slides import Preset, fit_to_canvas, get_preset

__all__ = ["FORMATS", "ON_TIMEOUT", "diagram_of", "save", "save_all", "to_svg"]

# File extension -> Graphviz output format ("dot" writes the DOT source itself, no Graphviz needed).
FORMATS = {".svg": "svg", ".pdf": "pdf", ".png": "png", ".dot": "dot", ".gv": "dot"}
DEFAULT_PNG_DPI = 150.0


def diagram_of(
    graph_or_tensor: Graph | Tensor | graphviz.Digraph,
    *,
    preset: str | Preset | None = None,
    canvas: tuple[float, float] | None = None,
    **options: Any,
) -> graphviz.Digraph:
    """The diagram to export: ``render(graph_or_tensor, **options)``, or a ready ``Digraph`` as is.

    Parameters
    ----------
    graph_or_tensor : Graph, Tensor or graphviz.Digraph
        What to draw.
    preset : {"slide"} or Preset, optional
        Defaults for the options (:data:`viz.slides.PRESETS`); explicit options win.
    canvas : (float, float), optional
        Fit the picture to this many inches (width, height), keeping its
        proportions; the preset's canvas by default. With a canvas and no
        ``rankdir``, every direction of the preset is laid out and the one
        drawn largest is kept.
    **options
        Options of :func:`viz.render`.

    Raises
    ------
    ValueError
        Render options given together with an already rendered ``Digraph``, or an unknown preset.
    """
    chosen = get_preset(preset)
    if chosen is not None:
        options = {**chosen.options, **options}
        canvas = chosen.canvas if canvas is None else canvas
    timeout = options.get("timeout", 30.0)
    if isinstance(graph_or_tensor, (graphviz.Digraph, graphviz.Source)):
        unknown = set(options) - {"timeout"} - (set(chosen.options) if chosen is not None else set())
        if unknown:
            raise ValueError(
                f"render options {sorted(unknown)} were given with an already rendered diagram; pass them to "
                f"viz.render() instead, or pass the Graph/Tensor here."
            )
        candidates = [graph_or_tensor]
    elif canvas is not None and "rankdir" not in options:
        rankdirs = chosen.rankdirs if chosen is not None else ("LR",)
        candidates = [render(graph_or_tensor, **options, rankdir=rankdir) for rankdir in rankdirs]
    else:
        candidates = [render(graph_or_tensor, **options)]
    if canvas is None or isinstance(graph_or_tensor, graphviz.Source):
        return candidates[0]
    _check_canvas(canvas)
    return fit_to_canvas(candidates, (float(canvas[0]), float(canvas[1])), timeout=timeout)


def _check_canvas(canvas: Any) -> None:
    ok = isinstance(canvas, (tuple, list)) and len(canvas) == 2
    if not ok or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in canvas):
        raise ValueError(f"canvas must be (width, height) in inches, two positive numbers, got {canvas!r}")


def _timeout(diagram: Any, options: dict[str, Any]) -> float | None:
    if "timeout" in options:
        return options["timeout"]
    return getattr(diagram, "timeout", 30.0)


def _run(diagram: Any, fmt: str, timeout: float | None, args: Sequence[str], on_timeout: str) -> bytes:
    """Graphviz's output for ``diagram``, with the fallback picture on a timeout if asked for."""
    if on_timeout not in ON_TIMEOUT:
        raise ValueError(f"on_timeout must be one of {', '.join(map(repr, ON_TIMEOUT))}, got {on_timeout!r}")
    fallback = None
    if on_timeout == "fallback" and isinstance(diagram, Diagram) and diagram.subject is not None:
        fallback = Fallback(diagram.subject, diagram.render_options, timeout)
    return draw(diagram, fmt, timeout=timeout, args=args, fallback=fallback)[0]


def to_svg(
    graph_or_tensor: Graph | Tensor | graphviz.Digraph,
    *,
    on_timeout: str = "fallback",
    preset: str | Preset | None = None,
    canvas: tuple[float, float] | None = None,
    **options: Any,
) -> str:
    """SVG text of :func:`viz.render` with the same options (Graphviz under a timeout).

    The same graph and options give byte-identical SVG.

    Parameters
    ----------
    graph_or_tensor : Graph, Tensor or graphviz.Digraph
        What to draw.
    on_timeout : {"fallback", "raise"}
        When Graphviz takes longer than ``timeout``: draw a fallback picture
        (the collapsed view or a summary; a
        :class:`~viz.drawing.fallback.FallbackWarning` says so, and the same
        layout is not tried again with the same timeout), or raise.
    preset, canvas
        As for :func:`save` (``preset="slide"``: a 16:9 picture for slides).
    **options
        Options of :func:`viz.render`.

    Raises
    ------
    GraphvizNotFoundError
        ``dot`` is not installed (the message says how to install it).
    RenderTimeoutError
        Graphviz took longer than ``timeout`` seconds and ``on_timeout="raise"``.

    Examples
    --------
    >>> import numpy as np
    >>> from graphviz_autodiff.ops import Sum
    >>> to_svg(Sum()(np.ones(3))).startswith("<?xml")
    True
    """
    diagram = diagram_of(graph_or_tensor, preset=preset, canvas=canvas, **options)
    return _run(diagram, "svg", _timeout(diagram, options), (), on_timeout).decode("utf-8")


def _format_for(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in set(FORMATS.values()):
            raise ValueError(f"save: format must be one of {sorted(set(FORMATS.values()))}, got {fmt!r}")
        return fmt
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"save: cannot tell the format from the file name {path.name!r}; use one of the extensions "
            f"{', '.join(FORMATS)} or pass format=..."
        )
    return FORMATS[suffix]


def _write(diagram: Any, path: Path, fmt: str, dpi: float, timeout: float | None, on_timeout: str) -> Path:
    if fmt == "dot":
        data = diagram.source.encode("utf-8")
    else:
        args = [f"-Gdpi={dpi:g}"] if fmt == "png" else []
        data = _run(diagram, fmt, timeout, args, on_timeout)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def save(
    graph_or_tensor: Graph | Tensor | graphviz.Digraph,
    path: str | os.PathLike,
    *,
    format: str | None = None,
    dpi: float | None = None,
    on_timeout: str = "raise",
    preset: str | Preset | None = None,
    canvas: tuple[float, float] | None = None,
    **options: Any,
) -> Path:
    """Draw and write a file; the format comes from the extension.

    Parameters
    ----------
    graph_or_tensor : Graph, Tensor or graphviz.Digraph
        What to draw (a ``Digraph`` from :func:`viz.render` is written as is).
    path : str or path-like
        ``.svg``, ``.pdf``, ``.png``, or ``.dot``/``.gv`` (the DOT source).
        Parent directories are created; the file is replaced atomically.
    format : {"svg", "pdf", "png", "dot"}, optional
        Overrides the extension.
    dpi : float, optional
        Resolution of a PNG (default 150, crisp on slides; the preset's, if it
        has one: 120 for ``"slide"``, so 1920 × 1080 pixels); PNG only.
    on_timeout : {"raise", "fallback"}
        When Graphviz takes longer than ``timeout``: raise (the default for
        files), or write the fallback picture (see :func:`to_svg`).
    preset : {"slide"} or Preset, optional
        Defaults for the render options (:data:`viz.slides.PRESETS`); options
        given here win. ``"slide"``: the ``slide`` theme, the legend of what
        is shown, a 16:9 canvas and the direction drawn largest on it.
    canvas : (float, float), optional
        Width and height in inches to fit the picture to, keeping its
        proportions (the preset's by default).
    **options
        Options of :func:`viz.render` (``theme``, ``legend``, ``timeout``, ...).

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    ValueError
        Unknown extension or format, or ``dpi`` given for a format other than PNG.
    GraphvizNotFoundError, RenderTimeoutError, RenderError
        From Graphviz (not for ``.dot``, which needs no Graphviz).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from graphviz_autodiff.ops import Sum
    >>> out = save(Sum()(np.ones(3)), os.path.join(tempfile.mkdtemp(), "sum.svg"), theme="print")
    >>> out.read_text(encoding="utf-8").startswith("<?xml")
    True
    """
    path = Path(path)
    fmt = _format_for(path, format)
    if dpi is not None and fmt != "png":
        raise ValueError(f"save: dpi applies to PNG files only, got dpi={dpi!r} for format {fmt!r}")
    if dpi is not None and not dpi > 0:
        raise ValueError(f"save: dpi must be a positive number, got {dpi!r}")
    diagram = diagram_of(graph_or_tensor, preset=preset, canvas=canvas, **options)
    return _write(diagram, path, fmt, dpi or _default_dpi(preset), _timeout(diagram, options), on_timeout)


def save_all(
    graph_or_tensor: Graph | Tensor | graphviz.Digraph,
    directory: str | os.PathLike,
    stem: str = "graph",
    formats: Sequence[str] = ("svg", "pdf", "png"),
    *,
    dpi: float | None = None,
    on_timeout: str = "raise",
    preset: str | Preset | None = None,
    canvas: tuple[float, float] | None = None,
    **options: Any,
) -> list[Path]:
    """Draw once and write ``directory/stem.<format>`` for every format (for slides and handouts).

    ``dpi``, ``on_timeout``, ``preset``, ``canvas`` and ``**options`` are as for :func:`save`.

    Returns
    -------
    list of pathlib.Path
        The written files, in the order of ``formats``.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> from graphviz_autodiff.ops import Sum
    >>> [p.suffix for p in save_all(Sum()(np.ones(3)), tempfile.mkdtemp(), "sum", ("svg", "dot"))]
    ['.svg', '.dot']
    """
    allowed = sorted(set(FORMATS.values()))
    for fmt in formats:
        if fmt not in allowed:
            raise ValueError(f"save_all: formats must be among {allowed}, got {fmt!r}")
    if dpi is not None and not dpi > 0:
        raise ValueError(f"save_all: dpi must be a positive number, got {dpi!r}")
    diagram = diagram_of(graph_or_tensor, preset=preset, canvas=canvas, **options)
    timeout = _timeout(diagram, options)
    directory = Path(directory)
    dpi = dpi or _default_dpi(preset)
    return [_write(diagram, directory / f"{stem}.{fmt}", fmt, dpi, timeout, on_timeout) for fmt in formats]


def _default_dpi(preset: str | Preset | None) -> float:
    chosen = get_preset(preset)
    return chosen.dpi if chosen is not None and chosen.dpi else DEFAULT_PNG_DPI
