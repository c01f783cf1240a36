"""course.datasets.toy: two moons and spirals lie on their documented curves, are seeded, balanced, and validated."""

from __future__ import annotations

import numpy as np
import pytest

from graphviz_autodiff.course.datasets.toy import spirals, two_moons


def test_two_moons_without_noise_lie_on_their_half_circles():
    X, y = two_moons(101, noise=0.0, seed=3)
    assert X.shape == (101, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 51]
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    np.testing.assert_allclose(np.hypot(1.0 - lower[:, 0], 0.5 - lower[:, 1]), 1.0)
    assert np.all(upper[:, 1] >= -1e-12) and np.all(lower[:, 1] <= 0.5 + 1e-12)


def test_spirals_without_noise_lie_on_their_arms():
    X, y = spirals(90, n_classes=3, noise=0.0)
    assert np.bincount(y).tolist() == [30, 30, 30]
    for k in range(3):
        arm = X[y == k]
        r = np.hypot(*arm.T)
        order = np.argsort(r)
        np.testing.assert_allclose(r[order], np.linspace(0.0, 1.0, 30), atol=1e-12)
        angle = 2 * np.pi * k / 3 + 4 * r
        np.testing.assert_allclose(arm, np.column_stack([r * np.sin(angle), r * np.cos(angle)]), atol=1e-12)


def test_the_same_seed_gives_the_same_arrays_and_points_are_shuffled():
    a, b = two_moons(50, seed=7), two_moons(50, seed=7)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], two_moons(50, seed=8)[0])
    assert 0 < np.count_nonzero(np.diff(a[1])) < 49  # labels interleaved, not two blocks
    np.testing.assert_array_equal(spirals(30, seed=1)[0], spirals(30, seed=1)[0])


def test_noise_has_the_requested_standard_deviation():
    clean, y = two_moons(4000, noise=0.0, seed=2)
    noisy, y2 = two_moons(4000, noise=0.2, seed=2)
    # Noise adds its variance to each coordinate's spread (the clean spread is that of the half circle).
    assert np.bincount(y).tolist() == np.bincount(y2).tolist()
    spread = np.std(noisy[y2 == 0], axis=0) ** 2 - np.std(clean[y == 0], axis=0) ** 2
    np.testing.assert_allclose(spread, 0.04, atol=0.01)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: two_moons(1), r"two_moons: n_samples must be an int of at least 2, got 1"),
        (lambda: two_moons(True), r"two_moons: n_samples must be an int of at least 2, got True"),
        (lambda: two_moons(10, noise=-0.1), r"two_moons: noise must be a finite number >= 0, got -0.1"),
        (lambda: two_moons(10, noise=float("nan")), r"two_moons: noise must be a finite number >= 0, got nan"),
        (lambda: spirals(10, n_classes=1), r"spirals: n_classes must be an int of at least 2, got 1"),
        (lambda: spirals(2, n_classes=3), r"spirals: n_samples must be an int of at least 3, got 2"),
        (lambda: spirals(10.0), r"spirals: n_samples must be an int of at least 3, got 10.0"),
    ],
)
def test_bad_arguments_are_refused_with_what_was_given(call, message):
    with pytest.raises(ValueError, match=message):
        call()
