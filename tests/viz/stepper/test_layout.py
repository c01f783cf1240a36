"""viz.stepper.layout: one dot layout pinned into any scene (neato -n2 keeps it); nodes sized by their biggest label."""

from __future__ import annotations

import json

import pytest

from viz.dot import run_dot
from viz.stepper.layout import Layout, measured_source, merge_hidden

pytestmark = pytest.mark.dot

SOURCE = "digraph g {\n\tnode [shape=box fontsize=14]\n\ta [label=<A>]\n\tb [label=<B>]\n\ta -> b [label=<g>]\n}\n"
BIGGER = SOURCE.replace("label=<A>", "label=<A much <B>longer</B> label>").replace("<g>", "<a wide edge label>")


def positions(data: bytes) -> dict[str, str]:
    return {o["name"]: o["pos"] for o in json.loads(data)["objects"] if "pos" in o}


def test_from_json_reads_positions_sizes_and_the_bounding_box():
    layout = Layout.from_json(run_dot(SOURCE, "json"))
    assert layout.nodes == {
        "a": 'pos="27,105" width=0.75 height=0.5 fixedsize=shape ',
        "b": 'pos="27,18" width=0.75 height=0.5 fixedsize=shape ',
    }
    assert list(layout.edges) == [("a", "b")] and layout.edges[("a", "b")].startswith('pos="e,27,')
    assert layout.bb == (0.0, 0.0, 54.0, 123.0)
    assert layout.clusters == {}


def test_pinned_sources_keep_the_layout_whatever_the_labels():
    layout = Layout.from_json(run_dot(SOURCE, "json"))
    other = SOURCE.replace("label=<B>", "label=<C>")
    pinned = layout.pin(other)
    assert pinned.startswith(
        "digraph g {\n"
        '\t_anchor0 [pos="0,0" shape=point width=0 height=0 style=invis label=""]\n'
        '\t_anchor1 [pos="54,123" shape=point width=0 height=0 style=invis label=""]\n'
    )
    assert '\tb [pos="27,18" width=0.75 height=0.5 fixedsize=shape label=<C>]\n' in pinned
    moved = positions(run_dot(pinned, "json", engine="neato", args=["-n2"]))
    assert {k: moved[k] for k in ("a", "b")} == {"a": "27,105", "b": "27,18"}


def test_clusters_keep_their_boxes():
    source = (
        "digraph g {\n\tsubgraph cluster_g0 {\n\t\tlabel=<MSE>\n\t\ta [label=<A>]\n\t}\n\tb [label=<B>]\n\ta -> b\n}\n"
    )
    layout = Layout.from_json(run_dot(source, "json"))
    assert list(layout.clusters) == ["cluster_g0"] and layout.clusters["cluster_g0"].startswith('graph [bb="')
    assert "\tsubgraph cluster_g0 {\n\t\tgraph [bb=" in layout.pin(source)


def test_measured_source_gives_each_node_its_biggest_label():
    alone = {o["name"]: float(o["width"]) for o in json.loads(run_dot(BIGGER, "json"))["objects"]}
    measured = measured_source([SOURCE, BIGGER], timeout=10)
    lines = measured.splitlines()
    assert lines[2] == f"\ta [width={alone['a']:.4f} height=0.5000 fixedsize=shape label=<A>]"
    assert lines[3] == "\tb [width=0.7500 height=0.5000 fixedsize=shape label=<B>]"
    assert lines[4] == "\ta -> b [label=<a wide edge label>]"  # the edge keeps its largest label
    assert alone["a"] > 2.0


def test_merge_hidden_takes_hidden_nodes_and_their_edges_from_the_other_source():
    hidden = SOURCE.replace("label=<A>", "label=<?>").replace("label=<g>", "label=<>").replace("label=<B>", "x")
    merged = merge_hidden(SOURCE, hidden, {"a"})
    assert merged == (
        "digraph g {\n\tnode [shape=box fontsize=14]\n\ta [label=<?>]\n\tb [label=<B>]\n\ta -> b [label=<>]\n}\n"
    )
    assert merge_hidden(SOURCE, hidden, set()) == SOURCE


def test_measured_source_keeps_the_default_statements_as_they_are():
    source = "digraph g {\n\tgraph [rankdir=LR]\n\tnode [shape=box]\n\tedge [color=red]\n\ta [label=<A>]\n}\n"
    measured = measured_source([source], timeout=10)
    assert measured.splitlines()[1:4] == ["\tgraph [rankdir=LR]", "\tnode [shape=box]", "\tedge [color=red]"]
