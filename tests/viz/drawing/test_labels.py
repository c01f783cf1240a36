"""viz.drawing.labels: numbers, summaries, heat-maps, precision."""

from __future__ import annotations

import numpy as np
import pytest

import viz
from tests.viz.conftest import (
    lecture5,
)
from tests.viz.drawing.helpers import fmt, lecture_numbers, node_stmt
from viz.drawing.labels import format_value, heatmap_table
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
