"""Themes: fonts, sizes and colours of a drawing.

Five themes ship with ``viz``:

``lecture``
    Large fonts for slides; inputs blue, parameters amber with a double
    border, ops white with rounded corners.
``compact``
    The same colours with small condensed fonts and tight spacing, for big graphs and
    notebooks.
``dark``
    Light text on a dark background, for dark notebook and slide themes.
``print``
    Grayscale, readable on paper: kinds differ by border and shape, gradients
    are set in italics.
``slide``
    The lecture colours with large type (values as large as headers), for a
    picture on a 16:9 slide: ``viz.save(L, "slide.png", preset="slide")``
    (see :mod:`viz.slides`).

A theme is a frozen dataclass; make a variant with :func:`dataclasses.replace`
and pass it as ``viz.render(g, theme=my_theme)``. Every colour is a 6-digit hex
string (Graphviz 2.43 does not understand 3-digit ones).

Examples
--------
>>> import dataclasses
>>> from viz.themes import THEMES
>>> big = dataclasses.replace(THEMES["lecture"], name="huge", fontsize=24.0)
>>> big.fontsize
24.0
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

__all__ = ["THEMES", "Theme", "get_theme", "mix", "scale_colour"]

_HEX = re.compile(r"#[0-9a-f]{6}")


@dataclass(frozen=True)
class Theme:
    """Fonts, sizes and colours of one drawing style.

    Attributes
    ----------
    name : str
        The theme's name.
    fontname, value_fontname : str
        Font of labels and of numbers (fonts with Greek and Cyrillic glyphs;
        DejaVu's digits all have the same width, so columns of numbers align).
    fontsize, value_fontsize, small_fontsize, edge_fontsize, title_fontsize : float
        Point sizes of node headers, values, shapes and notes, edge labels, the title.
    nodesep, ranksep : float
        Graphviz spacing (inches) between nodes of a rank and between ranks.
    penwidth : float
        Base border width; states scale it (``current`` draws it 2.2 times wider).
    cell_size : int
        Side of one heat-map cell, in points.
    background, text, muted, edge, param_edge, grad, border : str
        Colours of the page, normal text, secondary text (shapes, dashes),
        edges, parameter edges, gradients, and node borders.
    grad_italic : bool
        Set gradients in italics (so they differ from values without colour).
    input_fill, parameter_fill, op_fill, constant_fill, group_fill : str
        Node fills by kind (``group_fill``: a collapsed group).
    cluster_fill, cluster_border : str
        Fill and border of a group drawn as a cluster.
    pending, current, done, failed, nonfinite, inherited : str
        Border colours of the states the stepper and the debugger set
        (``inherited``: the node's own backward is right but the gradient it
        received is already wrong).
    current_fill, failed_fill, nonfinite_fill, inherited_fill : str
        Fills of the states that must stand out.
    overlay_scale : tuple of str
        Colour stops of overlays, from low to high.
    overlay_missing : str
        Overlay fill of a node without data (its gradient not computed yet).
    heatmap_neg, heatmap_zero, heatmap_pos, heatmap_nan : str
        Diverging heat-map colours (negative, zero, positive, NaN/Inf).
    """

    name: str
    fontname: str = "DejaVu Sans"
    value_fontname: str = "DejaVu Sans"
    fontsize: float = 18.0
    value_fontsize: float = 14.0
    small_fontsize: float = 12.0
    edge_fontsize: float = 12.0
    title_fontsize: float = 22.0
    nodesep: float = 0.35
    ranksep: float = 0.55
    penwidth: float = 1.4
    cell_size: int = 9
    background: str = "#ffffff"
    text: str = "#1a1a1a"
    muted: str = "#7a7a7a"
    edge: str = "#4d4d4d"
    param_edge: str = "#b07d12"
    grad: str = "#c0392b"
    grad_italic: bool = False
    border: str = "#333333"
    input_fill: str = "#e3eefb"
    parameter_fill: str = "#fff1cc"
    op_fill: str = "#ffffff"
    constant_fill: str = "#f0f0f0"
    group_fill: str = "#eef3e6"
    cluster_fill: str = "#f7f7f7"
    cluster_border: str = "#9e9e9e"
    pending: str = "#b3b3b3"
    current: str = "#1565c0"
    done: str = "#2e7d32"
    failed: str = "#c62828"
    nonfinite: str = "#8e24aa"
    current_fill: str = "#fff59d"
    failed_fill: str = "#fde2e2"
    nonfinite_fill: str = "#f3e5f5"
    inherited: str = "#e65100"
    inherited_fill: str = "#ffd3a6"
    overlay_scale: tuple[str, ...] = ("#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c")
    overlay_missing: str = "#eeeeee"
    heatmap_neg: str = "#2166ac"
    heatmap_zero: str = "#f7f7f7"
    heatmap_pos: str = "#b2182b"
    heatmap_nan: str = "#000000"

    def colours(self) -> dict[str, str]:
        """Every colour of the theme by field name, ``overlay_scale`` as ``overlay_scale_0``, ``_1``, ...

        >>> THEMES["dark"].colours()["background"]
        '#1e1e1e'
        """
        out = {}
        for f in fields(self):
            if f.name in _NOT_COLOURS:
                continue
            value = getattr(self, f.name)
            if f.name == "overlay_scale":
                out.update({f"overlay_scale_{i}": colour for i, colour in enumerate(value)})
            else:
                out[f.name] = value
        return out

    def css_variables(self, prefix: str = "--gad-") -> dict[str, str]:
        """The theme as CSS custom properties, for a viewer's style sheet (the widget, the HTML page).

        Colours become ``--gad-<field-with-dashes>`` (``--gad-current-fill: #fff59d``),
        fonts ``--gad-font-family`` and ``--gad-value-font-family`` (CSS strings,
        escaped), sizes ``--gad-font-size`` ... in ``pt``. Keys are in a fixed
        order, so the same theme gives the same CSS.

        Parameters
        ----------
        prefix : str
            Start of every property name (must start with ``--``).

        Examples
        --------
        >>> variables = THEMES["dark"].css_variables()
        >>> variables["--gad-background"], variables["--gad-font-family"]
        ('#1e1e1e', '"DejaVu Sans"')
        >>> THEMES["lecture"].css(":root").splitlines()[1]
        '  --gad-background: #ffffff;'
        """
        if not re.fullmatch(r"--[A-Za-z0-9_-]*", prefix):
            raise ValueError(f"css_variables: prefix must look like '--name-', got {prefix!r}")
        out = {f"{prefix}{name.replace('_', '-')}": colour for name, colour in self.colours().items()}
        out[f"{prefix}font-family"] = _css_string(self.fontname)
        out[f"{prefix}value-font-family"] = _css_string(self.value_fontname)
        for name in ("fontsize", "value_fontsize", "small_fontsize", "edge_fontsize", "title_fontsize"):
            out[f"{prefix}{name.replace('fontsize', 'font-size').replace('_', '-')}"] = f"{getattr(self, name):g}pt"
        out[f"{prefix}grad-font-style"] = "italic" if self.grad_italic else "normal"
        return out

    def css(self, selector: str = ":root", prefix: str = "--gad-") -> str:
        """A CSS rule that sets :meth:`css_variables` on ``selector`` (``":root"``, ``".gad-viewer"``)."""
        if any(c in selector for c in "{};<>"):
            raise ValueError(f"css: selector must be a plain CSS selector, got {selector!r}")
        body = "".join(f"  {name}: {value};\n" for name, value in self.css_variables(prefix).items())
        return f"{selector} {{\n{body}}}\n"

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name in _NOT_COLOURS:
                continue
            value = getattr(self, f.name)
            for colour in value if f.name == "overlay_scale" else (value,):
                if not isinstance(colour, str) or not _HEX.fullmatch(colour):
                    raise ValueError(
                        f"Theme {self.name!r}: {f.name} must be a 6-digit lowercase hex colour like '#1a2b3c', "
                        f"got {colour!r} (Graphviz 2.43 misreads 3-digit colours)."
                    )
        if len(self.overlay_scale) < 2:
            raise ValueError(f"Theme {self.name!r}: overlay_scale needs at least 2 colours, got {self.overlay_scale!r}")


_NOT_COLOURS = frozenset(
    (
        "name",
        "fontname",
        "value_fontname",
        "fontsize",
        "value_fontsize",
        "small_fontsize",
        "edge_fontsize",
        "title_fontsize",
        "nodesep",
        "ranksep",
        "penwidth",
        "cell_size",
        "grad_italic",
    )
)


LECTURE = Theme(name="lecture")

COMPACT = Theme(
    name="compact",
    fontname="DejaVu Sans Condensed",
    value_fontname="DejaVu Sans Condensed",
    fontsize=11.0,
    value_fontsize=9.0,
    small_fontsize=8.0,
    edge_fontsize=8.0,
    title_fontsize=13.0,
    nodesep=0.15,
    ranksep=0.3,
    penwidth=1.0,
    cell_size=5,
)

DARK = Theme(
    name="dark",
    background="#1e1e1e",
    text="#e8e8e8",
    muted="#9e9e9e",
    edge="#bdbdbd",
    param_edge="#e0b44c",
    grad="#ff8a65",
    border="#cfcfcf",
    input_fill="#1d3650",
    parameter_fill="#4a3a10",
    op_fill="#2b2b2b",
    constant_fill="#333333",
    group_fill="#26361f",
    cluster_fill="#262626",
    cluster_border="#6e6e6e",
    pending="#5c5c5c",
    current="#4fc3f7",
    done="#81c784",
    failed="#ef5350",
    nonfinite="#ce93d8",
    current_fill="#2a2a55",
    failed_fill="#4a1c1c",
    nonfinite_fill="#3b1d44",
    inherited="#ffa040",
    inherited_fill="#5c2a05",
    overlay_scale=("#263238", "#37474f", "#8d6e2f", "#c0562b"),
    overlay_missing="#303030",
    heatmap_neg="#4393c3",
    heatmap_zero="#2b2b2b",
    heatmap_pos="#d6604d",
    heatmap_nan="#ffffff",
)

PRINT = Theme(
    name="print",
    text="#000000",
    muted="#555555",
    edge="#000000",
    param_edge="#000000",
    grad="#000000",
    grad_italic=True,
    border="#000000",
    input_fill="#ffffff",
    parameter_fill="#e0e0e0",
    op_fill="#ffffff",
    constant_fill="#f2f2f2",
    group_fill="#eeeeee",
    cluster_fill="#fafafa",
    cluster_border="#777777",
    pending="#aaaaaa",
    current="#000000",
    done="#000000",
    failed="#000000",
    nonfinite="#000000",
    current_fill="#ededed",
    failed_fill="#c8c8c8",
    nonfinite_fill="#a8a8a8",
    inherited="#000000",
    inherited_fill="#949494",
    overlay_scale=("#ffffff", "#d9d9d9", "#a6a6a6", "#737373"),
    overlay_missing="#f5f5f5",
    heatmap_neg="#000000",
    heatmap_zero="#ffffff",
    heatmap_pos="#000000",
    heatmap_nan="#777777",
)

SLIDE = Theme(
    name="slide",
    fontsize=22.0,
    value_fontsize=20.0,
    small_fontsize=16.0,
    edge_fontsize=16.0,
    title_fontsize=28.0,
    nodesep=0.25,
    ranksep=0.3,
    penwidth=2.0,
    cell_size=12,
)

THEMES: dict[str, Theme] = {t.name: t for t in (LECTURE, COMPACT, DARK, PRINT, SLIDE)}


def get_theme(theme: str | Theme) -> Theme:
    """The :class:`Theme` named ``theme`` (or ``theme`` itself if it is one).

    Raises
    ------
    ValueError
        Unknown theme name; the message lists the known ones.
    """
    if isinstance(theme, Theme):
        return theme
    try:
        return THEMES[theme]
    except (KeyError, TypeError):
        raise ValueError(
            f"render: theme must be one of {', '.join(map(repr, THEMES))} or a viz.themes.Theme, got {theme!r}"
        ) from None


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (quotes, backslashes, line breaks and ``<>`` escaped: safe in <style>)."""
    escaped = "".join(c if c not in '"\\\n\r\f<>' and ord(c) >= 32 else f"\\{ord(c):x} " for c in str(text))
    return f'"{escaped}"'


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def mix(a: str, b: str, t: float) -> str:
    """The colour a fraction ``t`` (0..1) of the way from hex colour ``a`` to ``b``.

    >>> mix("#000000", "#ffffff", 0.5)
    '#808080'
    """
    t = min(max(float(t), 0.0), 1.0)
    channels = (round(x + (y - x) * t) for x, y in zip(_rgb(a), _rgb(b)))
    return "#" + "".join(f"{c:02x}" for c in channels)


def scale_colour(stops: tuple[str, ...], t: float) -> str:
    """The colour at position ``t`` (0..1) of a piecewise-linear colour scale.

    >>> scale_colour(("#000000", "#ff0000", "#ffffff"), 0.75)
    '#ff8080'
    """
    t = min(max(float(t), 0.0), 1.0)
    position = t * (len(stops) - 1)
    i = min(int(position), len(stops) - 2)
    return mix(stops[i], stops[i + 1], position - i)
