"""The report's verdicts in the stepper (issue 13, item 10): the culprit red, the nodes that only receive its
wrong gradient orange ("inherited") in every frame, the legend and the viewer; next problem stops at the culprit."""

from __future__ import annotations

import re

import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff.i18n import tr
from tests.viz.stepper.graphs import inherited_graph
from viz.viewer import build_payload

pytestmark = [pytest.mark.dot, pytest.mark.filterwarnings("error::viz.GraphvizWarning")]

INHERITED = [0, 1, 2, 3]  # X, θ, Linear (z), Identity (μ): right backward, wrong gradient received
CULPRIT = 4  # MissingHalf


def states(svg: str) -> dict[int, str]:
    """``{node: its drawn state}`` of a frame."""
    return {int(n): s for n, s in re.findall(r'<g id="node(\d+)" class="node (\w+)', svg)}


def current(svg: str) -> list[int]:
    return [int(n) for n in re.findall(r'<g id="node(\d+)" class="node[^"]* current', svg)]


def test_next_problem_stops_at_the_culprit_and_not_at_the_nodes_that_inherit():
    stepper = viz.StepperModel(inherited_graph())
    assert stepper.run_to_problem() == 3 and stepper.current.node == CULPRIT
    assert stepper.run_to_problem() is None and stepper.step_index == 3  # Identity and Linear are no stops
    assert [stepper.problem_title(k) for k in range(1, 6)] == [None, None, "wrong gradient", None, None]
    assert sorted(stepper.inherited) == INHERITED and stepper.verdicts[CULPRIT] == "failed"


def test_inherited_nodes_are_never_drawn_done():
    stepper = viz.StepperModel(inherited_graph())
    stepper.run_to_problem()  # the check runs now: the frames are drawn again with its verdicts
    frames = [states(stepper.svg(k)) for k in range(stepper.n_steps + 1)]
    for k, drawn in enumerate(frames):
        for node in INHERITED:
            assert drawn[node] in ("pending", "inherited"), (k, node, drawn[node])
    assert [frames[-1][n] for n in INHERITED] == ["inherited"] * 4
    assert frames[4][3] == "inherited" and frames[4][2] == "pending"  # an op call from its own step on
    assert frames[4][1] == "pending" and frames[5][1] == "inherited"  # θ once Linear has sent its gradient
    assert current(stepper.svg(4)) == [3]  # the current node keeps its mark, drawn in its own state
    assert frames[3][CULPRIT] == "failed" and frames[5][CULPRIT] == "failed"  # the culprit: red, not green
    assert frames[5][6] == frames[5][7] == "done"  # the nodes after the culprit are right


def test_the_same_frames_whether_the_report_comes_first_or_later():
    late = viz.StepperModel(inherited_graph())
    before = late.svg(5)  # drawn before the check: nothing known yet
    assert states(before)[3] == "done"
    late.run_to_problem()
    loss = inherited_graph()
    loss.backward()  # the check compares the gradients a backward pass recorded with the true ones
    early = viz.StepperModel(loss, report=gad.check(loss))
    assert [late.svg(k) for k in range(6)] == [early.svg(k) for k in range(6)]


def test_the_legend_lists_the_inherited_state():
    stepper = viz.StepperModel(inherited_graph(), legend=True)
    assert tr("state.inherited", "en") not in stepper.svg(0)  # no report yet: the standard legend
    stepper.run_to_problem()
    for k in (0, 5):  # every frame has the same legend, with the state some frames show
        assert tr("state.inherited", "en") in stepper.svg(k)


def test_the_viewer_shows_the_verdicts():
    stepper = viz.StepperModel(inherited_graph())
    payload = build_payload(stepper)  # runs the check (a small walk) before drawing
    assert payload["problems"] == [None, None, None, "wrong gradient", None, None]
    assert [e["state"] for e in payload["legend"]] == ["pending", "current", "done", "failed", "inherited"]
    inherited = {e["state"]: e for e in payload["legend"]}["inherited"]
    assert inherited["label"] == tr("state.inherited", "en") and inherited["fill"] == "#ffd3a6"
    nodes = {n["id"]: n for n in payload["nodes"]}
    assert [nodes[n]["inherited_from"] for n in INHERITED] == ["MissingHalf (v)"] * 4
    assert all(nodes[n]["inherited_from"] is None for n in (CULPRIT, 5, 6, 7))
    assert payload["strings"]["card.inherited"] == "receives a wrong gradient from {culprit}"
    ru = build_payload(viz.StepperModel(inherited_graph(), lang="ru"))
    assert ru["strings"]["card.inherited"] == "получает неверный градиент от {culprit}"
