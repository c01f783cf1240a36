"""Activations vs PyTorch (forward and backward to 1e-10) and vs finite differences, on hypothesis shapes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

from graphviz_autodiff import Tensor
from graphviz_autodiff.ops import Exp, LeakyReLU, Log, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh

from .helpers import SETTINGS, TORCH_REASON, away_from, check_op, uniform

torch = pytest.importorskip("torch", reason=TORCH_REASON)
pytestmark = pytest.mark.oracle

shapes = array_shapes(min_dims=1, max_dims=3, max_side=4)
seeds = st.integers(0, 2**16)


@SETTINGS
@given(shape=shapes, seed=seeds)
def test_relu(shape, seed):
    check_op(ReLU, torch.relu, [shape], sample=away_from([0.0]), seed=seed)


@SETTINGS
@given(shape=shapes, seed=seeds, slope=st.sampled_from([0.01, 0.2, -0.5, 2.0]))
def test_leaky_relu(shape, seed, slope):
    check_op(
        lambda: LeakyReLU(slope),
        lambda x: torch.nn.functional.leaky_relu(x, slope),
        [shape],
        sample=away_from([0.0]),
        seed=seed,
    )


@SETTINGS
@given(shape=shapes, seed=seeds)
def test_sigmoid(shape, seed):
    check_op(Sigmoid, torch.sigmoid, [shape], sample=uniform(-6, 6), seed=seed)


@SETTINGS
@given(shape=shapes, seed=seeds)
def test_tanh(shape, seed):
    check_op(Tanh, torch.tanh, [shape], sample=uniform(-3, 3), seed=seed)


@SETTINGS
@given(shape=shapes, seed=seeds)
def test_exp(shape, seed):
    check_op(Exp, torch.exp, [shape], seed=seed)


@SETTINGS
@given(shape=shapes, seed=seeds)
def test_log(shape, seed):
    check_op(Log, torch.log, [shape], sample=uniform(0.2, 5.0), seed=seed)


@SETTINGS
@given(shape=shapes, seed=seeds, data=st.data())
def test_softmax(shape, seed, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    check_op(lambda: Softmax(axis), lambda x: torch.softmax(x, dim=axis), [shape], sample=uniform(-4, 4), seed=seed)


@SETTINGS
@given(shape=shapes, seed=seeds, data=st.data())
def test_log_softmax(shape, seed, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    check_op(
        lambda: LogSoftmax(axis), lambda x: torch.log_softmax(x, dim=axis), [shape], sample=uniform(-4, 4), seed=seed
    )


def test_relu_and_leaky_relu_at_zero_follow_pytorch():
    x = np.array([-1.0, 0.0, 1.0])
    check_op(ReLU, torch.relu, [x], fd=False)
    check_op(lambda: LeakyReLU(0.1), lambda t: torch.nn.functional.leaky_relu(t, 0.1), [x], fd=False)


@pytest.mark.parametrize(
    ("op", "torch_fn"),
    [
        (Softmax(), lambda x: torch.softmax(x, dim=-1)),
        (LogSoftmax(), lambda x: torch.log_softmax(x, dim=-1)),
        (Softmax(axis=0), lambda x: torch.softmax(x, dim=0)),
        (Sigmoid(), torch.sigmoid),
    ],
)
def test_extreme_logits_give_finite_values_and_gradients(op, torch_fn):
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0], [1000.0, 1000.0, -1000.0]])
    leaf = Tensor(x)
    out = op(leaf)
    upstream = np.arange(9.0).reshape(3, 3) - 4.0
    out.backward(upstream)
    assert np.isfinite(out.data).all() and np.isfinite(leaf.grad).all()
    t = torch.tensor(x, requires_grad=True)
    t_out = torch_fn(t)
    t_out.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(leaf.grad, t.grad.numpy(), rtol=1e-12, atol=1e-300)


def test_softmax_rows_sum_to_one_and_log_softmax_is_its_log():
    x = np.random.default_rng(3).normal(size=(4, 5)) * 30
    p = Softmax()(x).data
    np.testing.assert_allclose(p.sum(axis=1), np.ones(4), rtol=1e-14)
    np.testing.assert_allclose(LogSoftmax()(x).data, np.log(p), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("make", [lambda: Softmax(axis=2), lambda: LogSoftmax(axis=-3)])
def test_softmax_axis_out_of_range_names_the_op_and_shape(make):
    with pytest.raises(ValueError, match=r"(Log)?Softmax: axis=-?\d is out of range for an input of shape \(2, 3\)"):
        make()(np.ones((2, 3)))


def test_bad_arguments_are_rejected_with_clear_messages():
    with pytest.raises(TypeError, match="Softmax: axis must be an int"):
        Softmax(axis=1.5)
    with pytest.raises(ValueError, match="LeakyReLU: negative_slope must be a finite number"):
        LeakyReLU(float("nan"))
