"""viz.stepper.steps: a graph or a loss becomes Step records (what each call received, returned, where it raised)."""

from __future__ import annotations

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable
from graphviz_autodiff.ops import Sum
from tests.viz.conftest import LECTURE_THETA, LECTURE_X, LECTURE_Y, lecture5
from viz.stepper.errors import StepperError
from viz.stepper.steps import Step, backward_steps, forward_steps, select_nodes

from .graphs import Broken, WrongShape, branching_graph, lecture_numbers, line_of


def test_select_nodes_of_a_loss_is_every_node_it_depends_on():
    L = lecture5()
    graph, nodes, root = select_nodes(L)
    assert graph is L.graph and root is L and nodes == list(range(7))
    graph, nodes, root = select_nodes(L.graph)
    assert nodes == list(range(7)) and root is None


def test_select_nodes_refuses_what_it_cannot_walk():
    with pytest.raises(ValueError, match=r"this tensor is not part of a recorded graph"):
        select_nodes(gad.Tensor(np.ones(2)))
    with pytest.raises(TypeError, match=r"expected a graphviz_autodiff Tensor \(the loss\) or Graph, got ndarray"):
        select_nodes(np.ones(2))


def test_backward_steps_of_the_lecture_graph_hold_its_gradients():
    L = lecture5()
    graph, nodes, root = select_nodes(L)
    steps = backward_steps(graph, nodes, root, "en")
    assert [(s.index, s.node, s.label, s.status) for s in steps] == [
        (0, 6, "Sum", "done"),
        (1, 5, "Squared", "done"),
        (2, 3, "Identity", "done"),
        (3, 2, "Linear", "done"),
    ]
    assert all(isinstance(s, Step) and s.direction == "backward" for s in steps)
    numbers = lecture_numbers()
    sq = steps[1]
    np.testing.assert_allclose(sq.upstream_grad, np.ones(5))
    np.testing.assert_allclose(sq.grads[0], numbers["dmu"])
    np.testing.assert_allclose(sq.grads[1], numbers["dy"])
    assert sq.inputs == (3, 4) and sq.consumers == (6,) and sq.n_consumers == 1
    linear = steps[3]
    assert linear.params == {"theta": 1} and linear.inputs == (0,)
    np.testing.assert_allclose(linear.param_grads["theta"], numbers["dtheta"])
    np.testing.assert_allclose(linear.value, LECTURE_X @ LECTURE_THETA)
    assert steps[0].consumers == () and steps[0].record is not None


def test_reading_a_walked_graph_gives_the_same_steps():
    L = lecture5(backward=True)
    graph, nodes, _ = select_nodes(L.graph)
    steps = backward_steps(graph, nodes, None, "en")
    assert [s.node for s in steps] == [6, 5, 3, 2]
    np.testing.assert_allclose(steps[1].grads[0], 2 * (LECTURE_X @ LECTURE_THETA - LECTURE_Y))
    assert steps[0].record is None


def test_a_graph_without_a_backward_pass_cannot_be_stepped_backward():
    graph, nodes, _ = select_nodes(lecture5().graph)
    with pytest.raises(StepperError, match=r"this graph holds no backward pass to step through"):
        backward_steps(graph, nodes, None, "en")


def test_a_failed_backward_points_at_the_students_line():
    L = branching_graph()
    graph, nodes, root = select_nodes(L)
    steps = backward_steps(graph, nodes, root, "en")
    broken = next(s for s in steps if s.label == "Broken")
    assert broken.status == "failed" and isinstance(broken.error, ValueError)
    assert broken.where == f"graphs.py:{line_of(Broken, 'raise ValueError')}"
    assert broken.code == 'raise ValueError("student forgot to return the gradient")'
    first_identity = next(s for s in steps if s.node == 1)
    assert first_identity.status == "skipped" and first_identity.upstream_grad is None


def test_forward_steps_follow_recording_order():
    L = lecture5()
    graph, nodes, _ = select_nodes(L)
    steps = forward_steps(graph, nodes)
    assert [(s.node, s.label, s.direction) for s in steps] == [
        (2, "Linear", "forward"),
        (3, "Identity", "forward"),
        (5, "Squared", "forward"),
        (6, "Sum", "forward"),
    ]
    np.testing.assert_allclose(steps[-1].value, np.sum((LECTURE_X @ LECTURE_THETA - LECTURE_Y) ** 2))
    assert steps[0].grads is None and steps[0].status == "done"


CELL = """
class CellOp(Differentiable):
    def forward(self, x):
        return 2 * x

    def backward(self, upstream_grad):
        raise KeyError("oops")
"""


@pytest.mark.parametrize(("lang", "where"), [("en", "notebook cell, line 7"), ("ru", "ячейка блокнота, строка 7")])
def test_code_typed_into_a_notebook_cell_is_located_by_its_line(lang, where):
    namespace = {"Differentiable": Differentiable}
    exec(compile(CELL, "/tmp/ipykernel_4242/123456.py", "exec"), namespace)  # how ipykernel names a cell
    L = Sum()(namespace["CellOp"]()(gad.Tensor(np.ones(2), name="x")))
    graph, nodes, root = select_nodes(L)
    (failed,) = [s for s in backward_steps(graph, nodes, root, lang) if s.status == "failed"]
    assert failed.where == where and isinstance(failed.error, KeyError)


def test_a_contract_violation_found_by_the_engine_points_at_the_backward_itself():
    L = Sum()(WrongShape()(gad.Tensor(np.ones(2), name="x")))
    graph, nodes, root = select_nodes(L)
    (failed,) = [s for s in backward_steps(graph, nodes, root, "en") if s.status == "failed"]
    assert type(failed.error).__name__ == "ShapeRuleError"
    assert failed.where == f"graphs.py:{line_of(WrongShape, 'def backward')}"
    assert failed.code == "def backward(self, upstream_grad):"
