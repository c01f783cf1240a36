"""A graph as numbers and back: the replayed graph holds the student's values, gradients and failures."""

from __future__ import annotations

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable, Parameter
from graphviz_autodiff.cli.grade.protocol import decode_stream, encode_frame
from graphviz_autodiff.cli.grade.replay import ReplayError, describe_graph, replay


class Scale(Differentiable):
    def __init__(self):
        self.w = Parameter(np.array([2.0, 3.0]), name="w")

    def forward(self, x):
        self.x = x
        return x * self.w

    def backward(self, upstream_grad):
        self.w.grad = upstream_grad * self.x
        return upstream_grad * self.w


class Total(Differentiable):
    def forward(self, x):
        self.x = x
        return np.sum(x)

    def backward(self, upstream_grad):
        return upstream_grad * np.ones_like(self.x)


class Broken(Total):
    def backward(self, upstream_grad):
        raise ZeroDivisionError("my own mistake")


def travelled(roots, steps):
    """Through the wire, as the grader receives it."""
    description = describe_graph(roots, steps)
    frame = decode_stream(encode_frame("graph", description.data, description.arrays)).frames[0]
    return frame.data, dict(frame.arrays)


def test_values_gradients_and_names_survive_the_trip():
    with gad.no_record():
        x = gad.Tensor(np.array([1.0, -1.0]), name="x")
        out = Scale()(x)
        out.name = "s"
        loss = Total()(out)
        steps = list(gad.iter_backward(loss, on_error="record"))
    data, arrays = travelled([loss], steps)
    replayed = replay(data, arrays, name="g")
    G = replayed.graph.nx
    labels = {n: G.nodes[n]["label"] for n in G}
    assert sorted(labels.values()) == ["Scale", "Total", "w", "x"]
    by_label = {label: n for n, label in labels.items()}
    assert G.nodes[by_label["Scale"]]["name"] == "s"
    assert np.array_equal(G.nodes[by_label["x"]]["grad"], [2.0, 3.0])
    assert np.array_equal(G.nodes[by_label["w"]]["grad"], [1.0, -1.0])
    assert [G.nodes[replayed.nodes[i]]["label"] for i in replayed.calls] == ["Total", "Scale"]
    assert all(G.nodes[n]["status"] == "done" for n in G)


def test_a_failed_backward_is_replayed_with_its_own_error_name():
    with gad.no_record():
        loss = Broken()(Scale()(gad.Tensor(np.array([1.0, 2.0]), name="x")))
        steps = list(gad.iter_backward(loss, on_error="record"))
    data, arrays = travelled([loss], steps)
    G = replay(data, arrays).graph.nx
    failed = [n for n in G if G.nodes[n]["status"] == "failed"]
    assert len(failed) == 1 and G.nodes[failed[0]]["error"] == "ZeroDivisionError: my own mistake"
    assert {G.nodes[n]["status"] for n in G if n != failed[0]} <= {"skipped", "pending"}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d, a: d.update(nodes="x"), "no node list"),
        (lambda d, a: d["nodes"][0].update(id=7), "node 0 is malformed"),
        (lambda d, a: a.pop("v0"), "node 0 has no value"),
        (lambda d, a: d["nodes"][2].update(inputs=[5]), "does not come before it"),
        (lambda d, a: d["nodes"][2].update(params=[["w", 0]]), "not a parameter"),
    ],
)
def test_a_forged_frame_is_refused(mutate, message):
    with gad.no_record():
        loss = Total()(Scale()(gad.Tensor(np.array([1.0, 2.0]), name="x")))
        steps = list(gad.iter_backward(loss, on_error="record"))
    data, arrays = travelled([loss], steps)
    mutate(data, arrays)
    with pytest.raises(ReplayError, match=message):
        replay(data, arrays)
