"""viz.stepper.problems: what "run to next problem" stops at: failures, NaN/Inf, gradient-check verdicts."""

from __future__ import annotations

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff.ops import Log, Sum
from tests.viz.conftest import lecture5
from viz.drawing.names import GraphNames
from viz.stepper.problems import Problem, Problems, kind_name, returned_grads
from viz.stepper.steps import backward_steps, select_nodes

from .graphs import NaNGrad, branching_graph, inherited_graph


def walk(L, **kwargs):
    graph, nodes, root = select_nodes(L)
    steps = backward_steps(graph, nodes, root, "en")
    names = GraphNames(graph.nx, nodes, root=root.node)
    step_of = {s.node: s.index + 1 for s in steps}
    return steps, names, Problems(L, kwargs.pop("lang", "en"), names, lambda n: step_of.get(n, 0), **kwargs)


def test_kind_name():
    assert kind_name("failed", "en") == "backward raised an exception"
    assert kind_name("nonfinite", "ru") == "NaN / Inf"
    assert kind_name("wrong_gradient", "en") == "wrong gradient"
    assert kind_name("something_new", "en") == "something_new"


def test_a_correct_graph_has_no_problem_even_after_the_check():
    steps, _, problems = walk(lecture5())
    assert all(problems.of(s, check=True) == [] for s in steps)
    assert problems.report is not None and problems.report.ok


def test_a_failed_backward_is_a_problem_without_running_the_check():
    steps, _, problems = walk(branching_graph())
    found = {s.label + str(s.node): problems.of(s) for s in steps}
    assert found["Broken2"] == [Problem("failed")]
    assert [k for k, v in found.items() if v] == ["Broken2"]
    assert problems.report is None  # check=False never runs the gradient check


def test_nonfinite_values_and_gradients_are_counted():
    x = gad.Tensor(np.array([1.0, 2.0, 3.0]), name="x")
    L = Sum()(NaNGrad()(x))
    steps, _, problems = walk(L)
    (nan_step,) = [s for s in steps if s.label == "NaNGrad"]
    assert problems.of(nan_step) == [Problem("nonfinite", ("✗ NaN / Inf: ∂L/∂x holds 3 NaN of 3 values",))]
    with np.errstate(divide="ignore"):  # log(0) = −Inf, and its gradient 1/0 = Inf
        L = Sum()(Log()(gad.Tensor(np.array([0.0, 1.0]), name="x")))
        steps, _, problems = walk(L)
    (log_step,) = [s for s in steps if s.label == "Log"]
    assert problems.of(log_step) == [
        Problem(
            "nonfinite",
            ("✗ NaN / Inf: the value holds 1 Inf of 2 values", "✗ NaN / Inf: ∂L/∂x holds 1 Inf of 2 values"),
        )
    ]


def test_a_wrong_gradient_is_found_by_the_check_and_inherited_nodes_are_not_problems():
    steps, names, problems = walk(inherited_graph())
    found = {s.label: problems.of(s, check=True) for s in steps}
    assert [k for k, v in found.items() if v] == ["MissingHalf"]
    (problem,) = found["MissingHalf"]
    assert problem.kind == "wrong_gradient"
    assert problem.lines == (
        "✗ gradient check (wrong gradient): ∂L/∂x is too large by a constant factor: backward returns 2 × the "
        "correct gradient (an extra factor 2)",
    )
    linear = next(s for s in steps if s.label == "Linear")
    assert [name for name, _ in returned_grads(linear, names.name)] == ["X", "θ"]


def test_a_report_must_have_nodes():
    L = lecture5()
    graph, nodes, root = select_nodes(L)
    names = GraphNames(graph.nx, nodes, root=root.node)
    with pytest.raises(ValueError, match=r"Stepper: report must have a \.nodes list"):
        Problems(L, "en", names, lambda n: 0, report=object())
    assert Problems(L, "en", names, lambda n: 0, checkable=False).ensure_report() is None
