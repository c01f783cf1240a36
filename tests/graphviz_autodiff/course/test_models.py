"""A two-layer MLP classifying two moons (>= 97 % train accuracy); the toy data sets and ``models.mlp``."""

from __future__ import annotations

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Tensor
from graphviz_autodiff.course.datasets.toy import spirals, two_moons
from graphviz_autodiff.course.models import mlp
from graphviz_autodiff.course.training import fit
from graphviz_autodiff.ops import CrossEntropy, Linear, ReLU, Tanh
from graphviz_autodiff.optim import SGD, Adam, Momentum


def accuracy(model, X, y) -> float:
    with gad.no_record():
        return float(np.mean(model(X).data.argmax(axis=1) == y))


# -- the example: the lecture's loop, written out -------------------------------------------------
@pytest.mark.parametrize(
    ("activation", "make_optimizer", "epochs"),
    [
        ("relu", lambda ps: Adam(ps, lr=0.05), 200),
        ("tanh", lambda ps: Adam(ps, lr=0.05), 200),
        ("relu", lambda ps: Momentum(ps, lr=0.1), 500),
    ],
)
def test_two_layer_mlp_learns_two_moons(activation, make_optimizer, epochs):
    X, y = two_moons(200, noise=0.1, seed=0)
    model = mlp(2, 16, 2, seed=0, activation=activation)
    optimizer = make_optimizer(model.parameters())
    loss_fn = CrossEntropy()
    data = Tensor(X, requires_grad=False)  # no ∂L/∂X needed
    assert accuracy(model, X, y) < 0.9  # untrained: the moons are not linearly separable at random
    losses = []
    for _ in range(epochs):
        with gad.no_record():  # no drawings wanted for every epoch
            loss = loss_fn(model(data), y)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.data))
    assert losses[-1] < 0.1 * losses[0]
    assert accuracy(model, X, y) >= 0.97


def test_a_linear_model_cannot_separate_the_moons():
    """The hidden layer is what does it: a linear classifier trained the same way stays below 97 %."""
    X, y = two_moons(200, noise=0.1, seed=0)
    model = gad.nn.Sequential(Linear(2, 2, bias=True, seed=0))
    optimizer = Adam(model.parameters(), lr=0.05)
    for _ in range(300):
        with gad.no_record():
            loss = CrossEntropy()(model(Tensor(X, requires_grad=False)), y)
        loss.backward()
        optimizer.step()
    assert 0.75 < accuracy(model, X, y) < 0.95


def test_mlp_is_trained_by_fit_from_the_training_module():
    X, y = two_moons(200, noise=0.1, seed=0)
    model = mlp(2, 16, 2, seed=0)
    optimizer = Adam(model.parameters(), lr=0.02)
    history = fit(model, CrossEntropy(), X, y, optimizer=optimizer, epochs=60, batch_size=32, seed=0)
    assert len(history.loss) == 60
    assert history.loss[-1] < 0.1 * history.loss[0]
    assert accuracy(model, X, y) >= 0.97


# -- models.mlp ----------------------------------------------------------------------------------
def test_mlp_structure_and_seeding():
    model = mlp(2, 16, 3, seed=5, activation="tanh")
    first, act, second = model.layers
    assert isinstance(first, Linear) and isinstance(act, Tanh) and isinstance(second, Linear)
    assert [p.shape for p in model.parameters()] == [(2, 16), (16,), (16, 3), (3,)]
    assert [p.name for p in model.parameters()] == ["θ₁", "b₁", "θ₂", "b₂"]
    assert model.n_params() == 2 * 16 + 16 + 16 * 3 + 3
    assert np.abs(first.theta.data).max() <= 1 / np.sqrt(2) and np.abs(second.theta.data).max() <= 1 / 4
    np.testing.assert_array_equal(mlp(2, 16, 3, seed=5).parameters()[0].data, first.theta.data)
    assert not np.array_equal(mlp(2, 16, 3, seed=6).parameters()[0].data, first.theta.data)
    assert isinstance(mlp(2, 4, 2).layers[1], ReLU)


def test_mlp_call_is_recorded_as_one_group():
    model = mlp(2, 4, 2)
    out = model(np.zeros((3, 2)))
    groups = out.graph.groups
    assert [g["label"] for g in groups.values()] == ["MLP"]
    assert next(iter(groups.values()))["n_params"] == 2 * 4 + 4 + 4 * 2 + 2
    ops = [out.graph.nx.nodes[n]["op_class"] for n in out.graph.op_nodes()]
    assert ops == ["Linear", "ReLU", "Linear"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"n_hidden": 0}, "n_hidden must be a positive int"), ({"activation": "gelu"}, "activation must be one of")],
)
def test_mlp_rejects_bad_arguments(kwargs, match):
    args = {"n_in": 2, "n_hidden": 4, "n_out": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        mlp(**args)


def test_sgd_also_trains_it():
    X, y = two_moons(200, noise=0.1, seed=0)
    model = mlp(2, 16, 2, seed=0)
    optimizer = SGD(model.parameters(), lr=0.5)
    for _ in range(1000):
        with gad.no_record():
            loss = CrossEntropy()(model(Tensor(X, requires_grad=False)), y)
        loss.backward()
        optimizer.step()
    assert accuracy(model, X, y) >= 0.97


# -- the toy data sets ---------------------------------------------------------------------------
def test_two_moons_shapes_types_balance_and_determinism():
    X, y = two_moons(201, noise=0.1, seed=3)
    assert X.shape == (201, 2) and X.dtype == np.float64 and y.shape == (201,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [100, 101]
    X2, y2 = two_moons(201, noise=0.1, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(two_moons(201, noise=0.1, seed=4)[0], X)
    assert y[:20].min() == 0 and y[:20].max() == 1  # shuffled, not sorted by class


def test_two_moons_without_noise_lie_on_the_half_circles():
    X, y = two_moons(100, noise=0.0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, rtol=1e-12)
    assert upper[:, 1].min() >= 0 and lower[:, 1].max() <= 0.5


def test_spirals_classes_and_geometry():
    X, y = spirals(301, n_classes=4, noise=0.0, seed=0)
    assert X.shape == (301, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [76, 75, 75, 75]
    assert np.hypot(X[:, 0], X[:, 1]).max() <= 1.0 + 1e-12
    # Noise-free arm k at radius r has angle 2πk/K + 4r (angles measured from the y axis).
    r = np.hypot(X[:, 0], X[:, 1])
    far = r > 0.1
    angle = np.arctan2(X[far, 0], X[far, 1])
    expected = 2 * np.pi * y[far] / 4 + 4 * r[far]
    np.testing.assert_allclose(np.angle(np.exp(1j * (angle - expected))), 0.0, atol=1e-9)
    np.testing.assert_array_equal(spirals(301, n_classes=4, noise=0.0, seed=0)[0], X)


def test_an_mlp_learns_spirals_too():
    X, y = spirals(150, n_classes=3, noise=0.02, seed=0)
    model = mlp(2, 32, 3, seed=0)
    optimizer = Adam(model.parameters(), lr=0.02)
    for _ in range(400):
        with gad.no_record():
            loss = CrossEntropy()(model(Tensor(X, requires_grad=False)), y)
        loss.backward()
        optimizer.step()
    assert accuracy(model, X, y) >= 0.9


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: two_moons(1), "two_moons: n_samples must be an int of at least 2"),
        (lambda: two_moons(10, noise=-0.1), "two_moons: noise must be a finite number >= 0"),
        (lambda: spirals(10, n_classes=1), "spirals: n_classes must be an int of at least 2"),
        (lambda: spirals(2, n_classes=3), "spirals: n_samples must be an int of at least 3"),
    ],
)
def test_data_set_arguments_are_checked(make, match):
    with pytest.raises(ValueError, match=match):
        make()
