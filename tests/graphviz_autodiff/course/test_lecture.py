"""The lecture flow: model, loss, manual chain, training, and the convergence experiment (measured)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from graphviz_autodiff import Tensor
from graphviz_autodiff.course.analysis import condition_number, drop_features, least_squares, max_stable_lr
from graphviz_autodiff.course.datasets import lecture5
from graphviz_autodiff.course.lecture import (
    convergence_experiment,
    feature_to_drop,
    lecture_loss,
    lecture_model,
    lecture_network,
    train_lecture_model,
)
from graphviz_autodiff.ops import Identity, Linear


@pytest.fixture(scope="module")
def data():
    return lecture5()


@pytest.fixture(scope="module")
def experiment(data):
    return convergence_experiment(data)


def test_lecture_model_is_linear_plus_identity_starting_at_zero():
    linear, identity = lecture_model()
    assert isinstance(linear, Linear) and isinstance(identity, Identity)
    np.testing.assert_array_equal(linear.theta.data, np.zeros(4))
    assert linear.bias is None  # z = θᵀ·x, no bias
    network = lecture_network(3)
    assert network.name == "Network" and len(network) == 2
    assert [p.name for p in network.parameters()] == ["θ"] and network.parameters()[0].shape == (3,)


def test_lecture_loss_value_graph_and_manual_chain(data):
    linear, identity = lecture_model()
    linear.theta.data = np.array([1.0, -1.0, 0.5, 0.2])
    X = Tensor(data.X, name="X", requires_grad=False)
    y = data.y
    mu = identity(linear(X))
    loss = lecture_loss(mu, y)
    residual = data.X @ linear.theta.data - data.y
    assert float(loss.data) == pytest.approx(float(residual @ residual), rel=1e-12)
    labels = sorted(loss.graph.nx.nodes[n]["label"] for n in loss.graph.nx)
    assert labels == ["Identity", "Linear", "Squared", "Sum", "X", "y", "θ"]
    loss.backward()
    # ∂L/∂θ = Xᵀ · ∂L/∂z = Xᵀ · 2(μ − y)
    np.testing.assert_allclose(linear.theta.grad, 2 * data.X.T @ residual, rtol=1e-12)
    np.testing.assert_allclose(mu.grad, 2 * residual, rtol=1e-12)


def test_train_lecture_model_matches_least_squares(data):
    result = train_lecture_model(data.X, data.y)
    np.testing.assert_allclose(result.theta, least_squares(data.X, data.y), rtol=1e-6, atol=0)
    np.testing.assert_array_equal(result.theta_lstsq, least_squares(data.X, data.y))
    assert result.lr == pytest.approx(0.5 * max_stable_lr(data.X))
    np.testing.assert_allclose(result.predict(data.X), data.X @ result.theta, rtol=1e-12)
    with pytest.raises(ValueError, match="lr_fraction must be between 0 and 1"):
        train_lecture_model(data.X, data.y, lr_fraction=1.5)


def test_feature_to_drop_is_the_generated_copy(data):
    assert feature_to_drop(data.X, data.y, data.feature_names) == 1  # engine_displacement
    with pytest.raises(ValueError, match="no pair of features"):
        feature_to_drop(data.X[:, 1:], data.y, threshold=0.9)


def test_convergence_experiment_drops_the_flagged_feature(data, experiment):
    assert experiment.dropped == 1 and experiment.dropped_name == "engine_displacement"
    assert (experiment.pair.i, experiment.pair.j) == data.correlated_pair
    assert experiment.without_feature.feature_names == ["engine_power", "vehicle_mass", "tyre_pressure"]


def test_run_without_the_correlated_feature_reaches_the_same_loss_in_fewer_epochs(data, experiment):
    slow, fast = experiment.with_feature, experiment.without_feature
    assert slow.epochs_to_target is not None and fast.epochs_to_target is not None
    assert fast.epochs_to_target < slow.epochs_to_target
    assert fast.epochs_to_target * 10 < slow.epochs_to_target  # the measured numbers: 3 vs 120
    # both reach the *same* loss value, measured on their histories
    target = experiment.target_loss
    assert slow.history.epochs_to_reach(target) == slow.epochs_to_target
    assert fast.history.epochs_to_reach(target) == fast.epochs_to_target
    assert slow.history.loss[slow.epochs_to_target - 1] > target >= slow.history.loss[slow.epochs_to_target]


def test_condition_numbers_and_fair_step_sizes(data, experiment):
    slow, fast = experiment.with_feature, experiment.without_feature
    X_small, _ = drop_features(data.X, 1)
    assert slow.cond_number == pytest.approx(condition_number(data.X))
    assert fast.cond_number == pytest.approx(condition_number(X_small))
    assert fast.cond_number < slow.cond_number
    assert slow.lr == pytest.approx(0.5 * max_stable_lr(data.X))
    assert fast.lr == pytest.approx(0.5 * max_stable_lr(X_small))
    optima = []
    for X_run in (data.X, X_small):
        theta = least_squares(X_run, data.y)
        optima.append(float(np.sum((X_run @ theta - data.y) ** 2)))
    assert slow.optimal_loss == pytest.approx(optima[0]) and fast.optimal_loss == pytest.approx(optima[1])
    assert experiment.target_loss == pytest.approx(1.01 * max(optima))


def test_convergence_result_views(experiment):
    labels = ["all 4 features", "without engine_displacement"]
    assert list(experiment.histories) == labels
    assert list(experiment.cond_numbers) == labels
    assert experiment.epochs_to_target == {
        labels[0]: experiment.with_feature.epochs_to_target,
        labels[1]: experiment.without_feature.epochs_to_target,
    }
    summary = experiment.summary()
    assert f"{experiment.with_feature.epochs_to_target} epochs" in summary
    assert f"κ(XᵀX) = {experiment.with_feature.cond_number:.1f}" in summary


def test_convergence_experiment_options(data):
    one_lr = 0.5 * max_stable_lr(data.X)  # stable for both runs (λ_max only shrinks when a column goes)
    result = convergence_experiment(
        data, drop="engine_displacement", lr=one_lr, epochs=300, labels=("с признаком", "без признака")
    )
    assert result.with_feature.lr == result.without_feature.lr == one_lr
    assert list(result.histories) == ["с признаком", "без признака"]
    assert result.without_feature.epochs_to_target < result.with_feature.epochs_to_target
    with pytest.raises(KeyError, match="no feature named 'wheels'"):
        convergence_experiment(data, drop="wheels", epochs=1)
    with pytest.raises(ValueError, match="threshold must be positive"):
        convergence_experiment(data, threshold=0, epochs=1)


def test_convergence_experiment_accepts_any_data_like_object():
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=120), rng.normal(size=120)
    X = np.column_stack([a, a + 0.1 * rng.normal(size=120), b])
    X -= X.mean(axis=0)
    y = X @ np.array([2.0, 0.0, -1.0]) + 0.5 * rng.normal(size=120)
    y -= y.mean()
    result = convergence_experiment(SimpleNamespace(X=X, y=y, feature_names=("a", "a_copy", "b")), epochs=1000)
    assert result.dropped_name == "a_copy"
    assert result.without_feature.epochs_to_target < result.with_feature.epochs_to_target
