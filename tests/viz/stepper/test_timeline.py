"""viz.stepper.timeline: frames stored as changes; gradients arrive step by step; a failure blocks its inputs."""

from __future__ import annotations

import numpy as np
import pytest

from tests.viz.conftest import lecture5
from viz.stepper.steps import Step, backward_steps, forward_steps, select_nodes
from viz.stepper.timeline import NodeView, Timeline, backward_timeline, forward_timeline, without_current

from .graphs import Broken, branching_graph, lecture_numbers, line_of


def views(scene):
    return {n: (v.status, v.state, v.current) for n, v in scene[0].items()}


def test_timeline_applies_changes_frame_by_frame():
    timeline = Timeline({0: NodeView("pending"), 1: NodeView("pending")}, {(0, 1): None})
    timeline.append({1: NodeView("done", grad=np.ones(2), state="current", current=True)}, {(0, 1): np.ones(2)})
    timeline.append({0: NodeView("done")})
    assert len(timeline) == 3
    scenes = list(timeline.scenes())
    assert [views(s) for s in scenes] == [
        {0: ("pending", None, False), 1: ("pending", None, False)},
        {0: ("pending", None, False), 1: ("done", "current", True)},
        {0: ("done", None, False), 1: ("done", "current", True)},
    ]
    assert scenes[0][1] == {(0, 1): None}
    np.testing.assert_array_equal(timeline.scene(1)[1][(0, 1)], np.ones(2))
    assert views(timeline.scene(2)) == views(scenes[2])
    with pytest.raises(IndexError, match=r"Timeline: frame 3 does not exist \(there are 3 frames, 0 … 2\)"):
        timeline.scene(3)


def test_without_current_drops_the_highlight_only():
    scene = ({0: NodeView("done", grad=1.0, state="current", current=True, verdict="failed")}, {(0, 1): 2.0})
    nodes, edges = without_current(scene)
    assert nodes[0] == NodeView("done", grad=1.0, verdict="failed") and edges == {(0, 1): 2.0}


def test_backward_timeline_of_the_lecture_graph():
    L = lecture5()
    graph, nodes, root = select_nodes(L)
    steps = backward_steps(graph, nodes, root, "en")
    walk = backward_timeline(graph.nx, nodes, steps, "en")
    timeline = walk.timeline
    assert len(timeline) == 1 + len(steps)
    assert all(v.status == "pending" for v in timeline.scene(0)[0].values())
    frame2 = timeline.scene(2)[0]  # Squared is current; Sum is done and no longer highlighted
    assert (frame2[5].status, frame2[5].state, frame2[5].current) == ("done", "current", True)
    assert (frame2[6].state, frame2[6].current) == (None, False)
    np.testing.assert_allclose(frame2[3].grad, lecture_numbers()["dmu"])  # μ received ∂L/∂μ from Squared
    np.testing.assert_allclose(frame2[4].grad, lecture_numbers()["dy"])
    last_nodes, last_edges = timeline.scene(len(timeline) - 1)
    np.testing.assert_allclose(last_nodes[1].grad, lecture_numbers()["dtheta"])
    np.testing.assert_allclose(last_edges[(1, 2)], lecture_numbers()["dtheta"])
    assert {n: v.status for n, v in last_nodes.items() if n in (0, 1, 4)} == {0: "done", 1: "done", 4: "done"}
    plain, current_all, pending_all = walk.hints
    assert not any(v.current for v in plain[0].values())
    assert {n for n, v in current_all[0].items() if v.current} == {2, 3, 5, 6}
    assert {v.status for v in pending_all[0].values()} == {"pending"}
    assert walk.layout == [plain, pending_all]


def test_a_failed_step_is_red_with_its_note_and_blocks_its_inputs():
    L = branching_graph()
    graph, nodes, root = select_nodes(L)
    steps = backward_steps(graph, nodes, root, "en")
    timeline = backward_timeline(graph.nx, nodes, steps, "en").timeline
    failed = timeline.scene(4)[0]
    line = line_of(Broken, "raise ValueError")
    assert failed[2].error == f"ValueError at graphs.py:{line}: student forgot to return the gradient"
    assert (failed[2].status, failed[2].state, failed[2].current) == ("failed", None, True)  # red, not highlighted
    assert failed[1].error == "no gradient from Broken (node 2, failed)"
    final = timeline.scene(5)[0]
    assert (final[0].status, final[1].status, final[3].status) == ("skipped", "skipped", "done")


def test_verdicts_colour_ops_from_their_step_and_leaves_after_their_last_consumer():
    L = lecture5()
    graph, nodes, root = select_nodes(L)
    steps = backward_steps(graph, nodes, root, "en")
    timeline = backward_timeline(graph.nx, nodes, steps, "en", verdicts={5: "failed", 3: "inherited", 4: "inherited"})
    assert timeline.timeline.scene(1)[0][5].verdict is None
    squared = timeline.timeline.scene(2)[0][5]
    assert squared.verdict == "failed" and squared.state is None and squared.current  # keeps its red
    assert timeline.timeline.scene(2)[0][4].verdict == "inherited"  # y's only consumer is Squared
    assert timeline.timeline.scene(2)[0][3].verdict is None and timeline.timeline.scene(3)[0][3].verdict == "inherited"


def test_forward_timeline_reveals_outputs_in_order():
    L = lecture5()
    graph, nodes, _ = select_nodes(L)
    walk = forward_timeline(graph.nx, nodes, forward_steps(graph, nodes))
    first = walk.timeline.scene(0)[0]
    assert {n for n, v in first.items() if v.hidden} == {2, 3, 5, 6}
    assert first[0] == NodeView("forward")
    second = walk.timeline.scene(2)[0]
    assert (second[3].state, second[3].current) == ("current", True) and second[2] == NodeView("forward")
    assert second[5].hidden
    assert len(walk.hints) == 2 and walk.layout == [walk.hints[0]]


def test_a_step_is_a_plain_record():
    step = Step(index=0, direction="backward", node=3, label="Sum", consumers=(4, 5))
    assert step.n_consumers == 2 and step.status == "done" and step.param_grads == {}


def test_scenes_and_scene_agree_on_every_frame_of_a_walk():
    L = branching_graph()
    graph, nodes, root = select_nodes(L)
    timeline = backward_timeline(graph.nx, nodes, backward_steps(graph, nodes, root, "en"), "en").timeline
    for k, (scene_nodes, scene_edges) in enumerate(timeline.scenes()):
        nodes_k, edges_k = timeline.scene(k)
        assert views(timeline.scene(k)) == views((scene_nodes, scene_edges))
        assert {n: v.error for n, v in nodes_k.items()} == {n: v.error for n, v in scene_nodes.items()}
        assert edges_k.keys() == scene_edges.keys()
    assert k == len(timeline) - 1
