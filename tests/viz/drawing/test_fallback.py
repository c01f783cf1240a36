"""viz.drawing.fallback: a layout that times out gives one fallback picture, and is not tried again."""

from __future__ import annotations

import time

import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff.nn import Module
from graphviz_autodiff.ops import Identity, Sum
from tests.viz.conftest import SVG_NS, lecture5, parse_svg, svg_nodes
from tests.viz.drawing.helpers import tree_sum
from viz.drawing.fallback import (
    FallbackWarning,
    failed_before,
    fallback_svg,
    forget_failures,
    layout_key,
    remember_failure,
    summarize,
    summary_diagram,
)

pytestmark = [
    pytest.mark.filterwarnings("error::viz.GraphvizWarning"),
    pytest.mark.filterwarnings("ignore:.*nodes to draw, more than max_nodes"),
]


@pytest.fixture(autouse=True)
def _fresh_memory():
    forget_failures()
    yield
    forget_failures()


def texts(svg: str) -> str:
    return " ".join(t.text or "" for t in parse_svg(svg).iter(f"{SVG_NS}text"))


class Block(Module):
    """50 Identity calls in a row, as one group."""

    def forward(self, x):
        for _ in range(50):
            x = Identity()(x)
        return x


def grouped_chain(blocks: int) -> gad.Tensor:
    x = gad.Tensor(np.ones(2), name="x")
    for _ in range(blocks):
        x = Block()(x)
    return Sum()(x)


@pytest.mark.dot
def test_on_timeout_raise_keeps_the_error():
    loss = tree_sum(300)
    with pytest.raises(viz.RenderTimeoutError, match=r"did not finish within timeout=0\.001"):
        viz.to_svg(loss, timeout=0.001, max_nodes=None, on_timeout="raise")
    with pytest.raises(ValueError, match="on_timeout must be one of 'fallback', 'raise'"):
        viz.to_svg(loss, on_timeout="ignore")


@pytest.mark.dot
def test_five_thousand_nodes_give_a_summary_within_the_timeout_once(tmp_path):
    loss = tree_sum(2500)  # 5,000 nodes: Graphviz needs minutes
    loss.backward()
    timeout = 2.0
    start = time.perf_counter()
    source = viz.to_dot(loss, max_nodes=None)
    build = time.perf_counter() - start  # the DOT source itself, before Graphviz runs
    start = time.perf_counter()
    with pytest.warns(FallbackWarning, match=r"within timeout=2\.0 s; drawing the summary view"):
        svg = viz.to_svg(loss, timeout=timeout, max_nodes=None)
    first = time.perf_counter() - start
    # One layout attempt cut at the timeout, then the small summary (loose: the machine is shared).
    assert first < 2 * build + timeout + 10.0
    shown = texts(svg)
    assert "5000 nodes · 4999 edges · 0 groups" in shown and "input: 2500 · op: 2500" in shown
    assert "Add" in shown and "2499" in shown and "timeout=60" in shown and "collapse=True" in shown
    assert list(svg_nodes(parse_svg(svg))) == ["summary"]
    assert failed_before(source, timeout) and not failed_before(source, 2 * timeout)
    # The next picture of the same graph (other numbers, same structure) does not wait for the layout again.
    with pytest.warns(FallbackWarning, match="failed before, so it was not tried again"):
        again = viz.to_svg(loss, timeout=timeout, max_nodes=None)
    assert again == svg
    # Files: raise by default, the fallback on request.
    with pytest.raises(viz.RenderTimeoutError):
        viz.save(loss, tmp_path / "big.svg", timeout=timeout, max_nodes=None)
    with pytest.warns(FallbackWarning):
        path = viz.save(loss, tmp_path / "big.png", timeout=timeout, max_nodes=None, on_timeout="fallback")
    assert path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.dot
def test_a_graph_with_groups_falls_back_to_its_collapsed_view():
    # 5,002 nodes in 100 clusters: far beyond 1 s for dot's clustered layout on any machine, while the
    # collapsed view (102 nodes) takes a fraction of it.
    loss = grouped_chain(100)
    with pytest.warns(FallbackWarning, match="drawing the collapsed view"):
        svg = viz.to_svg(loss, timeout=1.0, max_nodes=None)
    nodes = svg_nodes(parse_svg(svg))
    assert len(nodes) == 102 and sum(1 for g in nodes.values() if "group" in g.get("class")) == 100
    assert "collapsed view: Graphviz could not lay this graph out within 1 s." in texts(svg)


@pytest.mark.dot
def test_jupyter_display_falls_back_instead_of_raising():
    from IPython.core.interactiveshell import InteractiveShell

    loss = tree_sum(2500)
    shell = InteractiveShell.instance()
    with pytest.warns(FallbackWarning):
        data, _ = shell.display_formatter.format(viz.render(loss, timeout=0.01, max_nodes=None))
    assert "summary" in svg_nodes(parse_svg(data["image/svg+xml"]))
    with pytest.warns(FallbackWarning, match="not tried again"):
        svg = viz.display.graph_svg(loss.graph, timeout=0.01)
    assert "summary" in svg_nodes(parse_svg(svg))


@pytest.mark.dot
def test_fallback_svg_for_the_stepper():
    L = lecture5(backward=True)
    svg = fallback_svg(L, "too big for the stepper", timeout=30, lang="ru")
    assert svg.startswith("<svg")
    shown = texts(svg)
    assert "too big for the stepper" in shown and "узлов: 7" in shown and "timeout=120" in shown
    grouped = grouped_chain(3)
    collapsed = fallback_svg(grouped, "reason")
    assert sum(1 for g in svg_nodes(parse_svg(collapsed)).values() if "group" in g.get("class")) == 3
    summary = fallback_svg(grouped, "reason", summary_only=True)
    assert list(svg_nodes(parse_svg(summary))) == ["summary"]


def test_summary_counts_and_histogram():
    x = gad.Tensor(np.ones(2), name="x")
    with gad.Graph(name="many ops") as g:
        y = x
        for i in range(15):
            for _ in range(i + 1):
                y = Identity(name=f"op{i:02d}")(y)
    s = summarize(g)
    assert s.title == "many ops" and s.n_nodes == 121 and s.n_edges == 120 and s.kinds == (("input", 1), ("op", 120))
    assert s.ops[0] == ("op14", 15) and s.ops[-1] == ("op00", 1)
    source = summary_diagram(s, "why", timeout=None).source
    assert "op14" in source and "op03" in source and "op02" not in source  # 12 rows
    assert "… and 3 more ops (6 calls)" in source and "timeout=" not in source


def test_layout_key_ignores_numbers_and_states():
    L = lecture5()
    before = viz.to_dot(L)
    L.backward()
    after = viz.to_dot(L, states={2: "current"}, legend=True)
    assert layout_key(before) == layout_key(after)
    assert layout_key(before) != layout_key(viz.to_dot(L, rankdir="TB"))
    assert layout_key(before) != layout_key(viz.to_dot(tree_sum(3)))
    remember_failure(before, 5.0)
    assert failed_before(after, 5.0) and failed_before(after, 1.0) and not failed_before(after, 6.0)
    assert not failed_before(after, None)
    forget_failures()
    assert not failed_before(after, 1.0)
