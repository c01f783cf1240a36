"""gradcheck: one op's backward against central finite differences."""

from __future__ import annotations

import copy
import random
import warnings

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable, Parameter, Tensor
from graphviz_autodiff.debug import ArgumentCheck, GradcheckResult, PrecisionWarning, gradcheck
from graphviz_autodiff.errors import ShapeRuleError
from graphviz_autodiff.ops import Dropout, Linear, ReLU, Sigmoid, Squared, Sum
from tests.buggy_ops import CASES
from tests.buggy_ops.stateful import TanhClassState

RNG = np.random.default_rng(3)
MU, Y = RNG.standard_normal(6), RNG.standard_normal(6)
X = RNG.standard_normal((5, 4))


def test_numeric_gradient_is_the_formula():
    up = np.linspace(-1.0, 2.0, 6)
    result = gradcheck(Squared(), MU, Y, upstream_grad=up)
    assert result.ok and bool(result)
    np.testing.assert_allclose(result["mu"].numeric, 2 * (MU - Y) * up, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(result["y"].numeric, -2 * (MU - Y) * up, rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(result["mu"].analytic, 2.0 * (MU - Y) * up)
    np.testing.assert_array_equal(result.upstream_grad, up)
    assert result.max_rel_error < 1e-8
    assert result.max_abs_error < 1e-8


def test_random_upstream_is_seeded_and_every_element_matters():
    a = gradcheck(Sum(), X, seed=1)
    b = gradcheck(Sum(), X, seed=1)
    c = gradcheck(Sum(), X, seed=2)
    np.testing.assert_array_equal(a.upstream_grad, b.upstream_grad)
    assert a.upstream_grad != c.upstream_grad
    # the upstream of a Sum is one scalar u: dL/dX = u everywhere
    np.testing.assert_allclose(a["x"].numeric, np.full(X.shape, a.upstream_grad), rtol=1e-8)


def test_every_parameter_is_checked():
    op = Linear(4, 3, bias=True, seed=0)
    up = RNG.standard_normal((5, 3))
    result = gradcheck(op, X, upstream_grad=up)
    assert result.ok
    assert [(a.name, a.role, a.shape) for a in result.arguments] == [
        ("x", "argument", (5, 4)),
        ("theta", "parameter", (4, 3)),
        ("bias", "parameter", (3,)),
    ]
    np.testing.assert_allclose(result["theta"].numeric, X.T @ up, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(result["b"].numeric, up.sum(axis=0), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(result["x"].numeric, up @ op.theta.data.T, rtol=1e-8, atol=1e-10)


@pytest.mark.oracle
def test_numeric_gradient_matches_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle (install the 'bench' extra)")
    up = RNG.standard_normal(X.shape)
    result = gradcheck(Sigmoid(), X, upstream_grad=up)
    x = torch.tensor(X, requires_grad=True)
    torch.sigmoid(x).backward(torch.tensor(up))
    np.testing.assert_allclose(result["x"].numeric, x.grad.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(result["x"].analytic, x.grad.numpy(), rtol=1e-12, atol=1e-14)


class _ScaledSquared(Squared):
    """Squared whose ∂L/∂μ is off by a relative 1e-3 (a tiny, known error)."""

    def backward(self, upstream_grad):
        d_mu, d_y = super().backward(upstream_grad)
        return d_mu * (1 + 1e-3), d_y


def test_relative_error_is_cs231n_and_thresholds_are_adjustable():
    result = gradcheck(_ScaledSquared(), MU, Y)
    assert result.kind == "wrong_gradient" and result.argument == "mu"
    # |a − n| / max(|a|, |n|) with a = 1.001 n: 1e-3 / 1.001
    assert result["mu"].max_rel_error == pytest.approx(1e-3 / 1.001, rel=1e-5)
    assert result["y"].max_rel_error < 1e-8
    # the diagnosis finds the constant factor
    assert result.diagnosis == "factor" and result.factor == pytest.approx(1.001)
    assert gradcheck(_ScaledSquared(), MU, Y, rtol=1e-2).ok


class _ZeroTimes(Differentiable):
    """z = 0 · x, whose backward returns a small constant instead of 0."""

    def forward(self, x):
        return 0.0 * x

    def backward(self, upstream_grad):
        return np.full(np.shape(upstream_grad), 1e-7)


def test_atol_decides_for_zero_gradients():
    failing = gradcheck(_ZeroTimes(), MU)
    assert failing.kind == "wrong_gradient"
    assert failing.max_abs_error == pytest.approx(1e-7)
    # the floor atol/rtol of the relative error: 1e-7 / (1e-8 / 1e-5)
    assert failing.max_rel_error == pytest.approx(1e-4)
    assert gradcheck(_ZeroTimes(), MU, atol=1e-6).ok


def test_float32_is_checked_in_float64_with_one_warning():
    op = Linear(4, 2, seed=1)
    op.theta.data = op.theta.data.astype(np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = gradcheck(op, X.astype(np.float32))
    precision = [w for w in caught if issubclass(w.category, PrecisionWarning)]
    assert len(precision) == 1 and "2 array(s) of float32 were cast" in str(precision[0].message)
    assert result.ok and result.cast_float32 == 2
    assert result["theta"].numeric.dtype == np.float64
    assert op.theta.data.dtype == np.float32  # the user's op is untouched


def test_the_op_and_the_inputs_are_not_modified():
    op = Linear(4, 3, bias=True, seed=0)
    out = op(X)  # the op holds saved state and the link to its last call
    op.theta.grad = np.full((4, 3), 7.0)
    state = dict(op.__dict__)
    values = {k: copy.deepcopy(v) for k, v in state.items() if k != "_gad_call"}
    theta, grad = op.theta.data.copy(), op.theta.grad
    x = X.copy()
    gradcheck(op, x)
    assert op.__dict__.keys() == state.keys()
    assert all(op.__dict__[k] is v for k, v in state.items())
    np.testing.assert_array_equal(op.x, values["x"])
    np.testing.assert_array_equal(op.theta.data, theta)
    assert op.theta.grad is grad
    np.testing.assert_array_equal(x, X)
    assert op.__dict__["_gad_call"]() is out


def test_random_generators_are_restored_and_dropout_is_consistent():
    gad.manual_seed(11)
    library = gad.rng.default_rng().bit_generator.state
    np.random.seed(5)
    legacy = np.random.get_state()[1].copy()
    random.seed(3)
    python = random.getstate()
    assert gradcheck(Dropout(0.5), X).ok  # draws from the library's generator
    assert gradcheck(Dropout(0.5, seed=2), X).ok  # draws from its own
    assert gad.rng.default_rng().bit_generator.state == library
    np.testing.assert_array_equal(np.random.get_state()[1], legacy)
    assert random.getstate() == python


def test_class_attributes_written_by_forward_are_put_back():
    before = TanhClassState._out  # whatever the user's own calls left there
    assert gradcheck(TanhClassState(), X).ok  # one call: its state is consistent
    assert TanhClassState._out is before


class _CountsCalls(Differentiable):
    """Counts forward calls in a class attribute it creates."""

    def forward(self, x):
        type(self).calls = getattr(type(self), "calls", 0) + 1
        return 3.0 * x

    def backward(self, upstream_grad):
        return 3.0 * upstream_grad


def test_class_attributes_added_by_forward_are_removed():
    assert gradcheck(_CountsCalls(), MU).ok
    assert "calls" not in vars(_CountsCalls)
    _CountsCalls()(MU)  # the user's own call does create it
    assert _CountsCalls.calls == 1


def test_kinks_are_left_out():
    x = np.array([-1.0, 0.0, 2.0])  # ReLU has a kink at exactly 0
    result = gradcheck(ReLU(), x)
    assert result.ok
    assert result["x"].note == "kinks"


def test_integer_and_constant_arguments_are_not_checked():
    from graphviz_autodiff.ops import CrossEntropy

    labels = np.array([0, 3, 1, 2, 3])
    result = gradcheck(CrossEntropy(), X, labels)
    assert result.ok
    assert result["labels"].status == "not_checked" and result["labels"].note == "dtype int64"
    # needs_input_grad reaches the op: Squared skips ∂L/∂y for data that needs no gradient
    constant = gradcheck(Squared(), MU, Tensor(Y, requires_grad=False))
    assert constant.ok and constant["y"].analytic is None
    assert (constant["y"].status, constant["y"].note) == ("not_checked", "requires_grad=False")


@pytest.mark.parametrize("case", [c for c in CASES if c.calls == 1], ids=lambda c: c.name)
def test_classic_mistakes_are_diagnosed(case):
    inputs = case.inputs(np.random.default_rng(7))
    result = gradcheck(case.buggy(), *inputs)
    assert (result.kind, result.diagnosis, result.argument) == (case.kind, case.diagnosis, case.argument), str(result)
    assert not result
    assert gradcheck(case.reference(), *inputs).ok


def test_result_display_and_lookup():
    result = gradcheck(Linear(4, seed=0), X)
    assert isinstance(result, GradcheckResult)
    assert isinstance(result["θ"], ArgumentCheck) and result["θ"] is result["theta"]
    with pytest.raises(KeyError, match="no argument or parameter 'w'"):
        result["w"]
    text = str(result)
    assert text.splitlines()[0] == "Gradient check of Linear: ok"
    assert "θ" in text and "max rel. err" in text
    assert repr(result).startswith("<GradcheckResult Linear: ok")
    russian = gradcheck(Squared(), MU, Y, lang="ru")
    assert russian.message.startswith("backward совпадает с конечными разностями")


def test_usage_errors():
    with pytest.raises(TypeError, match=r"call gradcheck\(Squared\(\), \.\.\.\)"):
        gradcheck(Squared, MU, Y)
    with pytest.raises(TypeError, match="Differentiable op instance"):
        gradcheck(np.sum, MU)
    with pytest.raises(ShapeRuleError, match=r"upstream_grad has shape \(2,\) but the output has shape \(6,\)"):
        gradcheck(Squared(), MU, Y, upstream_grad=np.ones(2))
    with pytest.raises(TypeError, match="argument 0 is a dict"):
        gradcheck(Squared(), {"a": 1}, Y)


def test_a_parameter_passed_as_an_argument_is_checked():
    w = Parameter(RNG.standard_normal(6), name="w")
    result = gradcheck(Squared(), w, Y)
    assert result.ok and result["mu"].max_rel_error < 1e-8
