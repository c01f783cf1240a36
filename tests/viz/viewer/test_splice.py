"""viz.viewer.splice: frames as one skeleton, element variants and per-step choices; rebuilt exactly."""

from __future__ import annotations

import json

import pytest

from viz.viewer.splice import clean, compact, expand, split

SVG = '<svg viewBox="0 0 9 9"><g id="graph0" class="graph"><title>g</title>{body}</g></svg>'


def frame(*classes: str) -> str:
    body = "".join(
        f'\n<g id="node{i}" class="node {c}"><title>n{i}</title><text>{i}</text></g>' for i, c in enumerate(classes)
    )
    return SVG.format(body=body)


@pytest.mark.parametrize("model", ["lecture_model", "mlp_model", "broken_model"])
def test_every_frame_is_rebuilt_exactly(model: str, request: pytest.FixtureRequest) -> None:
    stepper = request.getfixturevalue(model)
    frames = [stepper.svg(k) for k in range(stepper.n_steps + 1)]
    data = compact(frames)
    assert data["format"] == "splice"
    assert len(data["skeleton"]) == len(data["elements"]) + 1
    assert len(data["changes"]) == stepper.n_steps
    for k, svg in enumerate(frames):
        assert expand(data, k) == clean(svg)
    ids = [element for element, _ in data["elements"]]
    assert {f"node{n}" for n in stepper.nodes} <= set(ids)  # every node is an element of its own
    assert len(json.dumps(data)) < sum(map(len, frames))  # smaller than the frames themselves


def test_clean_drops_prolog_comments_and_titles() -> None:
    svg = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg><!-- n0&#45;&gt;n1 -->\n'
        '<g id="node0" class="node"><title>n0</title>\n<text>x</text></g></svg>'
    )
    assert clean(svg) == '<svg><g id="node0" class="node"><text>x</text></g></svg>'
    with pytest.raises(ValueError, match="<svg>"):
        clean("<g/>")


def test_only_changed_elements_are_listed() -> None:
    data = compact([frame("pending", "pending"), frame("current", "pending"), frame("done", "current")])
    assert [len(variants) for _, variants in data["elements"]] == [3, 2]
    assert data["rows0"] == [0, 0]
    assert data["changes"] == [[0, 1], [0, 2, 1, 1]]
    assert expand(data, 2) == clean(frame("done", "current"))
    with pytest.raises(IndexError):
        expand(data, 3)


def test_nested_groups_stay_inside_their_element() -> None:
    skeleton, items = split(
        '<svg><g id="node1" class="node"><g id="a_node1"><g/></g></g><g id="edge_n1_n2" class="edge"></g></svg>'
    )
    assert [name for name, _ in items] == ["node1", "edge_n1_n2"]
    assert skeleton == ["<svg>", "", "</svg>"]


def test_frames_of_another_structure_fall_back_to_the_whole_drawing() -> None:
    a = frame("pending", "pending")
    b = SVG.format(body='<g id="node0" class="node done"><text>0</text></g>')  # node1 is gone
    data = compact([a, b])
    assert [element for element, _ in data["elements"]] == ["graph0"]
    assert expand(data, 0) == clean(a) and expand(data, 1) == clean(b)


def test_frames_of_another_size_cannot_be_stepped_in_place() -> None:
    with pytest.raises(ValueError, match="<svg> tags"):
        compact([frame("a"), frame("a").replace('viewBox="0 0 9 9"', 'viewBox="0 0 9 10"')])
    with pytest.raises(ValueError, match="at least one frame"):
        compact([])
