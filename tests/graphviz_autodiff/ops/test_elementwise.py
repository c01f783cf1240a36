"""ops.elementwise: Add, Sub, Mul, Div, Neg, Pow vs closed forms, finite differences and PyTorch, broadcasting."""

from __future__ import annotations

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Tensor
from graphviz_autodiff.ops import Add, Div, Mul, Neg, Pow, Sub

from .helpers import TORCH_REASON, check_op, uniform

# (n, k) against (k,), (n, 1), a scalar and a leading batch axis: every way unbroadcast must sum back.
BROADCASTS = [((3, 4), (4,)), ((3, 4), (3, 1)), ((3, 4), ()), ((2, 3, 4), (1, 4)), ((4,), (2, 3, 4))]
BROADCASTS += [((3, 1), (1, 4)), ((2, 1, 4), (3, 1))]  # both arguments broadcast


def grads(op, a, b, upstream):
    ta, tb = Tensor(a), Tensor(b)
    op(ta, tb).backward(upstream)
    return ta.grad, tb.grad


def test_add_and_sub_sum_the_upstream_gradient_over_broadcast_axes():
    x, bias = np.arange(12.0).reshape(3, 4), np.array([1.0, -1.0, 2.0, 0.5])
    g = np.arange(12.0).reshape(3, 4) / 10
    gx, gb = grads(Add(), x, bias, g)
    np.testing.assert_array_equal(gx, g)
    np.testing.assert_allclose(gb, g.sum(axis=0))
    gx, gb = grads(Sub(), x, np.ones((3, 1)), g)
    np.testing.assert_allclose(gb, -g.sum(axis=1, keepdims=True))
    assert gb.shape == (3, 1)


def test_when_both_arguments_broadcast_each_gradient_is_summed_back_to_its_shape():
    a, b = np.array([[1.0], [2.0], [3.0]]), np.array([[10.0, 20.0, 30.0, 40.0]])
    g = np.arange(12.0).reshape(3, 4)
    ga, gb = grads(Mul(), a, b, g)
    assert (ga.shape, gb.shape) == ((3, 1), (1, 4))
    np.testing.assert_allclose(ga, (g * b).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(gb, (g * a).sum(axis=0, keepdims=True))


def test_mul_and_div_closed_forms():
    a, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -2.0])
    g = np.array([[1.0, -1.0], [2.0, 0.5]])
    ga, gb = grads(Mul(), a, b, g)
    np.testing.assert_allclose(ga, g * b)
    np.testing.assert_allclose(gb, (g * a).sum(axis=0))
    ga, gb = grads(Div(), a, b, g)
    np.testing.assert_allclose(ga, g / b)
    np.testing.assert_allclose(gb, (-g * a / b**2).sum(axis=0))


@pytest.mark.parametrize(("shape_a", "shape_b"), BROADCASTS)
@pytest.mark.parametrize("make_op", [Add, Sub, Mul, Div])
def test_binary_ops_match_finite_differences_when_broadcasting(make_op, shape_a, shape_b):
    sample = uniform(0.5, 2.0) if make_op is Div else uniform()
    check_op(make_op, None, [shape_a, shape_b], sample=sample, seed=1)


def test_neg_and_pow_match_finite_differences():
    check_op(Neg, None, [(2, 3)])
    check_op(Pow, None, [(3, 2), (2,)], sample=uniform(0.5, 2.0))


def test_pow_exponent_gradient_is_zero_at_a_zero_base_and_nan_at_a_negative_one():
    a, b = Tensor(np.array([0.0, -2.0, 3.0])), Tensor(np.array([2.0, 2.0, 2.0]))
    Pow()(a, b).backward(np.ones(3))
    np.testing.assert_allclose(a.grad, [0.0, -4.0, 6.0])
    assert b.grad[0] == 0.0 and np.isnan(b.grad[1])
    np.testing.assert_allclose(b.grad[2], 9.0 * np.log(3.0))


def test_pow_skips_the_exponent_gradient_when_it_is_a_constant():
    a = Tensor(np.array([-1.0, 2.0]))
    out = Pow()(a, 2.0)  # a number is a constant leaf (an array would be an input needing a gradient)
    (step,) = [s for s in gad.iter_backward(out, np.ones(2)) if isinstance(s.op, Pow)]
    assert step.grads[1] is None
    np.testing.assert_allclose(step.grads[0], [-2.0, 4.0])


@pytest.mark.oracle
@pytest.mark.parametrize(("shape_a", "shape_b"), BROADCASTS)
def test_binary_ops_match_pytorch(shape_a, shape_b):
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    check_op(Add, torch.add, [shape_a, shape_b], fd=False)
    check_op(Sub, torch.sub, [shape_a, shape_b], fd=False)
    check_op(Mul, torch.mul, [shape_a, shape_b], fd=False)
    check_op(Div, torch.div, [shape_a, shape_b], sample=uniform(0.5, 2.0), fd=False)
    check_op(Pow, torch.pow, [shape_a, shape_b], sample=uniform(0.5, 2.0), fd=False)


@pytest.mark.oracle
def test_pow_at_zero_and_negative_bases_matches_pytorch():
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    check_op(Pow, torch.pow, [np.array([0.0, -2.0, 3.0, 0.0]), np.array([2.0, 2.0, 0.5, 3.0])], fd=False)
