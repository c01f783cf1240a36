"""viz.slides: the slide preset and fixed canvases (16:9 pictures whose values read from the back row)."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

import viz
from graphviz_autodiff.course.datasets import lecture5 as lecture5_data
from graphviz_autodiff.ops import Identity, Linear, Squared, Sum
from tests.viz.conftest import SVG_NS, lecture5, parse_svg
from viz.slides import PRESETS, SLIDE_CANVAS, Preset, canvas_attributes, fit_to_canvas, get_preset

pytestmark = pytest.mark.filterwarnings("error::viz.GraphvizWarning")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def lecture_graph():
    """The lecture graph on the lecture's own data: Sum(Squared(Identity(Linear(4)(X)), y)), after backward."""
    data = lecture5_data()
    loss = Sum()(Squared()(Identity()(Linear(4)(data.X)), data.y))
    loss.backward()
    return loss


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def svg_scale(root) -> float:
    """The scale Graphviz applies to the drawing (``transform="scale(s s) ..."`` of the top group)."""
    return float(re.search(r"scale\(([\d.]+)", root.find(f"{SVG_NS}g").get("transform")).group(1))


VALUE = re.compile(r"^(min |\[|-?\d)")  # a value or gradient: "min -3.5 · mean …", "[0.5, 1]", "991.7"


def value_px(svg: str, width_px: float) -> float:
    """The smallest on-screen height in pixels of the values and gradients on the nodes when the SVG is
    shown ``width_px`` wide: font-size × the drawing's scale × pixels per SVG unit."""
    root = parse_svg(svg)
    per_unit = width_px / float(root.get("width").removesuffix("pt"))
    values = [float(t.get("font-size")) for t in root.iter(f"{SVG_NS}text") if t.text and VALUE.match(t.text)]
    assert len(values) >= 12  # value and gradient of each of the 7 nodes (the loss's gradient is "1")
    return min(values) * svg_scale(root) * per_unit


@pytest.mark.dot
def test_the_lecture_graph_fills_a_16_9_slide_and_its_values_read_at_24px(tmp_path):
    loss = lecture_graph()
    png = viz.save(loss, tmp_path / "lecture_slide.png", preset="slide")
    width, height = png_size(png.read_bytes())
    assert (width, height) == (1920, 1080)
    svg = viz.to_svg(loss, preset="slide")
    root = parse_svg(svg)
    w, h = (float(root.get(k).removesuffix("pt")) for k in ("width", "height"))
    assert abs(w / h - 16 / 9) <= 0.01 * 16 / 9
    assert value_px(svg, 1920) >= 24
    # Only what is there is in the legend: no "failed", no "pending" on a finished graph.
    legend = " ".join(t.text or "" for t in root.iter(f"{SVG_NS}text"))
    assert "done" in legend and "failed" not in legend and "pending" not in legend
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "lecture5_slide.png").write_bytes(png.read_bytes())  # looked at by a person, see the report


@pytest.mark.dot
def test_slide_preset_for_save_all_and_every_format(tmp_path):
    written = viz.save_all(lecture5(backward=True), tmp_path, "slide", ("svg", "pdf", "png"), preset="slide")
    assert [p.suffix for p in written] == [".svg", ".pdf", ".png"]
    assert png_size(written[2].read_bytes()) == (1920, 1080)
    assert written[1].read_bytes().startswith(b"%PDF")
    svg = written[0].read_text(encoding="utf-8")
    root = parse_svg(svg)
    assert (root.get("width"), root.get("height")) == ("1152pt", "648pt")


@pytest.mark.dot
def test_explicit_options_win_over_the_preset(tmp_path):
    L = lecture5(backward=True)
    source = viz.to_dot(L, theme="slide", legend="present", rankdir="LR")
    fitted = viz.export.diagram_of(L, preset="slide", rankdir="LR", theme="dark")
    assert "rankdir=LR" in fitted.source and 'bgcolor="#1e1e1e"' in fitted.source
    assert "Legend" in source
    path = viz.save(L, tmp_path / "big.png", preset="slide", dpi=60)
    assert png_size(path.read_bytes()) == (960, 540)


@pytest.mark.dot
def test_any_canvas_keeps_the_drawing_and_pads_the_short_sides(tmp_path):
    L = lecture5(backward=True)
    svg = viz.to_svg(L, canvas=(4, 3))
    root = parse_svg(svg)
    w, h = (float(root.get(k).removesuffix("pt")) for k in ("width", "height"))
    assert abs(w / h - 4 / 3) < 0.01 and max(w / (4 * 72), h / (3 * 72)) == pytest.approx(1, abs=0.01)
    with pytest.raises(ValueError, match="canvas must be"):
        viz.to_svg(L, canvas=(16, 0))


def test_canvas_attributes_pad_the_short_side():
    wide = canvas_attributes((0, 0, 1600, 90), (16, 9))  # a strip: pad above and below
    pad_x, pad_y = (float(v) for v in wide["pad"].split(","))
    assert pad_x == 0.2 and (90 + 2 * pad_y * 72) * 16 == pytest.approx((1600 + 28.8) * 9, rel=1e-4)
    tall = canvas_attributes((0, 0, 100, 900), (16, 9))  # a column: pad left and right
    pad_x, pad_y = (float(v) for v in tall["pad"].split(","))
    assert pad_y == 0.2 and (100 + 2 * pad_x * 72) * 9 == pytest.approx((900 + 28.8) * 16, rel=1e-4)
    assert wide["size"] == "16,9!"


@pytest.mark.dot
def test_fit_to_canvas_keeps_the_direction_drawn_largest():
    L = lecture5(backward=True)
    lr, tb = (viz.render(L, theme="slide", rankdir=r) for r in ("LR", "TB"))
    assert "rankdir=TB" in fit_to_canvas([lr, tb], SLIDE_CANVAS).source  # the chain is too long for a wide slide
    assert "rankdir=LR" in fit_to_canvas([lr], SLIDE_CANVAS).source
    with pytest.raises(ValueError, match="no diagram"):
        fit_to_canvas([], SLIDE_CANVAS)


def test_presets():
    assert get_preset("slide") is PRESETS["slide"] and get_preset(None) is None
    mine = Preset(name="mine", options={"theme": "print"}, canvas=(4, 3))
    assert get_preset(mine) is mine
    with pytest.raises(ValueError, match="preset must be one of 'slide'"):
        get_preset("poster")
