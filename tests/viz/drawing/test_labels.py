"""viz.drawing.labels: numbers, summaries, heat-maps, precision."""

from __future__ import annotations

import re

import graphviz
import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff.ops import Identity, Linear, Sum
from tests.viz.conftest import SVG_NS, lecture5, parse_svg
from tests.viz.drawing.helpers import fmt, lecture_numbers, node_stmt
from viz.dot import run_dot
from viz.drawing.labels import (
    LINE_BREAK,
    MAX_NAME,
    MAX_TEXT,
    clip,
    escape,
    escape_attr,
    format_value,
    heatmap_table,
    split_lines,
)
from viz.themes import THEMES

# Graphviz printing anything on stderr (an unknown colour, a bad attribute) fails the test.
pytestmark = pytest.mark.filterwarnings("error::viz.GraphvizWarning")


def test_precision():
    L = lecture5(backward=True)
    theta_grad = lecture_numbers()["dtheta"]
    assert fmt(theta_grad, 4) in viz.to_dot(L, precision=4)
    two = viz.to_dot(L, precision=2)
    assert fmt(theta_grad, 2) in two and fmt(theta_grad, 4) not in two
    assert fmt(theta_grad, 2) != fmt(theta_grad, 4)


def test_max_array_switches_between_full_values_and_summary():
    L = lecture5(backward=True)
    default = node_stmt(viz.to_dot(L), "n0")  # X has 20 elements > 6
    assert "min -1.2 · mean 0.565 · max 2" in default
    full = node_stmt(viz.to_dot(L, max_array=20), "n0")
    assert "min " not in full and "[[0.5, 1, -0.2, 2]" in full and full.count('<BR ALIGN="LEFT"/>') >= 8
    small = node_stmt(viz.to_dot(L, max_array=3), "n1")  # θ has 4 elements
    assert "min -0.25 · mean 0.1625 · max 0.5" in small


def test_summary_counts_nan_and_inf():
    a = np.array([1.0, np.nan, np.inf, -np.inf, 3.0, np.nan, 5.0])
    assert format_value(a, 4, 6, "en") == ["min 1 · mean 3 · max 5", "NaN: 2 · Inf: 2"]
    assert format_value(np.array([-0.0, 1e-20]), 3, 6, "en") == ["[0, 1e-20]"]


def test_heatmap_draws_a_table_of_cells():
    L = lecture5(backward=True)
    plain = node_stmt(viz.to_dot(L), "n0")
    heat = node_stmt(viz.to_dot(L, heatmap=True), "n0")
    assert "FIXEDSIZE" not in plain
    # X (5×4) value and gradient: 2 tables of 20 cells each.
    assert heat.count('FIXEDSIZE="TRUE"></TD>') == 40
    table = heatmap_table(np.array([[-2.0, 0.0], [1.0, np.nan]]), THEMES["lecture"])
    t = THEMES["lecture"]
    assert table.count("<TD ") == 4
    assert f'BGCOLOR="{t.heatmap_neg}"' in table and f'BGCOLOR="{t.heatmap_zero}"' in table
    assert f'BGCOLOR="{t.heatmap_nan}"' in table
    assert heatmap_table(np.array(3.0), t) is None
    big = heatmap_table(np.arange(100.0 * 100).reshape(100, 100), t)
    assert big.count("<TD ") <= 24 * 24


# -- hostile names: every user string is drawable --------------------------------------------------------------
HOSTILE = {
    "LF": "a\nb",
    "CR": "a\rb",
    "CRLF": "a\r\nb",
    "NEL": "a\x85b",
    "LS": "a\u2028b",
    "PS": "a\u2029b",
    "surrogate": "a\ud800b",
    "noncharacter": "a\uffffb",
    "long": "x" * 100_000,
    "markup": "a&b<c>\"d'e]]>f\\N\\G\\E\\T\\H\\l\\\\&amp;&#92;N",
}


def shown(name: str, limit: int = MAX_NAME) -> str:
    """How a name is drawn: one line (↵ for a line break), U+FFFD for what XML cannot hold, clipped."""
    one_line = re.sub("\r\n|[\n\r\x85\u2028\u2029]", LINE_BREAK, name)
    return clip(re.sub("[\ud800-\udfff\ufffe\uffff]", "\ufffd", one_line), limit)


def hostile_graph(name: str) -> tuple[gad.Graph, gad.Tensor]:
    """Every kind of user string set to ``name``: graph title, input, parameter, op, output, group."""
    with gad.Graph(name=name) as g:
        x = gad.Tensor(np.array([1.0, 2.0]), name=name)
        linear = Linear(2, theta=np.array([0.5, 1.0]))
        linear.theta.name = name
        with gad.group(name, kind=name, n_params=2):
            out = Identity(name=name)(x * linear(np.eye(2)))
        out.name = name
        loss = Sum()(out)
    loss.backward()
    return g, loss


def test_escape_keeps_text_on_one_line_and_encodable():
    for name in HOSTILE.values():
        text = escape(name)
        assert len(text.splitlines()) == 1 and "\n" not in text
        text.encode("utf-8")  # no lone surrogate left
        assert "<" not in text and ">" not in text and '"' not in text
        assert len(text) <= 6 * MAX_TEXT
    assert escape("a\r\nb") == "a↵b"  # one break, one arrow
    assert escape("tab\there\x01") == "tab\there "
    assert clip("x" * 100_000) == "x" * (MAX_NAME - 1) + "…"
    assert split_lines("one\r\ntwo\u2029three") == ["one", "two", "three"]


@pytest.mark.dot
@pytest.mark.parametrize("key", sorted(HOSTILE))
def test_hostile_names_render_in_svg_and_every_file_format(key, tmp_path):
    name = HOSTILE[key]
    g, _ = hostile_graph(name)
    root = parse_svg(viz.to_svg(g, legend=True))  # valid XML
    texts = [t.text or "" for t in root.iter(f"{SVG_NS}text")]
    # input, parameter, op header, output key, group cluster (and the title, clipped longer)
    assert sum(shown(name) in t for t in texts) >= 4, texts[:20]
    assert any(shown(name, 2 * MAX_NAME) in t for t in texts)  # the title
    assert any(f"∂L/∂{shown(name, 24)}" in t for t in texts)
    for fmt_, magic in (("svg", b"<?xml"), ("pdf", b"%PDF"), ("png", b"\x89PNG")):
        path = viz.save(g, tmp_path / f"hostile.{fmt_}", legend=True)
        assert path.read_bytes().startswith(magic)
    parse_svg((tmp_path / "hostile.svg").read_text(encoding="utf-8"))


@pytest.mark.dot
@pytest.mark.parametrize("key", ["LF", "LS", "surrogate", "long", "markup"])
def test_a_stepper_over_hostile_names_renders_every_frame(key):
    """The stepper splices frames from the DOT line by line: every statement must stay on one line."""
    name = HOSTILE[key]
    _, loss = hostile_graph(name)
    stepper = viz.StepperModel(loss)
    for k in range(stepper.n_steps + 1):
        stepper.goto(k)
        root = parse_svg(stepper.svg())
        assert any(shown(name) in (t.text or "") for t in root.iter(f"{SVG_NS}text"))


@pytest.mark.dot
def test_escape_attr_shows_backslashes_entities_and_markup_literally():
    """Plain DOT attributes (id, tooltip) read \\N, \\G, &amp; and <...>: escape_attr turns all of that off."""
    text = "a\\N b\\G c\\L d\\n e\\ f\\\\ \"q\" 's' & &amp; <b> ]]> end\\"
    dot = graphviz.Digraph(name="G")
    dot.node("n0", label="x", id=escape_attr(text), tooltip=escape_attr(text, tooltip=True))
    root = parse_svg(run_dot(dot.source, "svg").decode("utf-8"))
    ids = [el.get("id") for el in root.iter()]
    titles = [el.get("{http://www.w3.org/1999/xlink}title") for el in root.iter()]
    assert text in ids and text in titles
    assert str(escape_attr("DejaVu Sans")) == "DejaVu Sans"
    assert "\n" not in escape_attr("a\nb") and escape_attr("a\ud800") == "a\ufffd"
