"""viz.render / viz.to_dot / viz.to_svg end to end: golden files, structure of the SVG, determinism, big graphs."""

from __future__ import annotations

import re

import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff.ops import Identity, Linear, Squared, Sum
from tests.viz.conftest import (
    LECTURE_THETA,
    LECTURE_X,
    LECTURE_Y,
    check_golden,
    lecture5,
    parse_svg,
    svg_edges,
    svg_nodes,
    svg_text,
)
from tests.viz.drawing.helpers import fmt, lecture_numbers, tree_sum
from viz.drawing.labels import format_scalar
from viz.themes import THEMES

# Graphviz printing anything on stderr (an unknown colour, a bad attribute) fails the test.
pytestmark = pytest.mark.filterwarnings("error::viz.GraphvizWarning")


@pytest.mark.parametrize("theme", sorted(THEMES))
@pytest.mark.parametrize("phase", ["before", "after"])
def test_lecture5_dot_matches_golden(theme, phase):
    L = lecture5(backward=phase == "after")
    check_golden(f"lecture5_{theme}_{phase}_backward.dot", viz.to_dot(L, theme=theme, legend=True))


@pytest.mark.dot
def test_lecture5_svg_structure_after_backward():
    L = lecture5(backward=True)
    root = parse_svg(viz.to_svg(L))
    nodes = svg_nodes(root)
    assert sorted(nodes) == [f"n{i}" for i in range(7)]
    assert {n: g.get("id") for n, g in nodes.items()} == {f"n{i}": f"node{i}" for i in range(7)}
    want = lecture_numbers()
    theta = svg_text(nodes["n1"])
    assert "θ" in theta and "parameter" in theta and "∂L/∂θ =" in theta
    assert fmt(LECTURE_THETA) in theta and fmt(want["dtheta"]) in theta
    linear = svg_text(nodes["n2"])
    assert "Linear" in linear and fmt(want["z"]) in linear and fmt(want["dmu"]) in linear
    loss = svg_text(nodes["n6"])
    assert format_scalar(want["L"], 4) in loss and "∂L/∂L =" in loss
    assert fmt(want["dy"]) in svg_text(nodes["n4"])
    # Every node is done; edges carry ids and the gradient notation.
    assert all(g.get("class").split()[1] == "done" for g in nodes.values())
    edges = svg_edges(root)
    assert set(edges) == {"edge_n0_n2", "edge_n1_n2", "edge_n2_n3", "edge_n3_n5", "edge_n4_n5", "edge_n5_n6"}
    assert "← ∂L/∂θ" in svg_text(edges["edge_n1_n2"])


@pytest.mark.dot
def test_lecture5_svg_before_backward_shows_dashes_not_zeros():
    L = lecture5(backward=False)
    root = parse_svg(viz.to_svg(L))
    nodes = svg_nodes(root)
    assert len(nodes) == 7
    for name, g in nodes.items():
        assert g.get("class").split()[1:] in (["forward", "op"], ["forward", "input"], ["forward", "parameter"])
        text = svg_text(g)
        assert re.search(r"∂L/∂\S+ = +—", text), (name, text)
    # The gradient rows hold a dash and nothing else: no number after "∂L/∂θ =".
    assert "∂L/∂θ = —" in " ".join(svg_text(nodes["n1"]).split())
    assert "←" not in svg_text(root)


def test_same_graph_twice_gives_identical_dot():
    first = viz.to_dot(lecture5(backward=True), legend=True, heatmap=True, overlay="grad_norm")
    second = viz.to_dot(lecture5(backward=True), legend=True, heatmap=True, overlay="grad_norm")
    assert first == second
    assert "0x" not in first  # no memory addresses


@pytest.mark.dot
def test_same_graph_twice_gives_identical_svg():
    assert viz.to_svg(lecture5(backward=True), theme="dark") == viz.to_svg(lecture5(backward=True), theme="dark")


def test_tensor_draws_only_its_ancestors():
    X, y = gad.Tensor(LECTURE_X, name="X"), gad.Tensor(LECTURE_Y, name="y")
    z = Linear(4, theta=LECTURE_THETA.copy())(X)
    L = Sum()(Squared()(Identity()(z), y))
    assert len(L.graph.nx) == 7
    source = viz.to_dot(z)
    for name in ("n0", "n1", "n2"):
        assert re.search(rf"^\s*{name} \[", source, flags=re.MULTILINE)
    for name in ("n3", "n4", "n5", "n6"):
        assert not re.search(rf"^\s*{name} \[", source, flags=re.MULTILINE)


def test_rejects_things_that_are_not_graphs():
    with pytest.raises(TypeError, match="expected a graphviz_autodiff Graph or Tensor, got ndarray"):
        viz.render(np.ones(3))
    with gad.no_record():
        t = Sum()(np.ones(3))
    with pytest.raises(ValueError, match="not part of a recorded graph"):
        viz.render(t)


def test_diagram_copy_keeps_timeout():
    dot = viz.render(lecture5(), timeout=12.5)
    assert isinstance(dot, viz.Diagram) and dot.copy().timeout == 12.5


EVIL = ["<script>alert(1)</script>", '"&<>', "a'b\\n]]>", "x\x01y"]


@pytest.mark.dot
@pytest.mark.parametrize("evil", EVIL)
def test_user_text_is_escaped_and_shown_literally(evil):
    with gad.Graph(name=evil) as g:
        x = gad.Tensor(np.array([1.0, 2.0]), name=evil)
        out = Identity(name=evil)(x)
        out.name = evil
        with gad.group(evil, n_params=0):
            Sum()(out)
    source = viz.to_dot(g, legend=True)
    assert "<script>" not in source
    svg = viz.to_svg(g, legend=True)
    root = parse_svg(svg)  # valid XML
    shown = evil.replace("\x01", " ")
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert sum(shown in t for t in texts) >= 4  # title, leaf, op header, group label (and ∂L/∂name keys)
    assert not list(root.iter("{http://www.w3.org/2000/svg}script"))


@pytest.mark.dot
def test_unicode_names_render():
    x = gad.Tensor(np.array([1.0, -1.0]), name="ŷ")
    out = Identity(name="Тождество")(x)
    out.name = "μ"
    svg = viz.to_svg(Sum()(out), title="Лекция 5: θ", lang="ru", legend=True)
    text = svg_text(parse_svg(svg))
    for word in ("ŷ", "Тождество", "μ", "∂L/∂μ", "Лекция 5: θ", "Легенда"):
        assert word in text
    assert 'font-family="DejaVu Sans' in svg


@pytest.mark.dot
def test_two_thousand_nodes_render_to_svg():
    loss = tree_sum(1000)
    loss.backward()
    assert len(loss.graph.nx) == 2000
    with pytest.warns(UserWarning, match=r"2000 nodes to draw, more than max_nodes=500.*collapse=True"):
        svg = viz.to_svg(loss, theme="compact", timeout=120)
    nodes = svg_nodes(parse_svg(svg))
    assert len(nodes) == 2000 and "n1999" in nodes
