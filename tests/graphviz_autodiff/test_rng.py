"""graphviz_autodiff.rng: the shared generator behind parameter initialisation and Dropout is seedable and swappable."""

from __future__ import annotations

import numpy as np
import pytest

from graphviz_autodiff import rng
from graphviz_autodiff.ops import Dropout, Linear


@pytest.fixture(autouse=True)
def _keep_generator():
    saved = rng.get_generator()
    yield
    rng.set_generator(saved)


def test_manual_seed_makes_initial_weights_reproducible():
    rng.manual_seed(7)
    first = Linear(4, 3).theta.data.copy()
    rng.manual_seed(7)
    second = Linear(4, 3).theta.data.copy()
    np.testing.assert_array_equal(first, second)
    # Uniform in ±1/√d, drawn from a numpy generator seeded 7.
    np.testing.assert_allclose(first, np.random.default_rng(7).uniform(-0.5, 0.5, size=(4, 3)))
    rng.manual_seed(8)
    assert not np.array_equal(Linear(4, 3).theta.data, first)


def test_default_rng_without_seed_is_the_shared_generator_and_with_a_seed_a_fresh_one():
    assert rng.default_rng() is rng.get_generator()
    fresh = rng.default_rng(3)
    assert fresh is not rng.get_generator()
    np.testing.assert_array_equal(fresh.random(5), np.random.default_rng(3).random(5))


def test_set_generator_replaces_the_shared_one():
    mine = np.random.default_rng(123)
    rng.set_generator(mine)
    assert rng.get_generator() is mine and rng.default_rng() is mine
    theta = Linear(9, 2).theta.data
    np.testing.assert_allclose(theta, np.random.default_rng(123).uniform(-1 / 3, 1 / 3, size=(9, 2)))


def test_dropout_masks_repeat_after_reseeding():
    x = np.ones((50,))
    rng.manual_seed(1)
    a = Dropout(0.5)(x).data
    rng.manual_seed(1)
    b = Dropout(0.5)(x).data
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, 2.0} and 0 < np.count_nonzero(a) < 50
