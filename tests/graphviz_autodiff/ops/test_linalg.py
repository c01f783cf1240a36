"""ops.linalg: MatMul's gradients (2-D, 1-D and batched operands) and Transpose's permuted-back gradient."""

from __future__ import annotations

import numpy as np
import pytest

from graphviz_autodiff import Tensor
from graphviz_autodiff.ops import MatMul, Transpose

from .helpers import TORCH_REASON, check_op

RNG = np.random.default_rng(11)
# 2-D, vector on either side, vector·vector, batch against matrix, matrix against batch, broadcast batches.
SHAPES = [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5))]
SHAPES += [((2, 1, 3, 4), (5, 4, 2))]


def test_matmul_gradients_are_g_b_transpose_and_a_transpose_g():
    a, b, g = RNG.normal(size=(3, 4)), RNG.normal(size=(4, 2)), RNG.normal(size=(3, 2))
    ta, tb = Tensor(a), Tensor(b)
    out = MatMul()(ta, tb)
    np.testing.assert_allclose(out.data, a @ b)
    out.backward(g)
    np.testing.assert_allclose(ta.grad, g @ b.T)
    np.testing.assert_allclose(tb.grad, a.T @ g)


def test_matmul_of_two_vectors_is_a_dot_product_with_swapped_gradients():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 2.0])
    ta, tb = Tensor(a), Tensor(b)
    out = MatMul()(ta, tb)
    assert out.shape == () and out.item() == pytest.approx(6.0)
    out.backward(np.array(2.0))
    np.testing.assert_allclose(ta.grad, 2 * b)
    np.testing.assert_allclose(tb.grad, 2 * a)


@pytest.mark.parametrize(("shape_a", "shape_b"), SHAPES)
def test_matmul_matches_finite_differences(shape_a, shape_b):
    check_op(MatMul, None, [shape_a, shape_b], seed=3)


def test_transpose_permutes_the_gradient_back():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    op = Transpose((1, 2, 0))
    out = op(x)
    assert out.shape == (3, 4, 2)
    g = RNG.normal(size=(3, 4, 2))
    out.backward(g)
    np.testing.assert_array_equal(x.grad, np.transpose(g, (2, 0, 1)))
    y = Tensor(np.ones((2, 5)))
    Transpose()(y).backward(np.arange(10.0).reshape(5, 2))
    np.testing.assert_array_equal(y.grad, np.arange(10.0).reshape(5, 2).T)


def test_transpose_matches_finite_differences():
    check_op(Transpose, None, [(3, 2)])
    check_op(lambda: Transpose((2, 0, 1)), None, [(2, 3, 4)])


@pytest.mark.oracle
@pytest.mark.parametrize(("shape_a", "shape_b"), SHAPES)
def test_matmul_matches_pytorch(shape_a, shape_b):
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    check_op(MatMul, torch.matmul, [shape_a, shape_b], fd=False)


@pytest.mark.oracle
def test_transpose_matches_pytorch():
    pytest.importorskip("torch", reason=TORCH_REASON)
    check_op(lambda: Transpose((2, 0, 1)), lambda t: t.permute(2, 0, 1), [(2, 3, 4)], fd=False)


def test_transpose_with_negative_axes_permutes_the_gradient_back():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    out = Transpose((-1, 0, 1))(x)
    assert out.shape == (4, 2, 3)
    g = np.arange(24.0).reshape(4, 2, 3)
    out.backward(g)
    np.testing.assert_array_equal(x.grad, np.transpose(g, (1, 2, 0)))
