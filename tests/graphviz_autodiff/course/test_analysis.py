"""Correlation analysis, conditioning and least squares (NumPy only)."""

from __future__ import annotations

import numpy as np
import pytest

from graphviz_autodiff.course.analysis import (
    CorrelatedPair,
    condition_number,
    correlated_pairs,
    correlation_matrix,
    drop_features,
    least_squares,
    max_stable_lr,
)
from graphviz_autodiff.course.datasets import lecture5


def test_correlation_matrix_matches_the_formula():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3)) @ np.array([[1.0, 0.5, 0.0], [0.0, 1.0, -0.3], [0.0, 0.0, 1.0]])
    R = correlation_matrix(X)
    centred = X - X.mean(axis=0)
    cov = centred.T @ centred
    expected = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    np.testing.assert_allclose(R, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.diag(R), 1.0)


def test_correlation_matrix_rejects_bad_input():
    with pytest.raises(ValueError, match=r"column\(s\) \[1\] are constant"):
        correlation_matrix(np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]]))
    with pytest.raises(ValueError, match="2-D array"):
        correlation_matrix(np.ones(4))
    with pytest.raises(ValueError, match="at least 2 rows"):
        correlation_matrix(np.ones((1, 3)))


def test_correlated_pairs_flags_exactly_the_generated_pair():
    data = lecture5()
    pairs = correlated_pairs(data.X, data.feature_names, threshold=0.9)
    assert len(pairs) == 1
    pair = pairs[0]
    assert (pair.i, pair.j) == data.correlated_pair == (0, 1)
    assert pair.names == ("engine_power", "engine_displacement")
    assert pair.r == pytest.approx(np.corrcoef(data.X[:, 0], data.X[:, 1])[0, 1], abs=1e-12)
    assert pair.r > 0.95
    i, j, r = pair  # still a plain (i, j, r) tuple
    assert (i, j) == (0, 1) and r == pair.r
    assert "engine_displacement" in repr(pair)


def test_correlated_pairs_sorted_by_absolute_value_with_sign_kept():
    rng = np.random.default_rng(0)
    a = rng.normal(size=300)
    b = rng.normal(size=300)
    X = np.column_stack([a, -a + 0.05 * rng.normal(size=300), b, b + 0.4 * rng.normal(size=300)])
    pairs = correlated_pairs(X, threshold=0.5)
    assert [(p.i, p.j) for p in pairs] == [(0, 1), (2, 3)]
    assert pairs[0].r < -0.99 and 0.5 < pairs[1].r < 0.99
    assert all(p.names is None for p in pairs)
    assert correlated_pairs(X, threshold=1.0) == []
    assert isinstance(pairs[0], CorrelatedPair)


def test_correlated_pairs_validates_arguments():
    X = lecture5().X
    with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
        correlated_pairs(X, threshold=1.5)
    with pytest.raises(ValueError, match="3 feature names for 4 columns"):
        correlated_pairs(X, ["a", "b", "c"])


def test_drop_features_by_index_name_and_negative_index():
    X = np.arange(12.0).reshape(3, 4)
    names = ["a", "b", "c", "d"]
    kept, kept_names = drop_features(X, 1, names)
    np.testing.assert_array_equal(kept, X[:, [0, 2, 3]])
    assert kept_names == ["a", "c", "d"]
    kept, kept_names = drop_features(X, ["d", 0], names)
    np.testing.assert_array_equal(kept, X[:, [1, 2]])
    assert kept_names == ["b", "c"]
    kept, none = drop_features(X, -1)
    np.testing.assert_array_equal(kept, X[:, :3])
    assert none is None
    kept[0, 0] = 99.0
    assert X[0, 0] == 0.0  # a new array


def test_drop_features_errors():
    X = np.ones((2, 3))
    with pytest.raises(IndexError, match="index 3 is out of range"):
        drop_features(X, 3)
    with pytest.raises(ValueError, match="no feature_names"):
        drop_features(X, "a")
    with pytest.raises(KeyError, match="no feature named 'z'"):
        drop_features(X, "z", ["a", "b", "c"])
    with pytest.raises(TypeError, match="int index or str name"):
        drop_features(X, [1.0])


def test_condition_number_of_xtx():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 3))
    assert condition_number(X) == pytest.approx(np.linalg.cond(X.T @ X), rel=1e-9)
    assert condition_number(np.diag([3.0, 1.0])) == pytest.approx(9.0)
    dependent = np.column_stack([X[:, 0], 2 * X[:, 0]])
    assert condition_number(dependent) > 1e12 or condition_number(dependent) == float("inf")
    assert condition_number(np.ones((1, 2))) == float("inf")  # fewer rows than columns


def test_dropping_the_correlated_feature_improves_conditioning():
    data = lecture5()
    full = condition_number(data.X)
    reduced = condition_number(drop_features(data.X, 1)[0])
    assert full > 50 and reduced < 3


def test_least_squares_solves_the_normal_equations():
    data = lecture5()
    theta = least_squares(data.X, data.y)
    np.testing.assert_allclose(data.X.T @ data.X @ theta, data.X.T @ data.y, atol=1e-9)
    with pytest.raises(ValueError, match="200 rows but y has shape"):
        least_squares(data.X, data.y[:10])


def _gradient_descent(X, y, lr, epochs, reduction="sum"):
    theta = np.zeros(X.shape[1])
    scale = 1.0 if reduction == "sum" else 1.0 / len(y)
    for _ in range(epochs):
        theta = theta - lr * scale * 2 * X.T @ (X @ theta - y)
    return theta


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_max_stable_lr_is_the_stability_limit_of_gradient_descent(reduction):
    data = lecture5()
    limit = max_stable_lr(data.X, reduction)
    exact = least_squares(data.X, data.y)
    stable = _gradient_descent(data.X, data.y, 0.95 * limit, 3000, reduction)
    np.testing.assert_allclose(stable, exact, rtol=1e-6)
    with np.errstate(over="ignore", invalid="ignore"):
        unstable = _gradient_descent(data.X, data.y, 1.05 * limit, 3000, reduction)
    assert not np.all(np.isfinite(unstable)) or np.abs(unstable).max() > 1e6


def test_max_stable_lr_values_and_errors():
    assert max_stable_lr(np.diag([2.0, 1.0])) == pytest.approx(0.25)
    assert max_stable_lr(np.diag([2.0, 1.0]), "mean") == pytest.approx(0.5)
    with pytest.raises(ValueError, match="'sum' or 'mean'"):
        max_stable_lr(np.eye(2), "max")
    with pytest.raises(ValueError, match="all zeros"):
        max_stable_lr(np.zeros((3, 2)))
