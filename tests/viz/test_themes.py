"""viz.themes: colours and fonts of the themes, validated colours."""

from __future__ import annotations

import re

import pytest

import viz
from tests.viz.conftest import (
    lecture5,
)
from viz.themes import THEMES, Theme

# Graphviz printing anything on stderr (an unknown colour, a bad attribute) fails the test.
pytestmark = pytest.mark.filterwarnings("error::viz.GraphvizWarning")


def test_themes_change_colours_and_fonts():
    L = lecture5(backward=True)
    lecture, dark, compact = (viz.to_dot(L, theme=name) for name in ("lecture", "dark", "compact"))
    assert 'bgcolor="#1e1e1e"' in dark and 'bgcolor="#ffffff"' in lecture
    assert 'POINT-SIZE="18"' in lecture and 'POINT-SIZE="11"' in compact
    printed = viz.to_dot(L, theme="print")
    assert "<I>" in printed and "<I>" not in lecture  # gradients in italics on paper
    custom = Theme(name="mine", fontname="DejaVu Serif", grad="#123456")
    assert 'COLOR="#123456"' in viz.to_dot(L, theme=custom)


def test_theme_colours_are_six_digit_hex():
    for theme in THEMES.values():
        for name, value in vars(theme).items():
            if isinstance(value, str) and value.startswith("#"):
                assert re.fullmatch(r"#[0-9a-f]{6}", value), (theme.name, name)
        assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in theme.overlay_scale)
    with pytest.raises(ValueError, match="6-digit"):
        Theme(name="bad", text="#eef")


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_every_state_has_a_colour_of_its_own(theme):
    t = THEMES[theme]
    fills = {
        "input": t.input_fill,
        "parameter": t.parameter_fill,
        "op": t.op_fill,
        "constant": t.constant_fill,
        "group": t.group_fill,
        "current": t.current_fill,
        "failed": t.failed_fill,
        "nonfinite": t.nonfinite_fill,
    }
    assert t.inherited_fill not in fills.values()
    if theme != "print":  # grayscale: borders are all black there; the fill and the diagonals tell
        borders = {t.border, t.pending, t.current, t.done, t.failed, t.nonfinite}
        assert t.inherited not in borders


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_css_variables_carry_every_colour_for_the_viewer(theme):
    t = THEMES[theme]
    variables = t.css_variables()
    colours = t.colours()
    assert len(colours) == len(set(colours)) and colours["inherited_fill"] == t.inherited_fill
    for name, colour in colours.items():
        assert variables["--gad-" + name.replace("_", "-")] == colour
        assert re.fullmatch(r"#[0-9a-f]{6}", colour)
    assert variables["--gad-font-size"] == f"{t.fontsize:g}pt"
    assert variables["--gad-grad-font-style"] == ("italic" if t.grad_italic else "normal")
    assert list(variables) == list(t.css_variables())  # a fixed order: the same CSS every time
    rule = t.css(".gad-viewer")
    assert rule.startswith(".gad-viewer {\n") and rule.endswith("}\n") and f"--gad-background: {t.background};" in rule


def test_css_escapes_what_a_theme_author_typed():
    odd = Theme(name="odd", fontname='Evil"; } </style><script>')
    family = odd.css_variables()["--gad-font-family"]
    assert family.startswith('"') and family.endswith('"') and '"' not in family[1:-1]
    assert "<" not in family and ">" not in family and "}" in family  # inside the string, harmless
    assert odd.css_variables(prefix="--x-")["--x-background"] == "#ffffff"
    with pytest.raises(ValueError, match="prefix"):
        odd.css_variables(prefix="gad")
    with pytest.raises(ValueError, match="selector"):
        odd.css("body { color: red }")
