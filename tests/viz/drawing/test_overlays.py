"""viz.drawing.overlays: overlay colours, the caption and the legend."""

from __future__ import annotations

import re

import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff.ops import Sum
from tests.viz.conftest import Record, Report, lecture5
from tests.viz.drawing.helpers import fill, node_stmt
from viz.themes import THEMES, scale_colour

# Graphviz printing anything on stderr (an unknown colour, a bad attribute) fails the test.
pytestmark = pytest.mark.filterwarnings("error::viz.GraphvizWarning")


def test_overlay_grad_norm_colours_by_gradient_size():
    L = lecture5(backward=True)
    t = THEMES["lecture"]
    plain = viz.to_dot(L)
    source = viz.to_dot(L, overlay="grad_norm", legend=True)
    norms = {n: np.linalg.norm(np.asarray(L.graph.nx.nodes[n]["grad"])) for n in range(7)}
    biggest = max(norms, key=norms.get)
    smallest = min(norms, key=norms.get)
    assert fill(source, f"n{biggest}") == t.overlay_scale[-1]
    assert fill(source, f"n{smallest}") == t.overlay_scale[0]
    assert fill(plain, "n1") == t.parameter_fill != fill(source, "n1")
    assert "gradient norm" in source and source.count('WIDTH="16" HEIGHT="12"') == 8  # the colour bar
    before = viz.to_dot(lecture5(), overlay="grad_norm")
    assert fill(before, "n2") == t.overlay_missing  # no gradient yet: "no data"


def test_overlay_magnitude_uses_log_scale_of_values():
    x = gad.Tensor(np.array([1e-3, 1e-3]), name="small")
    big = gad.Tensor(np.array([1e3, 1e3]), name="big")
    loss = Sum()(x * big)
    source = viz.to_dot(loss, overlay="magnitude")
    t = THEMES["lecture"]
    assert fill(source, f"n{big.node}") == t.overlay_scale[-1]
    assert fill(source, f"n{x.node}") == t.overlay_scale[0]
    middle = scale_colour(t.overlay_scale, 0.5)  # |x·big| = 1, halfway between 1e-3 and 1e3 in log10
    product = next(n for n, d in loss.graph.nx.nodes(data=True) if d["label"] == "Mul")
    assert fill(source, f"n{product}") == middle


def test_overlay_nonfinite_and_nonfinite_state():
    x = gad.Tensor(np.array([1.0, 0.0]), name="x")
    with np.errstate(all="ignore"):
        bad = Sum()(np.log(x.data) * x)
    t = THEMES["lecture"]
    source = viz.to_dot(bad, overlay="nonfinite", legend=True)
    mul = next(n for n, d in bad.graph.nx.nodes(data=True) if d["label"] == "Mul")
    assert fill(source, f"n{x.node}") == t.overlay_scale[0]
    assert fill(source, f"n{mul}") == t.nonfinite_fill
    assert "NaN / Inf in value or gradient" in source
    plain = viz.to_dot(bad)
    assert 'class="nonfinite op"' in node_stmt(plain, f"n{mul}")
    assert f'color="{t.nonfinite}"' in node_stmt(plain, f"n{mul}")


def test_legend_and_languages():
    L = lecture5(backward=True)
    assert "Legend" not in viz.to_dot(L)
    en = viz.to_dot(L, legend=True)
    assert "Legend" in en and "not computed yet" in en and "labelloc=b" in en
    ru = viz.to_dot(L, legend=True, lang="ru")
    assert "Легенда" in ru and "ещё не вычислен" in ru and "параметр" in ru and "Legend" not in ru
    ru = viz.to_dot(L, lang="ru")
    assert "∂L/∂s" in ru and "выход" not in ru  # the unnamed Squared output: its op's symbol, in every language


def test_title():
    L = lecture5()
    assert "labelloc=t" in viz.to_dot(L, title="Лекция 5")
    assert "Лекция 5" in viz.to_dot(L, title="Лекция 5")
    with gad.Graph(name="named graph") as g:
        Sum()(np.ones(2))
    assert "named graph" in viz.to_dot(g)


def legend_cells(source: str) -> list[str]:
    """The words of the legend's kind and state cells (bordered <TD>s), in order."""
    legend = source.split("Legend", 1)[1]
    return re.findall(
        r'<TD BGCOLOR="#[0-9a-f]{6}" COLOR="#[0-9a-f]{6}" BORDER="\d"[^>]*><FONT[^>]*>([^<]+)</FONT>', legend
    )


def test_legend_present_lists_only_the_kinds_and_states_in_the_picture():
    before = viz.to_dot(lecture5(), legend="present")
    assert legend_cells(before) == ["input", "parameter", "op", "forward only"]
    assert "not computed yet" in before and "gradient flowing back" not in before
    after = viz.to_dot(lecture5(backward=True), legend="present", states={2: "current"})
    assert legend_cells(after) == ["input", "parameter", "op", "current", "done"]
    assert "not computed yet" not in after and "gradient flowing back" in after
    x = gad.Tensor(np.array([1.0, 2.0]), name="x")
    constants = viz.to_dot(2 * x, legend="present", fold_constants=False)
    assert "constant" in legend_cells(constants)


def test_standard_legend_shows_every_state_and_inherited_only_with_a_report():
    L = lecture5(backward=True)
    standard = legend_cells(viz.to_dot(L, legend=True))
    assert standard == [
        "input", "parameter", "op", "constant", "group",
        "forward only", "pending", "current", "done", "failed", "NaN / Inf",
    ]  # fmt: skip
    report = Report([Record(node=2, kind="ok")])
    assert legend_cells(viz.to_dot(L, legend=True, report=report))[-1] == "receives a wrong gradient"
    assert legend_cells(viz.to_dot(L, legend=True, states={2: "inherited"}))[-1] == "receives a wrong gradient"
    assert legend_cells(viz.to_dot(L, legend="all")) == [*standard, "receives a wrong gradient"]
    with pytest.raises(ValueError, match=r"legend must be one of False, True, 'present', 'all', got 'some'"):
        viz.render(L, legend="some")
    with pytest.raises(ValueError, match="legend must be"):
        viz.render(L, legend=1)
