"""Every built-in op of the core matches central finite differences (float64, 1e-6 relative),
on hypothesis-generated shapes including broadcasting."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import graphviz_autodiff as gad
from graphviz_autodiff import Tensor
from graphviz_autodiff.ops import (
    Add,
    Div,
    Identity,
    Linear,
    MatMul,
    Mean,
    Mul,
    Neg,
    Pow,
    Squared,
    Sub,
    Sum,
    Transpose,
    unbroadcast,
)

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


def finite_difference_check(op, arrays, *, eps=1e-6, rtol=1e-6, atol=1e-9, seed=0):
    """Compare the engine's gradients with central differences of L = Σ upstream ⊙ op(*arrays)."""
    leaves = [Tensor(a.copy(), name=f"a{i}") for i, a in enumerate(arrays)]
    out = op(*leaves)
    upstream = np.random.default_rng(seed).normal(size=out.shape)
    out.backward(upstream)
    params = op.parameters()

    def loss():
        with gad.no_record():
            return float(np.sum(upstream * op(*[leaf.data for leaf in leaves]).data))

    for what, target, analytic in [(f"arg{i}", leaf.data, leaf.grad) for i, leaf in enumerate(leaves)] + [
        (p.name, p.data, p.grad) for p in params
    ]:
        numeric = np.zeros_like(target)
        for index in np.ndindex(target.shape):
            old = target[index]
            target[index] = old + eps
            plus = loss()
            target[index] = old - eps
            minus = loss()
            target[index] = old
            numeric[index] = (plus - minus) / (2 * eps)
        assert analytic is not None, f"{type(op).__name__}: no gradient for {what}"
        assert analytic.shape == target.shape
        np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol, err_msg=f"{type(op).__name__} {what}")


def broadcastable_pair(min_dims=0, max_dims=3):
    return hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=min_dims, max_dims=max_dims, max_side=3).map(
        lambda result: result.input_shapes
    )


def floats(shape, low=-2.0, high=2.0):
    return hnp.arrays(np.float64, shape, elements=st.floats(low, high, allow_nan=False, allow_subnormal=False))


@pytest.mark.parametrize("op_class", [Add, Sub, Mul])
@SETTINGS
@given(data=st.data())
def test_binary_broadcasting(op_class, data):
    shape_a, shape_b = data.draw(broadcastable_pair())
    a, b = data.draw(floats(shape_a)), data.draw(floats(shape_b))
    finite_difference_check(op_class(), [a, b])


@SETTINGS
@given(data=st.data())
def test_div(data):
    shape_a, shape_b = data.draw(broadcastable_pair())
    a = data.draw(floats(shape_a))
    b = data.draw(floats(shape_b, 0.5, 2.0)) * data.draw(st.sampled_from([1.0, -1.0]))
    finite_difference_check(Div(), [a, b])


@SETTINGS
@given(data=st.data())
def test_pow_both_arguments(data):
    shape_a, shape_b = data.draw(broadcastable_pair(max_dims=2))
    a, b = data.draw(floats(shape_a, 0.5, 2.0)), data.draw(floats(shape_b, -2.0, 2.0))
    finite_difference_check(Pow(), [a, b])


@SETTINGS
@given(x=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3).flatmap(floats))
def test_unary(x):
    finite_difference_check(Neg(), [x])
    finite_difference_check(Identity(), [x])


@SETTINGS
@given(data=st.data())
def test_reductions(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    x = data.draw(floats(shape))
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    keepdims = data.draw(st.booleans())
    finite_difference_check(Sum(axis=axis, keepdims=keepdims), [x])
    finite_difference_check(Mean(axis=axis, keepdims=keepdims), [x])


@SETTINGS
@given(data=st.data())
def test_matmul_including_vectors_and_batches(data):
    n, k, m = (data.draw(st.integers(1, 3)) for _ in range(3))
    batch = data.draw(st.sampled_from([(), (2,), (1,)]))
    a_shape = data.draw(st.sampled_from([(k,), (n, k), (*batch, n, k)]))
    b_shape = data.draw(st.sampled_from([(k,), (k, m), (*batch, k, m)]))
    finite_difference_check(MatMul(), [data.draw(floats(a_shape)), data.draw(floats(b_shape))])


@SETTINGS
@given(data=st.data())
def test_transpose(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    axes = data.draw(st.none() | st.permutations(range(len(shape))).map(tuple))
    finite_difference_check(Transpose(axes), [data.draw(floats(shape))])


@SETTINGS
@given(data=st.data())
def test_linear_vector_and_matrix_theta(data):
    d = data.draw(st.integers(1, 4))
    k = data.draw(st.none() | st.integers(1, 3))
    n_rows = data.draw(st.sampled_from([(), (3,), (2, 2)]))
    bias = data.draw(st.booleans())
    theta_shape = (d,) if k is None else (d, k)
    theta = data.draw(floats(theta_shape))
    linear = Linear(d, k, bias=bias, theta=theta)
    if bias:
        linear.bias.data = data.draw(floats(linear.bias.data.shape))
    finite_difference_check(linear, [data.draw(floats((*n_rows, d)))])


@SETTINGS
@given(data=st.data())
def test_squared(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=4))
    finite_difference_check(Squared(), [data.draw(floats(shape)), data.draw(floats(shape))])


def test_squared_broadcasting_gradients_sum_back():
    with pytest.warns(gad.errors.BroadcastWarning):
        finite_difference_check(Squared(), [np.array([1.0, 2.0, 3.0]), np.array([[0.5], [1.5]])])


@SETTINGS
@given(data=st.data())
def test_unbroadcast_is_the_adjoint_of_broadcast_to(data):
    small, big = (
        data.draw(
            hnp.mutually_broadcastable_shapes(num_shapes=1, base_shape=(2, 3), max_dims=3, max_side=3)
        ).input_shapes[0],
        None,
    )
    big = np.broadcast_shapes(small, (2, 3))
    x = data.draw(floats(small))
    g = data.draw(floats(big))
    # <broadcast_to(x), g> == <x, unbroadcast(g)>
    np.testing.assert_allclose(np.sum(np.broadcast_to(x, big) * g), np.sum(x * unbroadcast(g, small)), atol=1e-12)
