"""viz.drawing.clusters: groups as clusters, collapsing, the max_nodes guard."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff.nn import Module
from graphviz_autodiff.ops import MSE, Identity
from tests.viz.conftest import (
    LECTURE_THETA,
    LECTURE_X,
    LECTURE_Y,
)
from tests.viz.drawing.helpers import Model, Regression, node_stmt
from viz.drawing.labels import format_scalar

# Graphviz printing anything on stderr (an unknown colour, a bad attribute) fails the test.
pytestmark = pytest.mark.filterwarnings("error::viz.GraphvizWarning")


def test_groups_are_clusters_with_parameter_counts():
    X, y = LECTURE_X, LECTURE_Y
    L = MSE()(Regression()(X), y)
    L.backward()
    source = viz.to_dot(L)
    groups = L.graph.groups
    keys = {info["label"]: key for key, info in groups.items()}
    assert f"subgraph cluster_{keys['Regression']}" in source and f"subgraph cluster_{keys['MSE']}" in source
    assert "4 params" in source and "0 params" in source
    # θ is drawn inside its group's cluster, X outside.
    cluster = source.split(f"subgraph cluster_{keys['Regression']}")[1].split("}")[0]
    assert "θ" in cluster and "<B>X</B>" not in cluster


def test_collapse_true_draws_each_group_as_one_node():
    X, y = LECTURE_X, LECTURE_Y
    L = MSE()(Regression()(X), y)
    L.backward()
    source = viz.to_dot(L, collapse=True)
    keys = {info["label"]: key for key, info in L.graph.groups.items()}
    assert "subgraph cluster_" not in source
    reg = node_stmt(source, keys["Regression"])
    assert 'class="done group"' in reg and "box3d" in reg and "4 params" in reg
    assert "Linear" not in source and "θ" not in source
    # The collapsed MSE shows the loss value and ∂L/∂L; the edge from X keeps its gradient name.
    loss = float(np.sum((LECTURE_X @ LECTURE_THETA - LECTURE_Y) ** 2))
    assert format_scalar(loss, 4) in node_stmt(source, keys["MSE"])
    assert f"edge_n0_{keys['Regression']}" in source


def test_collapse_depth_collapses_only_nested_groups():
    L = Model()(LECTURE_X, LECTURE_Y)
    keys = {info["label"]: key for key, info in L.graph.groups.items()}
    depth1 = viz.to_dot(L, collapse=1)
    assert f"subgraph cluster_{keys['Model']}" in depth1
    assert node_stmt(depth1, keys["Regression"]) and node_stmt(depth1, keys["MSE"])
    assert "Linear" not in depth1
    depth0 = viz.to_dot(L, collapse=0)
    assert "subgraph cluster_" not in depth0 and node_stmt(depth0, keys["Model"])
    full = viz.to_dot(L, collapse=False)
    assert f"subgraph cluster_{keys['Regression']}" in full and "Linear" in full


def test_max_nodes_falls_back_to_the_collapsed_view():
    class Block(Module):
        def forward(self, x):
            for _ in range(10):
                x = Identity()(x)
            return x

    x = gad.Tensor(np.ones(2), name="x")
    for _ in range(5):
        x = Block()(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = viz.to_dot(x)  # 51 nodes: under the default limit
    assert "subgraph cluster_" in full
    with pytest.warns(UserWarning, match=r"51 nodes to draw.*Drawing the collapsed view \(6 nodes\) instead"):
        small = viz.to_dot(x, max_nodes=20)
    assert "subgraph cluster_" not in small and small.count("box3d") == 5
    with pytest.warns(UserWarning, match="Drawing all of it"):
        viz.to_dot(x, max_nodes=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        viz.to_dot(x, max_nodes=None)
