"""Contract violations raise specific exceptions with messages a student understands,
and leave the model unchanged."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable, Parameter, Tensor
from graphviz_autodiff.errors import (
    BroadcastWarning,
    ForwardOutputError,
    GradientCountError,
    MissingGradientError,
    NonScalarBackwardError,
    ShapeRuleError,
    describe_error,
    error_message,
)
from graphviz_autodiff.i18n import UnknownLanguageError, message_lang, messages_in
from graphviz_autodiff.ops import Identity, Linear, Squared, Sum


class SquaredOneGrad(Differentiable):
    def forward(self, mu, y):
        self.mu, self.y = mu, y
        return (mu - y) ** 2

    def backward(self, upstream_grad):
        return 2 * (self.mu - self.y) * upstream_grad


class SquaredNoneForY(SquaredOneGrad):
    def backward(self, upstream_grad):
        return 2 * (self.mu - self.y) * upstream_grad, None


class LinearNoSum(Differentiable):
    """Forgets to sum over the batch: θ's gradient has the batch axis."""

    def __init__(self):
        self.theta = Parameter(np.zeros(4), name="θ")

    def forward(self, x):
        self.x = x
        return x @ self.theta

    def backward(self, upstream_grad):
        self.theta.grad = self.x * upstream_grad[:, None]
        return np.outer(upstream_grad, self.theta)


class LinearBadInputGrad(LinearNoSum):
    def backward(self, upstream_grad):
        self.theta.grad = self.x.T @ upstream_grad
        return upstream_grad  # shape (n,), argument is (n, 4)


class SumKeepsShape(Differentiable):
    def forward(self, x):
        self.x = x
        return np.sum(x)

    def backward(self, upstream_grad):
        return upstream_grad  # shape (), argument is (n,)


class TransposedGrad(Differentiable):
    def forward(self, x):
        self.x = x
        return x * 2

    def backward(self, upstream_grad):
        return (2 * upstream_grad).T


def _data():
    rng = np.random.default_rng(3)
    return rng.normal(size=(6, 4)), rng.normal(size=6)


def test_wrong_number_of_gradients():
    X, y = _data()
    loss = Sum()(SquaredOneGrad()(Identity()(Linear(4)(X)), y))
    with pytest.raises(GradientCountError, match=r"SquaredOneGrad\.backward returned one ndarray but forward took 2"):
        loss.backward()


def test_too_many_gradients():
    loss = Sum()(Identity2()(np.ones(3)))
    with pytest.raises(GradientCountError, match=r"returned 2 gradients but forward took 1 argument;"):
        loss.backward()


class Identity2(Differentiable):
    def forward(self, x):
        return x

    def backward(self, upstream_grad):
        return upstream_grad, upstream_grad


def test_none_where_gradient_needed():
    X, y = _data()
    loss = Sum()(SquaredNoneForY()(Identity()(Linear(4)(X)), y))
    with pytest.raises(
        MissingGradientError, match=r"returned None for argument 1 \(y\), a float array of shape \(6,\)"
    ):
        loss.backward()


def test_none_accepted_when_argument_needs_no_gradient():
    X, y = _data()
    loss = Sum()(SquaredNoneForY()(Identity()(Linear(4)(X)), Tensor(y, requires_grad=False)))
    loss.backward()


def test_parameter_gradient_with_batch_axis_hints_missing_sum():
    X, y = _data()
    loss = Sum()(Squared()(LinearNoSum()(X), y))
    with pytest.raises(ShapeRuleError) as info:
        loss.backward()
    message = str(info.value)
    assert "LinearNoSum.backward set theta.grad to shape (6, 4)" in message
    assert "has shape (4,)" in message
    assert "a sum over axis 0 is missing (e.g. grad.sum(axis=0))" in message


def test_argument_gradient_shape():
    X, y = _data()
    loss = Sum()(Squared()(LinearBadInputGrad()(X), y))
    with pytest.raises(
        ShapeRuleError, match=r"gradient of shape \(6,\) for argument 0 \(x\), which has shape \(6, 4\)"
    ):
        loss.backward()


def test_shape_hint_for_reduction():
    loss = SumKeepsShape()(np.ones(5))
    with pytest.raises(ShapeRuleError, match=r"shape \(\) for argument 0 \(x\), which has shape \(5,\)"):
        loss.backward()


def test_transposed_hint():
    out = TransposedGrad()(np.ones((2, 3)))
    with pytest.raises(ShapeRuleError, match="It looks transposed"):
        out.sum().backward()


def test_non_scalar_backward():
    z = Linear(4)(np.ones((3, 4)))
    with pytest.raises(NonScalarBackwardError, match=r"has shape \(3,\).*e\.g\. \.sum\(\)"):
        z.backward()


def test_forward_returning_tuple():
    class TwoOutputs(Differentiable):
        def forward(self, x):
            return x, x

    with pytest.raises(ForwardOutputError, match=r"TwoOutputs\.forward returned tuple"):
        TwoOutputs()(np.ones(2))


def test_forward_exception_keeps_type_and_gets_a_note():
    with pytest.raises(ValueError) as info:
        Linear(3)(np.ones((2, 4)))
    assert "n_features=3" in str(info.value)
    assert any("Linear.forward" in note for note in info.value.__notes__)


def test_exception_in_student_backward_is_reported_with_node():
    class Broken(Differentiable):
        def forward(self, x):
            return x

        def backward(self, upstream_grad):
            raise RuntimeError("oops")

    out = Broken()(np.ones(2)).sum()
    with pytest.raises(RuntimeError, match="oops") as info:
        out.backward()
    assert any("Broken.backward" in note and "graph node" in note for note in info.value.__notes__)


def test_bad_argument_type():
    with pytest.raises(TypeError, match="Identity: argument 0 is a dict"):
        Identity()({"a": 1})


@pytest.mark.parametrize("bad_op", [SquaredOneGrad, SquaredNoneForY])
def test_failed_backward_changes_no_gradient(bad_op):
    X, y = _data()
    linear = Linear(4, theta=np.array([0.1, 0.2, 0.3, 0.4]))
    good = Sum()(Squared()(Identity()(linear(X)), y))
    good.backward()
    before = linear.theta.grad.copy()
    x_leaf = Tensor(X, name="X")
    x_leaf.grad = np.full(X.shape, 7.0)
    bad = Sum()(bad_op()(Identity()(linear(x_leaf)), y))
    with pytest.raises(gad.errors.AutodiffError):
        bad.backward()
    np.testing.assert_array_equal(linear.theta.grad, before)
    np.testing.assert_array_equal(x_leaf.grad, np.full(X.shape, 7.0))
    assert bad.grad is None


def test_failed_student_backward_restores_parameter_grad():
    X, y = _data()
    lin = LinearNoSum()
    lin.theta.grad = np.ones(4)
    with pytest.raises(ShapeRuleError):
        Sum()(Squared()(lin(X), y)).backward()
    np.testing.assert_array_equal(lin.theta.grad, np.ones(4))


def test_manual_backward_with_wrong_upstream_shape():
    sq = Squared()
    loss = Sum()(sq(np.ones(3), np.zeros(3)))
    assert loss.graph is not None
    with pytest.raises(ShapeRuleError, match=r"given an upstream gradient of shape \(2,\).*has shape \(3,\)"):
        sq.backward(np.ones(2))


def test_broadcast_warning_for_column_target():
    with pytest.warns(gad.errors.BroadcastWarning, match=r"broadcast to \(4, 4\)"):
        Squared()(np.ones(4), np.ones((4, 1)))


# -- the messages in every language (the catalogue's "exc." messages) ------------------------------------------
def _shape_error() -> ShapeRuleError:
    loss = Sum()(SquaredScalarGrad()(Identity()(Linear(4, theta=np.ones(4))(np.eye(3, 4))), np.zeros(3)))
    with pytest.raises(ShapeRuleError) as caught:
        loss.backward()
    return caught.value


class SquaredScalarGrad(SquaredOneGrad):
    def backward(self, upstream_grad):
        return float(np.sum(2 * (self.mu - self.y) * upstream_grad)), None


def test_an_engine_error_says_itself_in_every_language():
    error = _shape_error()
    english = (
        "SquaredScalarGrad.backward returned a gradient of shape () for argument 0 (mu), which has shape (3,). "
        "Every gradient must have the shape of its argument."
    )
    assert str(error) == error.message("en") == english
    assert error.message("ru") == (
        "SquaredScalarGrad.backward вернул градиент формы () для аргумента 0 (mu), а у аргумента форма (3,). "
        "Каждый градиент должен иметь форму своего аргумента."
    )
    assert describe_error(error, "ru").startswith("ShapeRuleError: SquaredScalarGrad.backward вернул")
    assert error_message(error, "en") == english


def test_set_message_lang_says_what_the_engine_raises_in_that_language():
    gad.set_message_lang("ru")
    try:
        error = _shape_error()
        assert str(error).startswith("SquaredScalarGrad.backward вернул градиент формы ()")
        assert error.message("en").startswith("SquaredScalarGrad.backward returned a gradient")
        with messages_in("en"):  # a block says its own language, whatever the session's is
            assert str(_shape_error()).startswith("SquaredScalarGrad.backward returned")
            assert message_lang() == "en"
        assert message_lang() == "ru"
    finally:
        gad.set_message_lang(None)
    assert message_lang() == "en"
    with pytest.raises(UnknownLanguageError, match="set_message_lang: lang must be one of 'en', 'ru', got 'de'"):
        gad.set_message_lang("de")


def test_the_environment_variable_sets_the_language_of_a_session():
    code = (
        "import numpy as np\n"
        "from graphviz_autodiff import Tensor\n"
        "try:\n"
        "    (Tensor(np.ones(3), name='x') * 2.0).backward()\n"
        "except Exception as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    env = {**os.environ, "GRAPHVIZ_AUTODIFF_LANG": "ru"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.startswith("NonScalarBackwardError Для backward() без градиента нужен тензор из одного элемента"), out
    env["GRAPHVIZ_AUTODIFF_LANG"] = "xx"  # not a catalogue: English, no crash
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.startswith("NonScalarBackwardError backward() without a gradient needs a one-element tensor"), out


def test_a_warning_says_itself_in_every_language_too():
    with pytest.warns(BroadcastWarning) as caught:
        Squared()(np.zeros(3), np.zeros((3, 1)))
    warning = caught[0].message
    assert str(warning).startswith("Squared: mu of shape (3,) and y of shape (3, 1) broadcast to (3, 3)")
    assert warning.message("ru").startswith(
        "Squared: mu формы (3,) и y формы (3, 1) при транслировании дают форму (3, 3)"
    )


def test_errors_not_from_the_catalogue_are_said_as_raised():
    class Unprintable(Exception):
        def __str__(self):
            raise RuntimeError("no")

    assert error_message(ValueError("plain text"), "ru") == "plain text"
    assert ShapeRuleError("raised by hand").message("ru") == "raised by hand"
    assert error_message(Unprintable(), "ru") == ""
    assert describe_error(Unprintable()) == "Unprintable"


def test_an_engine_error_survives_pickling_with_its_text():
    error = _shape_error()
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is ShapeRuleError and str(again) == str(error)


def test_an_error_found_in_a_pass_names_the_op_that_broke_the_contract():
    op = SquaredScalarGrad()
    loss = Sum()(op(Identity()(Linear(4, theta=np.ones(4))(np.eye(3, 4))), np.zeros(3)))
    with pytest.raises(ShapeRuleError) as caught:
        loss.backward()
    assert caught.value.op is op
    with pytest.raises(ShapeRuleError) as caught:
        op.backward(np.ones(3))  # the lecture's manual chain
    assert caught.value.op is op
    assert ShapeRuleError("raised by hand").op is None
