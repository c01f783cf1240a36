"""ops.reduce: Sum and Mean broadcast the upstream gradient back over the reduced axes (divided by N for Mean)."""

from __future__ import annotations

import numpy as np
import pytest

from graphviz_autodiff import Tensor
from graphviz_autodiff.ops import Mean, Sum

from .helpers import TORCH_REASON, check_op

X = np.arange(24.0).reshape(2, 3, 4) / 7
AXES = [None, 0, -1, (0, 2), (1,)]


def backward(op, upstream):
    x = Tensor(X.copy())
    out = op(x)
    out.backward(upstream)
    return out, x.grad


def test_sum_of_everything_gives_every_element_the_upstream_gradient():
    out, grad = backward(Sum(), np.array(3.0))
    assert out.item() == pytest.approx(X.sum())
    np.testing.assert_array_equal(grad, np.full(X.shape, 3.0))
    assert grad.flags.writeable and grad.flags.c_contiguous


def test_sum_over_an_axis_broadcasts_the_upstream_gradient_along_it():
    g = np.arange(8.0).reshape(2, 4)
    out, grad = backward(Sum(axis=1), g)
    np.testing.assert_allclose(out.data, X.sum(axis=1))
    np.testing.assert_array_equal(grad, np.repeat(g[:, None, :], 3, axis=1))
    g = np.ones((1, 3, 1))
    out, grad = backward(Sum(axis=(0, -1), keepdims=True), g)
    assert out.shape == (1, 3, 1)
    np.testing.assert_array_equal(grad, np.ones(X.shape))


def test_mean_divides_by_the_number_of_averaged_elements():
    out, grad = backward(Mean(), np.array(1.0))
    assert out.item() == pytest.approx(X.mean())
    np.testing.assert_allclose(grad, np.full(X.shape, 1 / 24))
    out, grad = backward(Mean(axis=(0, 2)), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(out.data, X.mean(axis=(0, 2)))
    np.testing.assert_allclose(grad[1, 2, 3], 3.0 / 8)  # element (1, 2, 3) was averaged into output 2
    np.testing.assert_allclose(grad.sum(), (1 + 2 + 3) * 8 / 8)


def test_an_integer_upstream_gradient_becomes_a_float_gradient():
    x = Tensor(np.arange(4.0))
    Sum()(x).backward(np.array(2))
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [2.0] * 4)
    x = Tensor(np.arange(4.0))
    Mean()(x).backward(np.array(1))
    np.testing.assert_allclose(x.grad, [0.25] * 4)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES)
def test_reductions_match_finite_differences(axis, keepdims):
    check_op(lambda: Sum(axis, keepdims), None, [(2, 3, 4)])
    check_op(lambda: Mean(axis, keepdims), None, [(2, 3, 4)])


@pytest.mark.oracle
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES)
def test_reductions_match_pytorch(axis, keepdims):
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    dim = () if axis is None else axis
    if axis is None and not keepdims:
        t_sum, t_mean = torch.sum, torch.mean
    else:
        dim = tuple(range(3)) if axis is None else axis

        def t_sum(t):
            return torch.sum(t, dim=dim, keepdim=keepdims)

        def t_mean(t):
            return torch.mean(t, dim=dim, keepdim=keepdims)

    check_op(lambda: Sum(axis, keepdims), t_sum, [(2, 3, 4)], fd=False)
    check_op(lambda: Mean(axis, keepdims), t_mean, [(2, 3, 4)], fd=False)
