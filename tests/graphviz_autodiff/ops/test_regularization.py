"""Dropout: seeded masks, the 1/(1 − p) scaling, identity in eval mode, gradients vs PyTorch and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import graphviz_autodiff as gad
from graphviz_autodiff import Tensor
from graphviz_autodiff.nn import Sequential
from graphviz_autodiff.ops import Dropout, Linear, ReLU

from .helpers import SETTINGS, TORCH_REASON, check_op

torch = pytest.importorskip("torch", reason=TORCH_REASON)
pytestmark = pytest.mark.oracle


def mask_of(p: float, seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """The scaled mask Dropout(p, seed=seed) applies on its first call."""
    drop = Dropout(p, seed=seed)
    return drop(np.ones(shape)).data


@SETTINGS
@given(
    shape=array_shapes(min_dims=1, max_dims=3, max_side=4),
    seed=st.integers(0, 2**16),
    p=st.sampled_from([0.1, 0.5, 0.9]),
)
def test_dropout_gradient_is_the_mask(shape, seed, p):
    mask = torch.tensor(mask_of(p, seed, shape))
    check_op(lambda: Dropout(p, seed=seed), lambda x: x * mask, [shape], seed=seed)


def test_same_seed_same_masks_and_successive_calls_differ():
    x = np.ones((50,))
    a, b = Dropout(0.5, seed=7), Dropout(0.5, seed=7)
    first, second = a(x).data, a(x).data
    np.testing.assert_array_equal(first, b(x).data)
    np.testing.assert_array_equal(second, b(x).data)
    assert not np.array_equal(first, second)
    assert set(np.unique(first)) == {0.0, 2.0}


def test_unseeded_dropout_follows_manual_seed():
    x = np.ones((40,))
    gad.manual_seed(3)
    first = Dropout(0.25)(x).data
    gad.manual_seed(3)
    np.testing.assert_array_equal(Dropout(0.25)(x).data, first)
    np.testing.assert_array_equal(np.unique(first), [0.0, 4.0 / 3.0])


def test_keep_rate_and_mean_are_preserved_on_average():
    out = Dropout(0.3, seed=0)(np.ones(200_000)).data
    assert abs((out > 0).mean() - 0.7) < 0.005
    assert abs(out.mean() - 1.0) < 0.01


@pytest.mark.parametrize(("p", "expected"), [(0.0, [1.0, 2.0, 3.0]), (1.0, [0.0, 0.0, 0.0])])
def test_extreme_probabilities(p, expected):
    x = Tensor(np.array([1.0, 2.0, 3.0]))
    out = Dropout(p, seed=0)(x)
    out.backward(np.ones(3))
    np.testing.assert_array_equal(out.data, expected)
    np.testing.assert_array_equal(x.grad, np.array(expected) / np.array([1.0, 2.0, 3.0]))


def test_eval_mode_is_the_identity_and_train_mode_restores_dropping():
    model = Sequential(Linear(3, 4, bias=True, seed=0), ReLU(), Dropout(0.5, seed=1), Linear(4, 2, seed=2))
    x = np.random.default_rng(0).normal(size=(6, 3))
    model.eval()
    assert model[2].training is False
    reference = Sequential(model[0], model[1], model[3])(x).data
    x_leaf = Tensor(x)
    out = model(x_leaf)
    np.testing.assert_allclose(out.data, reference, rtol=1e-15)
    out.backward(np.ones((6, 2)))
    np.testing.assert_allclose(
        x_leaf.grad, np.ones((6, 2)) @ model[3].theta.data.T * (model[0](x).data > 0) @ model[0].theta.data.T
    )
    model.train()
    assert model[2].training is True
    assert not np.allclose(model(x).data, reference)


def test_p_must_be_a_probability():
    for bad in (-0.1, 1.5, "half"):
        with pytest.raises(ValueError, match="Dropout: p must be a probability in"):
            Dropout(bad)
