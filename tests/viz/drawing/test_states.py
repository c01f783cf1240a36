"""viz.drawing.states: known gradients, node states from status, report and overrides."""

from __future__ import annotations

import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff import Differentiable
from graphviz_autodiff.ops import Identity, Linear, Squared, Sum
from tests.viz.conftest import (
    LECTURE_THETA,
    LECTURE_X,
    LECTURE_Y,
    Record,
    Report,
    lecture5,
    parse_svg,
    svg_nodes,
)
from tests.viz.drawing.helpers import fmt, lecture_numbers, node_stmt
from viz.drawing import known_grad, status_state
from viz.drawing.states import verdict_state
from viz.themes import THEMES

# Graphviz printing anything on stderr (an unknown colour, a bad attribute) fails the test.
pytestmark = pytest.mark.filterwarnings("error::viz.GraphvizWarning")


def test_only_grad_path_hides_what_no_gradient_reaches():
    with gad.Graph() as g:
        L = lecture5()
        side = Identity(name="side")(gad.Tensor(np.ones(2), name="unused"))
    L.backward()
    all_nodes = viz.to_dot(g)
    assert "side" in all_nodes
    path = viz.to_dot(g, only_grad_path=True)
    assert "side" not in path and "unused" not in path and "Linear" in path
    assert side.graph is g
    with pytest.warns(UserWarning, match="no gradient has reached any node"):
        viz.render(lecture5(), only_grad_path=True)


def test_states_override_and_are_css_classes():
    L = lecture5(backward=True)
    t = THEMES["lecture"]
    source = viz.to_dot(L, states={2: "current", "n3": "pending", 5: "failed", 6: "nonfinite"})
    assert 'class="current op"' in node_stmt(source, "n2") and f'color="{t.current}"' in node_stmt(source, "n2")
    assert 'class="pending op"' in node_stmt(source, "n3") and "dashed" in node_stmt(source, "n3")
    assert f'fillcolor="{t.failed_fill}"' in node_stmt(source, "n5")
    assert 'class="nonfinite op"' in node_stmt(source, "n6")
    assert 'class="done parameter"' in node_stmt(source, "n1")


@pytest.mark.dot
def test_current_node_is_selectable_in_svg():
    root = parse_svg(viz.to_svg(lecture5(backward=True), states={2: "current"}))
    current = [g for g in svg_nodes(root).values() if "current" in g.get("class").split()]
    assert [g.find("{http://www.w3.org/2000/svg}title").text for g in current] == ["n2"]
    assert current[0].get("class") == "node current op"


def test_states_during_a_backward_pass():
    L = lecture5()
    steps = gad.iter_backward(L)
    next(steps)  # Sum done; Squared, Identity, Linear pending
    mid = viz.to_dot(L)
    assert 'class="done op"' in node_stmt(mid, "n6")
    assert 'class="pending op"' in node_stmt(mid, "n2")
    assert "∂L/∂θ =</FONT>" in node_stmt(mid, "n1") and "—" in node_stmt(mid, "n1")
    for _ in steps:
        pass
    after = viz.to_dot(L)
    assert 'class="done parameter"' in node_stmt(after, "n1")
    assert fmt(lecture_numbers()["dtheta"]) in node_stmt(after, "n1")


def test_partial_gradients_are_not_shown_mid_pass():
    # x feeds Identity (a) and Sum; a feeds Squared and Sum. Backward walks the newest call first.
    x = gad.Tensor(np.array([1.0, 2.0]), name="x")
    a = Identity()(x)
    a.name = "a"
    loss = Sum()(Squared()(a, np.zeros(2))) + Sum()(x) + Sum()(a)
    steps = gad.iter_backward(loss)
    labels = [next(steps).label for _ in range(4)]  # outer Add, Sum(a), inner Add, Sum(x)
    assert labels == ["Add", "Sum", "Add", "Sum"]
    G = loss.graph.nx
    assert G.nodes[a.node]["grad"] is not None and G.nodes[x.node]["grad"] is not None  # running sums exist
    mid = viz.to_dot(loss)
    for node in (a.node, x.node):
        stmt = node_stmt(mid, f"n{node}")
        assert "—" in stmt and "[1, 1]" not in stmt and 'class="pending' in stmt
    for _ in steps:
        pass
    done = viz.to_dot(loss)
    assert "[3, 5]" in node_stmt(done, f"n{a.node}") and "[4, 6]" in node_stmt(done, f"n{x.node}")


def test_failed_backward_shows_the_error():
    class Broken(Differentiable):
        def forward(self, x):
            return x

        def backward(self, upstream_grad):
            return upstream_grad[:1]  # wrong shape

    x = gad.Tensor(np.ones(3), name="x")
    out = Sum()(Broken(name="broken <op>")(x))
    steps = list(gad.iter_backward(out, on_error="record"))
    assert steps[1].status == "failed"
    source = viz.to_dot(out)
    stmt = node_stmt(source, f"n{steps[1].node}")
    assert 'class="failed op"' in stmt and "ShapeRuleError" in stmt and "broken &lt;op&gt;" in stmt


def test_report_marks_failing_nodes_with_their_errors():
    L = lecture5(backward=True)
    report = Report(
        [
            Record(
                node=2, kind="wrong_gradient", diagnosis="sign", max_rel_error=2.0, message="∂L/∂θ has the wrong sign"
            ),
            Record(node=5, kind="ok", max_rel_error=3.1e-9),
            Record(node=6, kind="nonfinite_backward", max_rel_error=None),
            Record(node=None, kind="exception", diagnosis=None, max_rel_error=None),
        ]
    )
    source = viz.to_dot(L, report=report)
    t = THEMES["lecture"]
    linear = node_stmt(source, "n2")
    assert 'class="failed op"' in linear and f'fillcolor="{t.failed_fill}"' in linear
    assert "wrong gradient" in linear and "rel. error 2" in linear and "sign flipped" in linear
    assert "wrong sign" in linear
    squared = node_stmt(source, "n5")
    assert 'class="done op"' in squared and "✓ ok · rel. error 3.1e-09" in squared
    assert 'class="nonfinite op"' in node_stmt(source, "n6")
    assert "gradient check: 3 of 4 nodes failed" in source
    # An explicit state still wins over the report.
    assert 'class="current op"' in node_stmt(viz.to_dot(L, report=report, states={2: "current"}), "n2")
    with pytest.raises(ValueError, match=r"report must have a \.nodes list"):
        viz.render(L, report=object())


# -- the rules as functions (the stepper's frames call the same ones) ------------------------------------------
def test_known_grad_shows_an_op_gradient_once_the_op_is_done():
    grad = np.ones(2)
    assert known_grad("op", "pending", grad, ()) is None
    assert known_grad("op", "done", grad, ()) is grad
    assert known_grad("op", "failed", grad, ()) is grad
    assert known_grad("op", "done", None, ()) is None


def test_known_grad_shows_a_leaf_gradient_once_no_consumer_is_pending():
    grad = np.ones(2)
    assert known_grad("parameter", "pending", grad, ("done", "pending")) is None
    assert known_grad("parameter", "pending", grad, ("done", "done")) is grad
    assert known_grad("input", "forward", grad, ("pending",)) is None
    assert known_grad("input", "done", grad, ("pending",)) is grad  # the engine marked the leaf done


def test_status_state():
    assert status_state("op", "failed", None) == "failed"
    assert status_state("op", "pending", None) == "pending"
    assert status_state("op", "skipped", None) == "pending"
    assert status_state("parameter", "pending", np.ones(1)) == "done"
    assert status_state("parameter", "pending", None) == "pending"
    assert status_state("op", "done", np.ones(1)) == "done"
    assert status_state("op", "forward", None) == "forward"


def test_render_and_the_rule_agree_on_every_node_mid_pass():
    L = lecture5()
    steps = gad.iter_backward(L)
    next(steps)
    next(steps)  # Sum and Squared done
    G = L.graph.nx
    source = viz.to_dot(L)
    for n in G:
        attrs = G.nodes[n]
        shown = known_grad(
            attrs["kind"], attrs["status"], attrs["grad"], [G.nodes[s]["status"] for s in G.successors(n)]
        )
        stmt = node_stmt(source, f"n{n}")
        assert ("—" in stmt) == (shown is None), (n, stmt)
        assert f'class="{status_state(attrs["kind"], attrs["status"], shown)} ' in stmt


# -- "inherited": the node's own backward is right, the gradient it received is not -----------------------------
def inherited_report() -> Report:
    """Squared (5) is the culprit; Identity (3) and Linear (2) receive its wrong gradient; Sum (6) is ok."""
    return Report(
        [
            Record(node=5, kind="wrong_gradient", diagnosis="factor", max_rel_error=0.5),
            Record(node=3, kind="inherits_wrong", max_rel_error=0.5, message="receives ∂L/∂μ from node 5"),
            Record(node=2, kind="inherits_wrong", max_rel_error=0.5),
            Record(node=6, kind="ok", max_rel_error=1e-10),
        ]
    )


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_a_report_draws_inherited_nodes_never_as_a_green_ok(theme):
    L = lecture5(backward=True)
    t = THEMES[theme]
    source = viz.to_dot(L, report=inherited_report(), theme=theme, legend=True)
    for n in (2, 3):
        stmt = node_stmt(source, f"n{n}")
        assert 'class="inherited op"' in stmt
        assert f'fillcolor="{t.inherited_fill}"' in stmt and f'color="{t.inherited}"' in stmt
        assert "diagonals" in stmt  # marked corners: visible without colour (print)
        assert "✓" not in stmt
        if t.done != t.text:  # print draws every border and text black
            assert f'color="{t.done}"' not in stmt and f'COLOR="{t.done}"' not in stmt
        assert "↳ inherits a wrong gradient · rel. error 0.5" in stmt
    assert "receives ∂L/∂μ from node 5" in node_stmt(source, "n3")
    assert 'class="failed op"' in node_stmt(source, "n5") and 'class="done op"' in node_stmt(source, "n6")
    assert "gradient check: 1 of 4 nodes failed, 2 receive a wrong gradient" in source
    assert "receives a wrong gradient" in source  # the legend entry
    ru = viz.to_dot(L, report=inherited_report(), lang="ru", legend=True)
    assert "получает неверный градиент" in ru and "получают неверный градиент" in ru


def test_inherited_ranks_above_done_and_below_failure_and_overrides():
    L = lecture5(backward=True)
    report = Report([Record(node=6, kind="inherits_wrong"), Record(node=6, kind="nonfinite_backward")])
    assert 'class="nonfinite op"' in node_stmt(viz.to_dot(L, report=report), "n6")  # a failure wins
    source = viz.to_dot(L, states={4: "inherited"})
    assert 'class="inherited input"' in node_stmt(source, "n4")
    assert 'class="done op"' in node_stmt(viz.to_dot(L, report=inherited_report(), states={2: "done"}), "n2")
    assert verdict_state("inherits_wrong") == "inherited" and verdict_state("ok") is None
    assert verdict_state("nonfinite_forward") == "nonfinite" and verdict_state("reuse") == "failed"


def test_a_collapsed_group_with_an_inherited_node_is_inherited():
    L = lecture5(backward=True)
    with gad.Graph() as g:
        with gad.group("model", n_params=4):
            z = Linear(4, theta=LECTURE_THETA.copy())(LECTURE_X)
        loss = Sum()(Squared()(z, LECTURE_Y))
    loss.backward()
    del L
    linear = next(n for n, d in g.nx.nodes(data=True) if d["label"] == "Linear")
    source = viz.to_dot(g, collapse=True, report=Report([Record(node=linear, kind="inherits_wrong")]))
    key = next(iter(g.groups))
    assert 'class="inherited group"' in node_stmt(source, key)


@pytest.mark.dot
def test_inherited_state_in_svg():
    root = parse_svg(viz.to_svg(lecture5(backward=True), report=inherited_report(), legend=True))
    classes = {name: g.get("class") for name, g in svg_nodes(root).items()}
    assert classes["n2"] == classes["n3"] == "node inherited op"
