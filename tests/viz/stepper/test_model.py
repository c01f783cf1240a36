"""viz.StepperModel without widgets: steps, order, time travel, forward mode, run-to, problems, errors."""

from __future__ import annotations

import inspect
import subprocess
import sys

import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff.errors import ShapeRuleError
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
    svg_text,
)
from tests.viz.stepper.graphs import (
    Broken,
    CountingIdentity,
    NaNGrad,
    WrongShape,
    WrongSign,
    branching_graph,
    current_nodes,
    fmt,
    lecture_numbers,
    line_of,
    node_classes,
)
from viz.stepper import StepIndexError, StepperError, UnknownNodeError
from viz.themes import THEMES

pytestmark = pytest.mark.filterwarnings("error::viz.GraphvizWarning")
SVG = "{http://www.w3.org/2000/svg}"


# -- steps and order ------------------------------------------------------------------------------------
def test_lecture_graph_has_four_steps_in_the_engines_order():
    expected = [(s.node, s.label) for s in gad.iter_backward(lecture5())]
    stepper = viz.StepperModel(lecture5())
    assert stepper.n_steps == 4
    assert (
        [(s.node, s.label) for s in stepper.steps]
        == expected
        == [
            (6, "Sum"),
            (5, "Squared"),
            (3, "Identity"),
            (2, "Linear"),
        ]
    )
    assert stepper.step_index == 0 and stepper.current is None
    assert [stepper.next() for _ in range(5)] == [1, 2, 3, 4, 4]  # stays at the end
    assert stepper.current.label == "Linear"
    assert [stepper.back() for _ in range(5)] == [3, 2, 1, 0, 0]
    assert stepper.goto(2) == 2 and stepper.current.label == "Squared"
    assert stepper.reset() == 0


def test_steps_hold_the_lectures_numbers():
    want = lecture_numbers()
    stepper = viz.StepperModel(lecture5())
    squared = stepper.steps[1]
    np.testing.assert_allclose(squared.upstream_grad, np.ones(5))
    np.testing.assert_allclose(squared.grads[0], want["dmu"])
    np.testing.assert_allclose(squared.grads[1], want["dy"])
    assert squared.consumers == (6,) and squared.n_consumers == 1 and squared.inputs == (3, 4)
    linear = stepper.steps[3]
    np.testing.assert_allclose(linear.param_grads["theta"], want["dtheta"])
    assert linear.params == {"theta": 1} and linear.record.node == 2


def test_goto_outside_the_steps_raises():
    stepper = viz.StepperModel(lecture5())
    for bad in (-1, 5):
        with pytest.raises(StepIndexError, match="steps go from 0 to 4"):
            stepper.goto(bad)
    with pytest.raises(StepIndexError, match="must be an int"):
        stepper.goto(1.5)
    assert stepper.step_index == 0


@pytest.mark.dot
def test_frames_highlight_the_current_node_and_show_done_gradients():
    want = lecture_numbers()
    stepper = viz.StepperModel(lecture5())
    assert current_nodes(stepper.svg()) == []
    assert all(c[0] == "pending" for c in node_classes(stepper.svg()).values())
    expected_current = ["n6", "n5", "n3", "n2"]
    for k in range(1, 5):
        stepper.goto(k)
        assert current_nodes(stepper.svg()) == [expected_current[k - 1]]
    stepper.goto(2)
    nodes = svg_nodes(parse_svg(stepper.svg()))
    assert nodes["n6"].get("class").split()[1] == "done"
    squared = " ".join(svg_text(nodes["n5"]).split())
    assert "∂L/∂s = [1, 1, 1, 1, 1]" in squared  # the current node shows what it received
    assert fmt(want["dy"]) in svg_text(nodes["n4"])  # y's only consumer is done: its gradient is shown
    theta = " ".join(svg_text(nodes["n1"]).split())
    assert "∂L/∂θ = —" in theta and nodes["n1"].get("class").split()[1] == "pending"
    stepper.goto(4)
    nodes = svg_nodes(parse_svg(stepper.svg()))
    assert fmt(want["dtheta"]) in svg_text(nodes["n1"])
    assert nodes["n1"].get("class").split()[1] == "done"


def test_going_back_restores_exactly_and_never_reruns_student_code():
    CountingIdentity.calls = 0
    X, y = gad.Tensor(LECTURE_X.copy(), name="X"), gad.Tensor(LECTURE_Y.copy(), name="y")
    L = Sum()(Squared()(CountingIdentity()(Linear(4, theta=LECTURE_THETA.copy())(X)), y))
    stepper = viz.StepperModel(L)
    assert CountingIdentity.calls == 1  # the backward pass ran once, when the stepper was made
    seen = {}
    for k in range(stepper.n_steps + 1):
        stepper.goto(k)
        seen[k] = (stepper.svg(), stepper.describe(), stepper.current)
    for k in (3, 0, 4, 1, 2, 2, 0, 4):
        stepper.goto(k)
        svg, text, step = seen[k]
        assert stepper.svg() == svg and stepper.describe() == text and stepper.current is step
    stepper.goto(4)
    for k in (3, 2, 1, 0):
        assert stepper.back() == k
        assert (stepper.svg(), stepper.describe(), stepper.current) == seen[k]
    assert len({seen[k][0] for k in seen}) == 5  # every frame differs
    assert CountingIdentity.calls == 1


@pytest.mark.dot
def test_russian_picture():
    stepper = viz.StepperModel(lecture5(), lang="ru")
    assert "параметр" in svg_text(svg_nodes(parse_svg(stepper.svg()))["n1"])


# -- forward mode -----------------------------------------------------------------------------------------
@pytest.mark.dot
def test_forward_mode_steps_through_calls_in_recording_order():
    stepper = viz.StepperModel(lecture5(), direction="forward")
    assert [s.label for s in stepper.steps] == ["Linear", "Identity", "Squared", "Sum"]
    assert [s.node for s in stepper.steps] == [2, 3, 5, 6]
    nodes = svg_nodes(parse_svg(stepper.svg()))
    assert nodes["n2"].get("class").split()[1] == "pending"
    assert "z =" not in svg_text(nodes["n2"])  # no value before the call
    assert "X =" in svg_text(nodes["n0"])  # inputs exist from the start
    stepper.goto(2)
    nodes = svg_nodes(parse_svg(stepper.svg()))
    assert fmt(LECTURE_X @ LECTURE_THETA) in svg_text(nodes["n2"])
    assert current_nodes(stepper.svg()) == ["n3"]
    assert "μ =" in svg_text(nodes["n3"]) and "Squared" in svg_text(nodes["n5"])
    assert "out =" not in svg_text(nodes["n5"])
    assert "∂L/∂" not in " ".join(
        svg_text(g) for g in parse_svg(stepper.svg()).iter(f"{SVG}g") if "edge" in g.get("class", "")
    )
    text = stepper.describe(2)
    assert "Computes μ = 𝕀(z) = z" in text and "argument z ← node 2 (z): (5,)" in text
    assert f"Output μ: (5,) = {fmt(LECTURE_X @ LECTURE_THETA)}" in text


def test_forward_mode_runs_no_backward():
    CountingIdentity.calls = 0
    L = Sum()(CountingIdentity()(np.ones(3)))
    stepper = viz.StepperModel(L, direction="forward")
    assert stepper.n_steps == 2 and CountingIdentity.calls == 0
    assert all(s.upstream_grad is None for s in stepper.steps)


# -- run to -------------------------------------------------------------------------------------------------
def test_run_to_a_node():
    L = lecture5()
    stepper = viz.StepperModel(L)
    assert stepper.run_to("Identity") == 3 and stepper.current.label == "Identity"
    assert stepper.run_to(2) == 4
    assert stepper.run_to("n5") == 2
    assert stepper.run_to("θ") == 4  # a leaf: the step after which its gradient is complete
    assert stepper.run_to("y") == 2
    assert stepper.run_to("μ") == 3  # the output's name
    with pytest.raises(UnknownNodeError, match=r"no node 'Softmax'.*labels: Identity, Linear, Squared, Sum, X, y, θ"):
        stepper.run_to("Softmax")
    with pytest.raises(UnknownNodeError):
        stepper.run_to(99)
    with pytest.raises(TypeError, match="expected a node id"):
        stepper.run_to(1.5)


def test_run_to_a_tensor_and_a_shared_label():
    x = gad.Tensor(np.array([1.0, 2.0]), name="x")
    first = Identity()(x)
    second = Identity()(first)
    L = Sum()(second)
    stepper = viz.StepperModel(L)
    assert [s.label for s in stepper.steps] == ["Sum", "Identity", "Identity"]
    assert stepper.run_to(first) == 3
    stepper.reset()
    assert stepper.run_to("Identity") == 2  # the first one ahead
    assert stepper.run_to("Identity") == 3  # then the next one
    assert stepper.run_to("Identity") == 2  # none ahead: the first of all


def test_run_to_problem_stops_at_nonfinite_values():
    x = gad.Tensor(np.array([1.0, 2.0]), name="x")
    L = Sum()(Squared()(NaNGrad()(Identity()(x)), np.zeros(2)))
    stepper = viz.StepperModel(L, report=Report([]))  # an empty report: no gradient check needed
    assert stepper.run_to_problem() == 3
    assert [p.kind for p in stepper.problems()] == ["nonfinite"]
    assert "✗ NaN / Inf: ∂L/∂x holds 2 NaN of 2 values" not in stepper.describe()
    assert "✗ NaN / Inf: ∂L/∂μ holds 2 NaN of 2 values" in stepper.describe()
    assert stepper.run_to_problem() == 4  # Identity received NaN
    assert "✗ NaN / Inf: the upstream gradient holds 2 NaN of 2 values" in stepper.describe()
    assert stepper.run_to_problem() is None and stepper.step_index == 4


def test_run_to_problem_runs_the_gradient_check_only_when_needed():
    x = gad.Tensor(np.array([1.0, -2.0, 0.5]), name="x")
    L = Sum()(Squared()(WrongSign()(Identity()(x)), np.ones(3)))
    stepper = viz.StepperModel(L)
    assert stepper.report is None
    assert "gradient check" not in stepper.describe(3)
    assert stepper.run_to_problem() == 3
    assert stepper.report is not None and stepper.current.label == "WrongSign"
    assert [p.kind for p in stepper.problems()] == ["wrong_gradient"]
    assert "✗ gradient check (wrong gradient)" in stepper.describe()
    assert stepper.run_to_problem() is None


def test_run_to_problem_uses_a_given_report():
    report = Report([Record(node=3, kind="wrong_gradient", message="made-up verdict")])
    stepper = viz.StepperModel(lecture5(), report=report)
    assert stepper.run_to_problem() == 3 and stepper.report is report
    assert "✗ gradient check (wrong gradient): made-up verdict" in stepper.describe()
    with pytest.raises(ValueError, match=r"report must have a \.nodes list"):
        viz.StepperModel(lecture5(), report=object())


# -- a student op that raises ---------------------------------------------------------------------------
def test_a_raising_backward_is_recorded_and_the_walk_goes_on():
    L = branching_graph()
    stepper = viz.StepperModel(L)
    assert [(s.label, s.status) for s in stepper.steps] == [
        ("Sum", "done"),
        ("Add", "done"),
        ("Identity", "done"),
        ("Broken", "failed"),
        ("Identity", "skipped"),
    ]
    assert stepper.run_to_problem() == 4
    error = stepper.current.error
    assert isinstance(error, ValueError) and str(error) == "student forgot to return the gradient"
    where = f"graphs.py:{line_of(Broken, 'raise ValueError')}"
    assert stepper.current.where == where
    lines = stepper.describe().splitlines()
    assert "✗ backward raised ValueError: student forgot to return the gradient" in lines
    assert f'✗ at {where}: raise ValueError("student forgot to return the gradient")' in lines
    assert "✗ No gradient flows from here to Identity (node 1); the walk goes on along the other branches." in lines
    red = [line for line in lines if line.startswith("✗")]
    assert len(red) == 3 and "ValueError" in red[0]  # the error lines, which the viewer draws in red
    assert stepper.describe(5).splitlines()[1:] == [
        "No gradient reached this node (its consumers failed or do not use it): backward was not called.",
        "✗ nothing from Broken (node 2): their backward failed",
        "The backward pass is complete: all 5 steps are done.",
    ]


@pytest.mark.dot
def test_a_raising_backward_is_drawn_in_red_with_its_line():
    stepper = viz.StepperModel(branching_graph())
    stepper.goto(4)
    nodes = svg_nodes(parse_svg(stepper.svg()))
    broken = nodes["n2"]
    assert broken.get("class").split()[1:] == ["failed", "op", "current"]
    fills = [p.get("fill") for p in broken if p.tag in (f"{SVG}path", f"{SVG}polygon")]
    assert THEMES["lecture"].failed_fill in fills
    text = " ".join(svg_text(broken).split())
    assert f"ValueError at graphs.py:{line_of(Broken, 'raise ValueError')}" in text
    assert "no gradient from Broken (node 2, failed)" in " ".join(svg_text(nodes["n1"]).split())
    assert "∂L/∂w = [1, 1, 1]" in " ".join(svg_text(nodes["n3"]).split())  # the other branch is done
    assert nodes["n3"].get("class").split()[1] == "done"
    stepper.goto(5)
    assert node_classes(stepper.svg())["n2"] == ["failed", "op"]


def test_a_shape_violation_points_at_the_students_backward():
    x = gad.Tensor(np.array([1.0, 2.0, 3.0]), name="x")
    L = Sum()(WrongShape()(Identity()(x)))
    stepper = viz.StepperModel(L)
    step = stepper.steps[1]
    assert step.status == "failed" and isinstance(step.error, ShapeRuleError)
    _, start = inspect.getsourcelines(WrongShape.backward)
    assert step.where == f"graphs.py:{start}" and step.code.startswith("def backward")
    assert stepper.describe(2).splitlines()[3].startswith("✗ backward raised ShapeRuleError:")
    assert x.grad is None  # the engine commits no .grad after a failure


# -- inputs and options -------------------------------------------------------------------------------------
def test_a_graph_after_backward_steps_like_its_loss():
    L = lecture5(backward=True)
    from_graph = viz.StepperModel(L.graph)
    from_tensor = viz.StepperModel(lecture5())
    assert [s.node for s in from_graph.steps] == [s.node for s in from_tensor.steps]
    for k in range(5):
        assert from_graph.describe(k) == from_tensor.describe(k)
    with pytest.raises(StepperError, match="holds no backward pass"):
        viz.StepperModel(lecture5().graph)
    assert viz.StepperModel(lecture5().graph, direction="forward").n_steps == 4


def test_bad_arguments():
    L = lecture5()
    with pytest.raises(ValueError, match="direction must be 'backward' or 'forward'"):
        viz.StepperModel(L, direction="sideways")
    with pytest.raises(ValueError, match="lang must be one of 'en', 'ru'"):
        viz.StepperModel(L, lang="fr")
    with pytest.raises(ValueError, match="collapse= cannot be used"):
        viz.StepperModel(L, collapse=True)
    with pytest.raises(ValueError, match="theme must be one of"):
        viz.StepperModel(L, theme="neon")
    with pytest.raises(TypeError):
        viz.StepperModel(L, colour="red")
    with pytest.raises(TypeError, match="expected a graphviz_autodiff Tensor"):
        viz.StepperModel(np.ones(3))
    with gad.no_record():
        unrecorded = Sum()(np.ones(3))
    with pytest.raises(ValueError, match="not part of a recorded graph"):
        viz.StepperModel(unrecorded)


def test_the_model_needs_no_ipywidgets():
    code = (
        "import sys; sys.modules['ipywidgets'] = None\n"  # any `import ipywidgets` now fails
        "import numpy as np, viz\n"
        "from graphviz_autodiff.ops import Squared, Sum\n"
        "model = viz.Stepper(Sum()(Squared()(np.ones(2), np.zeros(2))))\n"
        "print(model.n_steps, model.next(), model.current.label)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2", "1", "Sum"]


# -- what the viewer reads -----------------------------------------------------------------------------------
def test_chain_lines_and_problem_titles():
    stepper = viz.StepperModel(lecture5())
    assert stepper.chain_lines(0) == []
    assert stepper.chain_lines(2) == ["∂L/∂μ = 2(μ − y) ⊙ ∂L/∂s", "∂L/∂y = −2(μ − y) ⊙ ∂L/∂s"]
    assert all(f"  {line}" in stepper.lines(2) for line in stepper.chain_lines(2))
    forward = viz.StepperModel(lecture5(), direction="forward")
    assert forward.chain_lines(2) == ["μ = 𝕀(z) = z"]
    assert stepper.title(5) == "Squared (s)" and stepper.names.loss == "L"
    failing = viz.StepperModel(branching_graph(), report=Report([]))
    assert failing.problem_title(4) == "backward raised an exception" and failing.chain_lines(4) == []
    assert failing.problem_title(1) is None
    x = gad.Tensor(np.array([1.0, 2.0]), name="x")
    nan = viz.StepperModel(Sum()(Squared()(NaNGrad()(Identity()(x)), np.zeros(2))), report=Report([]))
    assert nan.problem_title(3) == "NaN / Inf"
