"""viz.stepper.frames: spliced frames equal frames drawn whole, boxes never move, a FrameSet on its own."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

import viz
from graphviz_autodiff.i18n import tr
from graphviz_autodiff.ops import Sum
from tests.viz.conftest import (
    lecture5,
    parse_svg,
    svg_nodes,
    svg_text,
)
from tests.viz.stepper.graphs import (
    big_graph,
    branching_graph,
    current_nodes,
    folded_constants,
    mlp_loss,
)
from viz.dot import RenderTimeoutError, run_dot
from viz.drawing import fallback as fallback_module
from viz.readable import value_font_px
from viz.stepper import frames as frames_module
from viz.stepper import layout as layout_module
from viz.stepper.frames import FrameSet
from viz.stepper.svg import split_svg
from viz.stepper.timeline import NodeView, Timeline

pytestmark = pytest.mark.filterwarnings("error::viz.GraphvizWarning")
SVG = "{http://www.w3.org/2000/svg}"


# -- frames -------------------------------------------------------------------------------------------------
def _elements(svg: str) -> dict[str, str]:
    return dict(split_svg(svg)[1])


@pytest.mark.dot
@pytest.mark.parametrize(
    "make",
    [
        lambda: viz.StepperModel(branching_graph(), theme="compact", legend=True),
        lambda: viz.StepperModel(lecture5(), direction="forward", rankdir="TB"),
        lambda: viz.StepperModel(mlp_loss(), lang="ru", heatmap=True),
        lambda: viz.StepperModel(mlp_loss(), direction="forward", theme="dark"),
        lambda: viz.StepperModel(folded_constants()),
    ],
    ids=["failing-compact-legend", "forward-TB", "mlp-ru-heatmap", "mlp-forward-dark", "constants"],
)
def test_spliced_frames_equal_frames_drawn_whole(make):
    """Every spliced frame equals the same scene drawn in one piece with the same pinned positions."""
    stepper = make()
    for k in range(stepper.n_steps + 1):
        spliced = _elements(stepper.svg(k))
        whole = _elements(run_dot(stepper.frames.dot(k), "svg", engine="neato", args=["-n2"]).decode("utf-8"))
        assert set(spliced) == set(whole)
        for name, text in whole.items():
            assert spliced[name].replace(' current"', '"') == text.replace(' current"', '"'), (k, name)
        ET.fromstring(stepper.svg(k))  # valid XML on its own


@pytest.mark.dot
def test_boxes_never_move_between_frames():
    stepper = viz.StepperModel(lecture5())

    def outlines(svg: str) -> dict[str, str]:
        out = {}
        for title, g in svg_nodes(parse_svg(svg)).items():
            shape = next(e for e in g if e.tag in (f"{SVG}path", f"{SVG}polygon"))
            out[title] = shape.get("d") or shape.get("points")
        return out

    first = outlines(stepper.svg(0))
    assert all(outlines(stepper.svg(k)) == first for k in range(1, 5))
    assert stepper.frames.stats["rounds"] <= 4


@pytest.mark.dot
def test_frameset_on_its_own():
    L = Sum()(np.ones(3))
    timeline = Timeline({0: NodeView("pending"), 1: NodeView("pending")})
    timeline.append({1: NodeView("done", np.ones(()), state="current", current=True)}, {(0, 1): np.ones(3)})
    timeline.append({0: NodeView("done", np.ones(3)), 1: NodeView("done", np.ones(()))})
    frames = FrameSet(L.graph, [0, 1], timeline)
    assert len(frames) == 3 and len(list(timeline.scenes())) == 3
    assert current_nodes(frames.svg(1)) == ["n1"] and current_nodes(frames.svg(2)) == []
    assert "← ∂L/∂" in svg_text(parse_svg(frames.svg(2)))
    with pytest.raises(IndexError):
        frames.svg(3)
    with pytest.raises(ValueError, match="overlay= cannot be used"):
        FrameSet(L.graph, [0, 1], timeline, options={"overlay": "grad_norm"})


# -- a graph too big to lay out in time --------------------------------------------------------------------
@pytest.mark.dot
def test_a_layout_that_times_out_falls_back_once_and_is_never_run_again(monkeypatch):
    calls = []

    def counting(source, fmt, **kwargs):
        calls.append(fmt)
        return run_dot(source, fmt, **kwargs)

    monkeypatch.setattr(frames_module, "run_dot", counting)
    monkeypatch.setattr(layout_module, "run_dot", counting)
    monkeypatch.setattr(fallback_module, "run_dot", counting)
    stepper = viz.StepperModel(big_graph(), timeout=0.5)
    assert len(stepper.graph.nx) == 5000 and stepper.n_steps == 2500
    first = stepper.svg()
    assert isinstance(stepper.frames.fallback, RenderTimeoutError) and "fallback_seconds" in stepper.frames.stats
    made = len(calls)
    # the labels' measure (or the layout), stopped by the timeout, then the one small fallback picture
    assert made <= 3 and calls[-1] == "svg"
    text = svg_text(parse_svg(first))  # viz.drawing.fallback's summary: the one home of fallback pictures
    assert "5000 nodes · 4999 edges" in text and "within 0.5 s" in text
    assert tr("fallback.hint", "en") in text and "collapse=True" not in text  # the stepper's own advice
    for k in (1, 2, 1250, 2500):
        stepper.goto(k)
        assert stepper.svg() == first  # one picture for every step; the step's text says where it is
        assert stepper.describe().startswith(f"Step {k} of 2500")
    assert len(calls) == made  # later steps never run Graphviz again
    with pytest.raises(RenderTimeoutError):
        stepper.frames.dot(3)
    ru = viz.StepperModel(big_graph(200), lang="ru", timeout=0.001)
    assert tr("fallback.hint", "ru") in svg_text(parse_svg(ru.svg(1)))


# -- readable by default -------------------------------------------------------------------------------------
@pytest.mark.dot
@pytest.mark.parametrize(("make", "least"), [(lecture5, 11.0), (mlp_loss, 9.0)], ids=["lecture", "mlp"])
def test_every_frame_is_readable_at_1400_px(make, least):
    stepper = viz.StepperModel(make())
    sizes = [value_font_px(stepper.svg(k), 1400) for k in range(stepper.n_steps + 1)]
    assert min(sizes) >= least, sizes
    assert stepper.readability.rankdir == "TB" and stepper.readability.width_px == 1400
    assert stepper.readability.font_px == pytest.approx(sizes[0], rel=1e-3)  # chosen from the layout: the SVG agrees
    left_to_right = viz.StepperModel(make(), rankdir="LR")  # what the stepper drew before
    assert left_to_right.readability is None
    assert max(value_font_px(left_to_right.svg(k), 1400) for k in range(left_to_right.n_steps + 1)) < least
    narrow = viz.StepperModel(make(), width_px=700)
    assert value_font_px(narrow.svg(0), 700) < min(sizes) and narrow.readability.width_px == 700


def test_a_big_graph_is_laid_out_once_in_the_direction_of_its_shape():
    stepper = viz.StepperModel(big_graph(400), timeout=0.001)
    assert stepper.frames is stepper.frames  # made once
    assert stepper.readability.font_px is None and stepper.readability.rankdir == "LR"  # 200 leaves side by side
