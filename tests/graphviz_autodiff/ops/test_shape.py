"""Reshape and Concat vs PyTorch and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import graphviz_autodiff as gad
from graphviz_autodiff import Tensor
from graphviz_autodiff.ops import Concat, Reshape

from .helpers import SETTINGS, TORCH_REASON, check_op

torch = pytest.importorskip("torch", reason=TORCH_REASON)
pytestmark = pytest.mark.oracle


@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, max_side=4), seed=st.integers(0, 2**16), data=st.data())
def test_reshape(shape, seed, data):
    size = int(np.prod(shape))
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    first = data.draw(st.sampled_from(divisors), label="first")
    new_shape = data.draw(st.sampled_from([(first, -1), (-1, first), (size,), (first, size // first, 1)]))
    check_op(lambda: Reshape(new_shape), lambda x: x.reshape(new_shape), [shape], seed=seed)


@SETTINGS
@given(
    base=array_shapes(min_dims=1, max_dims=3, max_side=3),
    sizes=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_concat(base, sizes, seed, data):
    axis = data.draw(st.integers(-len(base), len(base) - 1), label="axis")
    at = axis % len(base)
    shapes = [(*base[:at], k, *base[at + 1 :]) for k in sizes]
    check_op(lambda: Concat(axis), lambda *xs: torch.cat(xs, dim=axis), shapes, seed=seed)


def test_concat_skips_the_gradient_of_data():
    a, b = Tensor(np.ones((2, 1))), Tensor(np.zeros((2, 2)), requires_grad=False)
    out = Concat(axis=1)(a, b)
    (step,) = gad.iter_backward(out, np.arange(6.0).reshape(2, 3))
    assert step.grads[1] is None
    np.testing.assert_array_equal(a.grad, [[0.0], [3.0]])


def test_reshape_error_says_both_shapes():
    with pytest.raises(
        ValueError, match=r"Reshape: cannot reshape an input of shape \(2, 3\) \(6 elements\) to \(4, -1\)"
    ):
        Reshape((4, -1))(np.ones((2, 3)))


@pytest.mark.parametrize(("shape", "error"), [((-1, -1), ValueError), ((2, -3), ValueError), ("ab", TypeError)])
def test_reshape_rejects_bad_shapes(shape, error):
    with pytest.raises(error, match="Reshape: shape"):
        Reshape(shape)


def test_concat_errors_name_the_mismatch():
    with pytest.raises(ValueError, match=r"input 1 has shape \(3, 2\), which does not match input 0 of shape \(2, 2\)"):
        Concat(axis=1)(np.ones((2, 2)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="Concat: needs at least one input"):
        Concat()()
    with pytest.raises(ValueError, match=r"axis=2 is out of range for inputs of shape \(2, 2\)"):
        Concat(axis=2)(np.ones((2, 2)))
