"""Pictures for slides: presets of render options and a fixed canvas (16:9).

A *preset* is a named set of render options, used by :func:`viz.save`,
:func:`viz.save_all` and :func:`viz.to_svg` (``preset="slide"``); options
given explicitly win over it. The ``slide`` preset:

* the ``slide`` theme (large type: values at 20 pt, headers at 22 pt);
* ``legend="present"``: only the kinds and states the picture shows, in one row;
* a **16:9 canvas** (16 × 9 inches: 1920 × 1080 pixels at the preset's 120 dpi);
* the **direction that reads best on it**: the graph is laid out left to
  right and top to bottom, and the one drawn larger on the canvas is kept
  (unless ``rankdir=`` is given).

The canvas is made exact without distorting the drawing: Graphviz lays the
graph out once (``dot -Tjson0`` gives its bounding box), then the ``pad``
around it is widened on two sides to the canvas's proportions and ``size``
scales the whole to the canvas.

Examples
--------
>>> import numpy as np
>>> from graphviz_autodiff.ops import Sum
>>> from viz.drawing import render
>>> fitted = fit_to_canvas([render(Sum()(np.ones(3)))], (16, 9))
>>> 'size="16,9!"' in fitted.source
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import graphviz

from .dot import RenderTimeoutError, run_dot
from .drawing.fallback import remember_failure

__all__ = ["PRESETS", "SLIDE_CANVAS", "Preset", "canvas_attributes", "fit_to_canvas", "get_preset"]

#: A 16:9 slide, in inches (PowerPoint's and Keynote's wide slides have this shape).
SLIDE_CANVAS = (16.0, 9.0)
_PAD = 0.2  # inches around the drawing (the renderer's own pad)


@dataclass(frozen=True)
class Preset:
    """A named set of defaults for drawing to a file.

    Attributes
    ----------
    name : str
        The preset's name.
    options : mapping
        Render options (:func:`viz.render`) used unless given explicitly.
    canvas : (float, float) or None
        Width and height in inches the picture is fitted to, keeping its
        proportions (padding the two short sides).
    rankdirs : tuple of str
        Directions tried when ``rankdir`` is not given; the one drawn largest
        on the canvas wins.
    dpi : float or None
        Resolution of PNG files.
    """

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)
    canvas: tuple[float, float] | None = None
    rankdirs: tuple[str, ...] = ("LR",)
    dpi: float | None = None


PRESETS: dict[str, Preset] = {
    "slide": Preset(
        name="slide",
        options={"theme": "slide", "legend": "present"},
        canvas=SLIDE_CANVAS,
        rankdirs=("LR", "TB"),
        dpi=120.0,
    ),
}


def get_preset(preset: str | Preset | None) -> Preset | None:
    """The :class:`Preset` named ``preset`` (or ``preset`` itself, or ``None``).

    Raises
    ------
    ValueError
        Unknown name; the message lists the known ones.
    """
    if preset is None or isinstance(preset, Preset):
        return preset
    try:
        return PRESETS[preset]
    except (KeyError, TypeError):
        raise ValueError(f"preset must be one of {', '.join(map(repr, PRESETS))} or None, got {preset!r}") from None


def canvas_attributes(bb: Sequence[float], canvas: tuple[float, float], pad: float = _PAD) -> dict[str, str]:
    """Graphviz graph attributes that put a drawing of bounding box ``bb`` (points) on ``canvas`` (inches).

    The pad grows on the two short sides until the drawing plus its pad has
    the canvas's proportions; ``size="W,H!"`` then scales it to the canvas
    (Graphviz scales the pad with the drawing).

    >>> canvas_attributes((0, 0, 720, 72), (16, 9))["pad"]
    '0.2,2.9125'
    """
    width = float(bb[2]) - float(bb[0]) + 2 * pad * 72
    height = float(bb[3]) - float(bb[1]) + 2 * pad * 72
    target = canvas[0] / canvas[1]
    pad_x = pad_y = pad
    if width / height >= target:
        pad_y += (width / target - height) / 2 / 72
    else:
        pad_x += (height * target - width) / 2 / 72
    return {"pad": f"{pad_x:.4f},{pad_y:.4f}".replace(".0000", ""), "size": f"{canvas[0]:g},{canvas[1]:g}!"}


def fit_to_canvas(
    diagrams: Sequence[graphviz.Digraph], canvas: tuple[float, float], *, timeout: float | None = 30.0
) -> graphviz.Digraph:
    """The diagram of ``diagrams`` drawn largest on ``canvas``, with the attributes that fit it there.

    Each diagram is laid out once (``dot -Tjson0``); a layout that times out
    is skipped (and remembered as failed, see :mod:`viz.drawing.fallback`).
    If every one times out, the first is returned as it is.

    Parameters
    ----------
    diagrams : sequence of graphviz.Digraph
        Candidates, usually one drawing in several directions; ties go to the first.
    canvas : (float, float)
        Width and height in inches.
    timeout : float or None
        Seconds Graphviz may take for each layout.
    """
    if not diagrams:
        raise ValueError("fit_to_canvas: no diagram given")
    best: tuple[float, graphviz.Digraph, dict[str, str]] | None = None
    for diagram in diagrams:
        try:
            layout = json.loads(run_dot(diagram.source, "json0", timeout=timeout).decode("utf-8"))
        except RenderTimeoutError:
            if timeout is not None:
                remember_failure(diagram.source, timeout)
            continue
        bb = [float(v) for v in layout["bb"].split(",")]
        width = bb[2] - bb[0] + 2 * _PAD * 72
        height = bb[3] - bb[1] + 2 * _PAD * 72
        scale = min(canvas[0] * 72 / width, canvas[1] * 72 / height)
        if best is None or scale > best[0] + 1e-9:
            best = (scale, diagram, canvas_attributes(bb, canvas))
    if best is None:
        return diagrams[0]
    fitted = best[1].copy()
    fitted.attr("graph", **best[2])
    return fitted
