"""viz.readable: the layout direction that shows the values biggest at fit to width, measured on the SVG."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff.ops import Add, Concat, Sum
from tests.viz.conftest import lecture5
from tests.viz.stepper.graphs import mlp_loss
from viz.readable import CSS_PX_PER_PT, Readability, choose_rankdir, shape_rankdir, value_font_px


def svg_of(width_pt: float, view_width: float, sizes: list[float]) -> str:
    texts = "".join(f'<text font-size="{s:.2f}">1</text>' for s in sizes)
    return (
        f'<svg width="{width_pt}pt" height="100pt" viewBox="0.00 0.00 {view_width:.2f} 100.00">'
        f'<g id="node1" class="node">{texts}</g><g id="edge1" class="edge"><text font-size="9.00">e</text></g></svg>'
    )


def test_value_font_px_reads_the_viewbox_and_the_commonest_node_font():
    assert value_font_px(svg_of(2800, 2800, [14, 14, 12]), 1400) == pytest.approx(7.0)  # shrunk to half
    assert value_font_px(svg_of(600, 600, [14, 14, 12]), 1400) == pytest.approx(14 * CSS_PX_PER_PT)  # never enlarged
    assert value_font_px(svg_of(1000, 2000, [12, 14]), 1400) == pytest.approx(12 * 1000 * CSS_PX_PER_PT / 2000)
    with pytest.raises(ValueError, match="viewBox"):
        value_font_px("<svg/>", 100)
    with pytest.raises(ValueError, match="no text"):
        value_font_px('<svg width="1pt" viewBox="0 0 1 1"></svg>', 100)


def test_shape_rankdir():
    assert shape_rankdir(nx.path_graph(4, create_using=nx.DiGraph)) == "TB"  # a chain
    fan = nx.DiGraph([(i, 99) for i in range(8)])
    assert shape_rankdir(fan) == "LR"  # eight inputs side by side
    assert shape_rankdir(nx.DiGraph()) == "LR"


@pytest.mark.dot
@pytest.mark.parametrize(("make", "least"), [(lambda: lecture5(backward=True), 11.0), (mlp_loss, 9.0)])
def test_the_lecture_and_the_mlp_are_readable_at_1400_px(make, least):
    loss = make()
    choice = choose_rankdir(loss, width_px=1400)
    assert isinstance(choice, Readability) and choice.rankdir == "TB"
    assert choice.font_px >= least > choice.candidates["LR"] - 2.5
    assert choice.font_px == pytest.approx(value_font_px(viz.to_svg(loss, rankdir="TB"), 1400))


@pytest.mark.dot
def test_a_wide_fan_stays_left_to_right():
    xs = [gad.Tensor(np.ones(2), name=f"x{i}") for i in range(12)]
    choice = choose_rankdir(Sum()(Concat()(*xs)), width_px=1400)  # twelve inputs side by side
    assert choice.rankdir == "LR" and choice.candidates["LR"] > choice.candidates["TB"]


def test_big_graphs_are_decided_from_their_shape_and_bad_arguments():
    x = gad.Tensor(np.ones(2), name="x")
    for _ in range(20):
        x = Add()(x, np.ones(2))
    choice = choose_rankdir(Sum()(x), max_trial_nodes=10)
    assert choice == Readability("TB", None, 1400.0)
    with pytest.raises(ValueError, match="rankdir is what it chooses"):
        choose_rankdir(x, rankdir="LR")
    with pytest.raises(ValueError, match="width_px"):
        choose_rankdir(x, width_px=0)
