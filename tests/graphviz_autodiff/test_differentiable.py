"""The op base class: the call (unwrap, forward, wrap, record), forward's output checked where it is made,
and parameters that stay parameters when the lecture's update line reassigns them."""

from __future__ import annotations

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable, Parameter, Tensor
from graphviz_autodiff.errors import ForwardOutputError
from graphviz_autodiff.ops import Identity, Linear, Mul, Squared, Sum
from tests.conftest import StudentIdentity, StudentLinear, StudentSquared, StudentSum

ETA = 0.005


def _lecture_loop(X, y, update, steps=100):
    """The lecture's loop, as a student writes it: forward, loss, backward, update θ by hand."""
    linear, act, sq, total = StudentLinear(X.shape[1]), StudentIdentity(), StudentSquared(), StudentSum()
    theta = linear.theta
    for _ in range(steps):
        loss = total(sq(act(linear(X)), y))
        loss.backward()
        update(linear)
    return linear, theta, loss


def _in_place(linear):
    linear.theta -= ETA * linear.theta.grad


def _reassigned(linear):
    linear.theta = linear.theta - ETA * linear.theta.grad


class TestTheLecturesUpdateLine:
    """Issue 13.1: both forms of the update line train the lecture's model to least squares."""

    @pytest.mark.parametrize("update", [_in_place, _reassigned], ids=["theta -= eta*grad", "theta = theta - eta*grad"])
    def test_a_100_step_loop_reaches_least_squares(self, regression_data, update):
        X, y = regression_data
        linear, theta, loss = _lecture_loop(X, y, update)
        assert linear.theta is theta and type(linear.theta) is Parameter and linear.theta.name == "θ"
        expected = np.linalg.lstsq(X, y, rcond=None)[0]
        np.testing.assert_allclose(linear.theta.data, expected, rtol=1e-6)
        # the graph of the last step shows θ as a parameter leaf feeding the call
        G = loss.graph.nx
        (param,) = [n for n in G if G.nodes[n]["kind"] == "parameter"]
        assert G.nodes[param]["label"] == "θ"

    def test_both_forms_give_the_same_parameters_as_an_optimizer(self, regression_data):
        X, y = regression_data
        by_hand = [_lecture_loop(X, y, update, steps=20)[0].theta.data for update in (_in_place, _reassigned)]
        linear = StudentLinear(X.shape[1])
        optimizer = gad.optim.SGD(linear.parameters(), lr=ETA)
        for _ in range(20):
            StudentSum()(StudentSquared()(StudentIdentity()(linear(X)), y)).backward()
            optimizer.step()
        for theta in by_hand:
            np.testing.assert_allclose(theta, linear.theta.data, rtol=1e-12)

    def test_reassignment_keeps_the_optimizers_reference(self, regression_data):
        X, _ = regression_data
        linear = Linear(4)
        optimizer = gad.optim.SGD(linear.parameters(), lr=ETA)
        linear(X)
        linear.theta = np.ones(4)
        assert optimizer.params[0] is linear.theta
        np.testing.assert_array_equal(linear.theta.data, np.ones(4))

    def test_reassigning_a_parameter_object_or_none_replaces_it(self):
        linear = Linear(2, bias=True)
        linear(np.ones((1, 2)))
        new = Parameter(np.zeros(2), name="θ'")
        linear.theta = new
        linear.bias = None
        assert linear.theta is new and linear.bias is None

    def test_a_non_numeric_value_over_a_parameter_is_refused_at_once(self):
        linear = Linear(2)
        linear(np.ones((1, 2)))
        with pytest.raises(TypeError, match=r"Linear\.theta: cannot take a value of dtype <U3"):
            linear.theta = np.array(["abc", "def"])
        with pytest.raises(TypeError, match=r"Linear\.theta: cannot take a value of dtype complex128"):
            linear.theta = linear.theta - 1j * np.ones(2)
        assert type(linear.theta) is Parameter and linear.theta.data.dtype == np.float64

    def test_ops_without_parameters_keep_plain_attributes(self):
        op = Mul()
        op(np.ones(2), np.ones(2))
        assert type(op).__setattr__ is object.__setattr__
        op.scale = np.ones(3)
        assert type(op.scale) is np.ndarray


class Returns(Differentiable):
    """forward returns whatever it was built with."""

    def __init__(self, value):
        self.value = value

    def forward(self, x):
        return self.value

    def backward(self, upstream_grad):
        return None


class TestForwardOutput:
    """Issue 13.3: forward's output is checked at the op that made it."""

    @pytest.mark.parametrize(
        ("value", "match"),
        [
            (np.array(["a", "b"]), r"Returns\.forward returned ndarray of text"),
            ("loss", r"Returns\.forward returned str of text"),
            (np.array([object(), 1], dtype=object), r"Returns\.forward returned ndarray of dtype object"),
            ([np.ones(2), np.ones(3)], r"Returns\.forward returned list"),
            (None, r"Returns\.forward returned NoneType"),
            (np.array(["2001-01-01"], dtype="datetime64[D]"), r"dtype datetime64\[D\]"),
        ],
        ids=["str array", "str", "object array", "list", "None", "datetime"],
    )
    def test_a_non_numeric_output_is_refused_at_that_op(self, value, match):
        with pytest.raises(ForwardOutputError, match=match):
            Returns(value)(np.ones(2))

    @pytest.mark.parametrize(
        ("value", "dtype", "requires_grad"),
        [(np.float32(2.0), np.float32, True), (3, np.int64, False), (np.array([True]), np.bool_, False)],
    )
    def test_numbers_of_any_kind_are_outputs(self, value, dtype, requires_grad):
        out = Returns(value)(Tensor(np.ones(2)))
        assert out.dtype == dtype and out.requires_grad is requires_grad

    def test_a_text_argument_is_refused_naming_the_op_and_argument(self):
        with pytest.raises(TypeError, match=r"Identity: argument 0 is a ndarray of dtype <U1"):
            Identity()(np.array(["a"]))


class TestTheCall:
    def test_raw_backward_is_the_code_as_written(self):
        assert StudentSquared.raw_backward is StudentSquared.__dict__["raw_backward"]
        assert StudentSquared.backward is not StudentSquared.raw_backward
        assert StudentSquared.backward.__wrapped__ is StudentSquared.raw_backward

    def test_each_call_keeps_its_context(self):
        sq = Squared()
        with gad.Graph():
            a = sq(np.array([1.0, 2.0]), np.zeros(2))
            b = sq(np.array([3.0]), np.ones(1))
        c = sq(np.array([4.0]), np.ones(1))  # another graph: no previous call there
        assert a.call.op is b.call.op is sq
        assert a.call.saved["mu"].tolist() == [1.0, 2.0] and sq.mu.tolist() == [4.0]
        assert b.call.previous_output() is a and a.call.stamp < b.call.stamp
        assert c.call.previous_output() is None
        assert a.needs_input_grad == (True, True) and a.inputs == a.call.inputs

    def test_a_call_under_no_record_is_not_recorded_but_differentiable(self):
        x = Tensor(np.array([1.0, 2.0]), name="x")
        with gad.no_record():
            loss = Sum()(Identity()(x * x))
        assert loss.graph is None and loss.node is None
        loss.backward()
        np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_an_unnamed_input_is_named_after_the_forward_argument_it_is_passed_as():
    from types import SimpleNamespace

    class Stack(Differentiable):
        def forward(self, *xs):
            return np.stack(xs)

        def backward(self, upstream_grad):
            return tuple(upstream_grad)

    def input_labels(t: Tensor) -> list[str]:
        G = t.graph.nx
        return [G.nodes[n]["label"] for n in G if G.nodes[n]["kind"] == "input"]

    data = SimpleNamespace(X=np.ones((5, 4)), y=np.arange(5.0))  # attributes: no variable name to guess
    loss = Sum()(Squared()(Identity()(Linear(4)(data.X)), data.y))
    assert input_labels(loss) == ["x", "y"]
    stacked = Stack()(data.y, data.y + 1)  # *xs: no name to take, numbered among the graph's leaves
    assert input_labels(stacked) == ["input0", "input1"]
