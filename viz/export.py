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

from .dot import run_dot
from .drawing.builder import render

__all__ = ["FORMATS", "diagram_of", "save", "save_all", "to_svg"]

# File extension -> Graphviz output format ("dot" writes the DOT source itself, no Graphviz needed).
FORMATS = {".svg": "svg", ".pdf": "pdf", ".png": "png", ".dot": "dot", ".gv": "dot"}
DEFAULT_PNG_DPI = 150.0


def diagram_of(graph_or_tensor: Graph | Tensor | graphviz.Digraph, **options: Any) -> graphviz.Digraph:
    """The diagram to export: ``render(graph_or_tensor, **options)``, or a ready ``Digraph`` as is.

    Raises
    ------
    ValueError
        Render options given together with an already rendered ``Digraph``.
    """
    if isinstance(graph_or_tensor, (graphviz.Digraph, graphviz.Source)):
        unknown = set(options) - {"timeout"}
        if unknown:
            raise ValueError(
                f"render options {sorted(unknown)} were given with an already rendered diagram; pass them to "
                f"viz.render() instead, or pass the Graph/Tensor here."
            )
        return graph_or_tensor
    return render(graph_or_tensor, **options)


def _timeout(diagram: Any, options: dict[str, Any]) -> float | None:
    if "timeout" in options:
        return options["timeout"]
    return getattr(diagram, "timeout", 30.0)


def to_svg(graph_or_tensor: Graph | Tensor | graphviz.Digraph, **options: Any) -> str:
    """SVG text of :func:`viz.render` with the same options (Graphviz under a timeout).

    The same graph and options give byte-identical SVG.

    Raises
    ------
    GraphvizNotFoundError
        ``dot`` is not installed (the message says how to install it).
    RenderTimeoutError
        Graphviz took longer than ``timeout`` seconds.

    Examples
    --------
    >>> import numpy as np
    >>> from graphviz_autodiff.ops import Sum
    >>> to_svg(Sum()(np.ones(3))).startswith("<?xml")
    True
    """
    diagram = diagram_of(graph_or_tensor, **options)
    return run_dot(diagram.source, "svg", timeout=_timeout(diagram, options)).decode("utf-8")


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


def _write(diagram: Any, path: Path, fmt: str, dpi: float | None, timeout: float | None) -> Path:
    if fmt == "dot":
        data = diagram.source.encode("utf-8")
    else:
        args = [f"-Gdpi={dpi:g}"] if fmt == "png" else []
        data = run_dot(diagram.source, fmt, timeout=timeout, args=args)
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
        Resolution of a PNG (default 150, crisp on slides); PNG only.
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
    diagram = diagram_of(graph_or_tensor, **options)
    return _write(diagram, path, fmt, dpi or DEFAULT_PNG_DPI, _timeout(diagram, options))


def save_all(
    graph_or_tensor: Graph | Tensor | graphviz.Digraph,
    directory: str | os.PathLike,
    stem: str = "graph",
    formats: Sequence[str] = ("svg", "pdf", "png"),
    *,
    dpi: float | None = None,
    **options: Any,
) -> list[Path]:
    """Draw once and write ``directory/stem.<format>`` for every format (for slides and handouts).

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
    diagram = diagram_of(graph_or_tensor, **options)
    timeout = _timeout(diagram, options)
    directory = Path(directory)
    return [_write(diagram, directory / f"{stem}.{fmt}", fmt, dpi or DEFAULT_PNG_DPI, timeout) for fmt in formats]
