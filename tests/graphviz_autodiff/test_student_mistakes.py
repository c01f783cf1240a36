"""A catalogue of student mistakes the engine must catch (issue 13): each gets a specific error that names
the op and the argument or parameter, and a failed backward leaves the model exactly as it was -- every
parameter's value and every ``.grad``.

The model is ``Sum(Bad(Linear(x), w))``: ``Linear`` holds θ (a parameter upstream of the mistake), and
``Bad`` computes ``x @ (w + ψ)`` with its own parameter ψ; each case replaces ``Bad``'s backward (or
forward) by a mistaken one. (The debugger's verdicts on such ops are tested in tests/graphviz_autodiff/debug.)
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable, Parameter, Tensor
from graphviz_autodiff.errors import (
    ForwardOutputError,
    GradientCountError,
    GradientCutWarning,
    GradientTypeError,
    InPlaceModificationError,
    MissingGradientError,
    NonFiniteError,
    NonScalarBackwardError,
    ShapeRuleError,
)
from graphviz_autodiff.ops import Linear, Sum

X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.0]])


class Bad(Differentiable):
    """``z = x @ (w + ψ)``, whose backward (or forward) is replaced by a mistaken one."""

    def __init__(self, backward=None, forward=None, name=None):
        super().__init__(name)
        self.psi = Parameter(np.array([0.5, -1.0]), name="ψ")
        self.mistaken_backward = backward
        self.mistaken_forward = forward

    def forward(self, x, w):
        self.x, self.w = x, w
        if self.mistaken_forward is not None:
            return self.mistaken_forward(self, x, w)
        return x @ (w + self.psi.data)

    def backward(self, upstream_grad):
        return self.mistaken_backward(self, upstream_grad)

    # the right answer, for the mistakes to start from
    def dx(self, g):
        return np.outer(g, self.w + self.psi.data)

    def dw(self, g):
        return self.x.T @ g


# -- mistaken backward functions (named, so tracebacks show a line) -------------------------------------------
def one_gradient(op, g):
    return op.dx(g)


def three_gradients(op, g):
    return op.dx(g), op.dw(g), op.dw(g)


def list_of_one(op, g):
    return [op.dx(g)]


def none_for_x(op, g):
    return None, op.dw(g)


def none_for_w(op, g):
    return op.dx(g), None


def transposed(op, g):
    return op.dx(g).T, op.dw(g)


def missing_sum(op, g):
    return op.dx(g), op.x * g[:, None]


def scalar_for_vector(op, g):
    return op.dx(g), float(np.sum(op.dw(g)))


def complex_gradient(op, g):
    return op.dx(g) + 0j, op.dw(g)


def mask_gradient(op, g):
    return op.x > 0, op.dw(g)


def text_gradient(op, g):
    return op.dx(g), np.array(["0.5", "1"])


def object_gradient(op, g):
    return op.dx(g), np.array([1.0, None], dtype=object)


def ragged_gradient(op, g):
    return op.dx(g), [np.ones(2), np.ones(3)]


def dict_gradients(op, g):
    return {"x": op.dx(g), "w": op.dw(g)}


def psi_wrong_shape(op, g):
    op.psi.grad = op.x * g[:, None]
    return op.dx(g), op.dw(g)


def psi_complex(op, g):
    op.psi.grad = op.dw(g) * 1j
    return op.dx(g), op.dw(g)


def psi_bool(op, g):
    op.psi.grad = op.dw(g) > 0
    return op.dx(g), op.dw(g)


def psi_text(op, g):
    op.psi.grad = "dL/dψ"
    return op.dx(g), op.dw(g)


def psi_none_array(op, g):
    op.psi.grad = np.array([None, None])
    return op.dx(g), op.dw(g)


def scales_upstream(op, upstream_grad):
    upstream_grad *= 2.0
    return op.dx(upstream_grad), op.dw(upstream_grad)


def writes_upstream_through_out(op, upstream_grad):
    np.multiply(upstream_grad, 2.0, out=upstream_grad)
    return op.dx(upstream_grad), op.dw(upstream_grad)


def sets_an_upstream_element(op, upstream_grad):
    upstream_grad[0] = 0.0
    return op.dx(upstream_grad), op.dw(upstream_grad)


def clips_upstream_in_place(op, upstream_grad):
    np.clip(upstream_grad, -1, 1, out=upstream_grad)
    return op.dx(upstream_grad), op.dw(upstream_grad)


def steps_psi_in_backward(op, g):
    op.psi.grad = op.dw(g)
    op.psi -= 0.1 * op.psi.grad
    return op.dx(g), op.dw(g)


def steps_psi_data_in_backward(op, g):
    op.psi.grad = op.dw(g)
    op.psi.data -= 0.1 * op.psi.grad
    return op.dx(g), op.dw(g)


def reassigns_psi_in_backward(op, g):
    op.psi.grad = op.dw(g)
    op.psi.data = op.psi.data - 0.1 * op.psi.grad
    return op.dx(g), op.dw(g)


def divides_by_zero(op, g):
    return 1 / 0


def recurses(op, g):
    return recurses(op, g)


def calls_its_own_backward(op, g):
    return op.backward(g)


def nan_gradient(op, g):
    return op.dx(g) * np.nan, op.dw(g)


def hostile_name_shape(op, g):
    return op.dx(g).T, op.dw(g)


# -- mistaken forward functions -----------------------------------------------------------------------------
def returns_tuple(op, x, w):
    return x @ w, x


def returns_none(op, x, w):
    return None


def returns_text(op, x, w):
    return "loss"


def returns_objects(op, x, w):
    return np.array([object()] * len(x), dtype=object)


def returns_ragged(op, x, w):
    return [x, w]


def raises_in_forward(op, x, w):
    raise KeyError("theta")


BACKWARD_CASES = [
    (one_gradient, GradientCountError, r"Bad\.backward returned one ndarray but forward took 2 arguments"),
    (three_gradients, GradientCountError, r"Bad\.backward returned 3 gradients but forward took 2 arguments"),
    (list_of_one, GradientCountError, r"Bad\.backward returned 1 gradients but forward took 2"),
    (none_for_x, MissingGradientError, r"Bad\.backward returned None for argument 0 \(x\)"),
    (none_for_w, MissingGradientError, r"Bad\.backward returned None for argument 1 \(w\).*Tensor\(y, requires_grad"),
    (
        transposed,
        ShapeRuleError,
        r"Bad\.backward returned a gradient of shape \(2, 3\) for argument 0 \(x\).*transposed",
    ),
    (missing_sum, ShapeRuleError, r"shape \(3, 2\) for argument 1 \(w\), which has shape \(2,\).*sum over axis 0"),
    (scalar_for_vector, ShapeRuleError, r"shape \(\) for argument 1 \(w\), which has shape \(2,\)"),
    (complex_gradient, GradientTypeError, r"Bad\.backward gave the gradient for argument 0 \(x\) .*complex128"),
    (mask_gradient, GradientTypeError, r"argument 0 \(x\) an array of dtype bool.*mask"),
    (text_gradient, GradientTypeError, r"argument 1 \(w\) an array of dtype <U3"),
    (object_gradient, GradientTypeError, r"argument 1 \(w\) an array of dtype object"),
    (ragged_gradient, GradientTypeError, r"argument 1 \(w\) a list that is not an array of numbers"),
    (dict_gradients, GradientCountError, r"Bad\.backward returned one dict but forward took 2"),
    (psi_wrong_shape, ShapeRuleError, r"Bad\.backward set psi\.grad to shape \(3, 2\).*psi has shape \(2,\)"),
    (psi_complex, GradientTypeError, r"Bad\.backward gave psi\.grad \(parameter psi\) an array of dtype complex128"),
    (psi_bool, GradientTypeError, r"psi\.grad \(parameter psi\) an array of dtype bool"),
    (psi_text, GradientTypeError, r"psi\.grad \(parameter psi\) an array of dtype <U5"),
    (psi_none_array, GradientTypeError, r"psi\.grad \(parameter psi\) an array of dtype object"),
    (
        scales_upstream,
        InPlaceModificationError,
        r"Bad\.backward modified upstream_grad in place \(line: upstream_grad \*= 2\.0\)",
    ),
    (writes_upstream_through_out, InPlaceModificationError, r"Bad\.backward modified upstream_grad in place"),
    (
        sets_an_upstream_element,
        InPlaceModificationError,
        r"modified upstream_grad in place \(line: upstream_grad\[0\] = 0\.0\)",
    ),
    (clips_upstream_in_place, InPlaceModificationError, r"Bad\.backward modified upstream_grad in place"),
    (steps_psi_in_backward, InPlaceModificationError, r"Bad\.backward changed parameter psi"),
    (steps_psi_data_in_backward, InPlaceModificationError, r"Bad\.backward modified parameter psi in place"),
    (reassigns_psi_in_backward, InPlaceModificationError, r"Bad\.backward changed parameter psi"),
    (divides_by_zero, ZeroDivisionError, r"raised in Bad\.backward, graph node 5"),
    (recurses, RecursionError, r"raised in Bad\.backward, graph node 5"),
]


def _model(op):
    linear = Linear(2, 2, theta=np.array([[1.0, 0.5], [-0.5, 2.0]]))
    x = Tensor(X, name="x")
    w = Tensor(np.array([0.25, -0.75]), name="w")
    return linear, x, w, Sum()(op(linear(x), w))


def _snapshot(*objects):
    """Every value and .grad of the model, with the objects themselves (unchanged means: the same objects)."""
    taken = []
    for obj in objects:
        taken.append((obj, "data", obj.data, obj.data.copy()))
        taken.append((obj, "grad", obj.grad, None if obj.grad is None else obj.grad.copy()))
    return taken


def _assert_unchanged(snapshot):
    for obj, attr, before, values in snapshot:
        now = getattr(obj, attr)
        assert now is before, f"{attr} of {getattr(obj, 'name', obj)} was replaced"
        if values is not None:
            np.testing.assert_array_equal(now, values)


def _failing_model(op):
    linear, x, w, loss = _model(op)
    for i, obj in enumerate((linear.theta, op.psi, x, w)):
        obj.grad = np.full(obj.data.shape, 100.0 + i)  # a previous pass's gradients, still there
    return loss, _snapshot(linear.theta, op.psi, x, w)


def _message(error: BaseException) -> str:
    return " ".join([str(error), *getattr(error, "__notes__", [])])


@pytest.mark.parametrize(("backward", "error", "match"), BACKWARD_CASES, ids=[c[0].__name__ for c in BACKWARD_CASES])
def test_a_mistaken_backward(backward, error, match):
    loss, snapshot = _failing_model(Bad(backward))
    with pytest.raises(error) as caught:
        loss.backward()
    assert re.search(match, _message(caught.value), re.S), _message(caught.value)
    _assert_unchanged(snapshot)


@pytest.mark.parametrize(("backward", "error", "match"), BACKWARD_CASES, ids=[c[0].__name__ for c in BACKWARD_CASES])
def test_the_same_mistake_in_the_manual_chain(backward, error, match):
    op = Bad(backward)
    linear, _, _, loss = _model(op)
    snapshot = _snapshot(linear.theta, op.psi)
    upstream = np.ones(3)
    with pytest.raises(error) as caught:
        op.backward(upstream)
    assert re.search(match.replace("graph node 5", "graph node"), _message(caught.value), re.S)
    _assert_unchanged(snapshot)
    np.testing.assert_array_equal(upstream, np.ones(3))  # the caller's array is not written either
    assert loss.graph.nx.nodes[loss.inputs[0].node]["status"] == "failed"


def test_a_stepped_pass_leaves_the_model_as_it_was_too():
    loss, snapshot = _failing_model(Bad(scales_upstream))
    steps = list(gad.iter_backward(loss, on_error="record"))
    assert [s.status for s in steps] == ["done", "failed", "skipped"]
    _assert_unchanged(snapshot)


def test_a_backward_calling_itself_gets_the_users_code_not_a_new_pass():
    loss, snapshot = _failing_model(Bad(calls_its_own_backward))
    with pytest.raises(RecursionError) as caught:
        loss.backward()
    assert "raised in Bad.backward" in _message(caught.value)
    _assert_unchanged(snapshot)


def test_a_nan_gradient_under_anomaly_mode():
    loss, snapshot = _failing_model(Bad(nan_gradient))
    with gad.detect_anomaly(), pytest.raises(NonFiniteError, match=r"Bad\.backward produced 6 NaN .*argument 0 \(x\)"):
        loss.backward()
    _assert_unchanged(snapshot)


FORWARD_CASES = [
    (returns_tuple, ForwardOutputError, r"Bad\.forward returned tuple"),
    (returns_none, ForwardOutputError, r"Bad\.forward returned NoneType"),
    (returns_text, ForwardOutputError, r"Bad\.forward returned str of text"),
    (returns_objects, ForwardOutputError, r"Bad\.forward returned ndarray of dtype object"),
    (returns_ragged, ForwardOutputError, r"Bad\.forward returned list"),
    (raises_in_forward, KeyError, r"raised in Bad\.forward, called with argument shapes \(3, 2\), \(2,\)"),
]


@pytest.mark.parametrize(("forward", "error", "match"), FORWARD_CASES, ids=[c[0].__name__ for c in FORWARD_CASES])
def test_a_mistaken_forward_is_stopped_at_that_op(forward, error, match):
    op = Bad(forward=forward)
    with pytest.raises(error) as caught:
        _model(op)
    assert re.search(match, _message(caught.value)), _message(caught.value)


@pytest.mark.parametrize(
    ("argument", "match"),
    [
        (np.array(["1", "2"]), r"Bad: argument 1 is a ndarray of dtype <U1"),
        (["a", "b"], r"Bad: argument 1 is a list of dtype <U1"),
        ([np.ones(2), np.ones(3)], r"Bad: argument 1 is a list of dtype object"),
    ],
    ids=["text array", "list of text", "ragged list"],
)
def test_a_non_numeric_argument(argument, match):
    with pytest.raises(TypeError, match=match):
        Bad()(Tensor(X), argument)


def test_an_integer_forward_output_cuts_the_path_without_a_stale_gradient():
    op = Bad(backward=lambda op, g: (op.dx(g), op.dw(g)), forward=lambda op, x, w: (x @ w > 0).astype(int))
    linear, _, _, loss = _model(op)
    linear.theta.grad = np.ones((2, 2))  # from an earlier pass
    cut = r"Bad \(graph node 5\) returned an array of dtype int64.*no gradient reaches ψ, w, θ, x"
    with pytest.warns(GradientCutWarning, match=cut):
        (loss * 1.0).backward()
    assert linear.theta.grad is None


@pytest.mark.parametrize(
    ("value", "match"),
    [("abc", r"Bad\.psi: cannot take a value of dtype <U3"), (np.array([1j, 1j]), r"Bad\.psi: .*complex128")],
)
def test_a_reassigned_parameter_with_a_wrong_value_is_refused_at_once(value, match):
    op = Bad(none_for_x)
    _model(op)
    with pytest.raises(TypeError, match=match):
        op.psi = value
    assert type(op.psi) is Parameter and op.psi.data.tolist() == [0.5, -1.0]


def test_an_empty_batch_works_and_its_mistakes_are_caught():
    linear = Linear(2, 2, theta=np.eye(2))
    empty = Tensor(np.zeros((0, 2)), name="x")
    loss = Sum()(Bad(lambda op, g: (op.dx(g), op.dw(g)))(linear(empty), np.array([1.0, 1.0])))
    loss.backward()
    assert empty.grad.shape == (0, 2) and linear.theta.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    loss = Sum()(Bad(transposed)(linear(empty), np.array([1.0, 1.0])))
    with pytest.raises(ShapeRuleError, match=r"shape \(2, 0\) for argument 0 \(x\), which has shape \(0, 2\)"):
        loss.backward()


def test_a_huge_wrong_gradient_gets_a_short_message():
    big = Tensor(np.ones((200_000, 2)), name="x")
    loss = Sum()(Bad(transposed)(big, np.array([1.0, 1.0])))
    with pytest.raises(ShapeRuleError) as caught:
        loss.backward()
    assert "(2, 200000)" in str(caught.value) and len(str(caught.value)) < 400


@pytest.mark.parametrize(
    "name",
    [
        "two\nlines",
        "carriage\rreturn",
        "next\u0085line",
        "line\u2028separator",
        "para\u2029separator",
        "lone\ud800",
        "x" * 100_000,
    ],
    ids=["LF", "CR", "NEL", "LS", "PS", "surrogate", "100k"],
)
def test_hostile_op_names_still_name_the_op(name):
    loss, snapshot = _failing_model(Bad(hostile_name_shape, name=name))
    with pytest.raises(ShapeRuleError) as caught:
        loss.backward()
    assert str(caught.value).startswith(f"{name}.backward returned a gradient of shape (2, 3)")
    _assert_unchanged(snapshot)


def test_backward_on_a_non_scalar_and_with_a_wrong_gradient():
    linear, _, _, loss = _model(Bad(one_gradient))
    out = loss.inputs[0]
    with pytest.raises(NonScalarBackwardError, match=r"has shape \(3,\)"):
        out.backward()
    with pytest.raises(
        ShapeRuleError, match=r"backward\(grad\): grad has shape \(2,\) but the tensor has shape \(3,\)"
    ):
        out.backward(np.ones(2))
    with pytest.raises(ShapeRuleError, match=r"Bad\.backward was given an upstream gradient of shape \(2,\)"):
        out.op.backward(np.ones(2))
    assert linear.theta.grad is None
