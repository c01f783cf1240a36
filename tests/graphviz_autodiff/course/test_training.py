"""fit(): the lecture's training loop, its history, progress bar, recording switch and memory."""

from __future__ import annotations

import gc
import sys
import tracemalloc

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable, Parameter
from graphviz_autodiff.course.analysis import least_squares, max_stable_lr
from graphviz_autodiff.course.datasets import lecture5
from graphviz_autodiff.course.training import DivergenceWarning, History, fit
from graphviz_autodiff.nn import Sequential
from graphviz_autodiff.ops import MSE, Identity, Linear, Squared, Sum
from graphviz_autodiff.optim import SGD


@pytest.fixture(scope="module")
def data():
    return lecture5()


def _numpy_gd(X, y, lr, epochs):
    """The same descent in plain NumPy: L = Σ (Xθ − y)², ∂L/∂θ = 2Xᵀ(Xθ − y)."""
    theta = np.zeros(X.shape[1])
    losses = []
    for _ in range(epochs):
        residual = X @ theta - y
        losses.append(float(residual @ residual))
        theta = theta - lr * 2 * X.T @ residual
    return theta, losses


def test_fit_recovers_least_squares_to_1e6(data):
    network = Sequential(Linear(4), Identity())
    lr = 0.5 * max_stable_lr(data.X)  # η = 1/λ_max(2XᵀX): stable and monotone
    history = fit(network, MSE(), data.X, data.y, lr=lr, epochs=2000)
    theta = network[0].theta.data
    exact = least_squares(data.X, data.y)
    np.testing.assert_allclose(theta, exact, rtol=1e-6, atol=0)
    assert np.linalg.norm(theta - exact) / np.linalg.norm(exact) < 1e-6
    optimum = float(np.sum((data.X @ exact - data.y) ** 2))
    assert history.final_loss == pytest.approx(optimum, rel=1e-10)
    assert history.epochs_run == len(history) == 2000 and history.lr == lr


def test_fit_follows_the_numpy_gradient_descent_exactly(data):
    lr = 0.5 * max_stable_lr(data.X)
    linear = Linear(4)
    history = fit(linear, lambda mu, y: Sum()(Squared()(mu, y)), data.X, data.y, lr=lr, epochs=60)
    theta, losses = _numpy_gd(data.X, data.y, lr, 60)
    np.testing.assert_allclose(history.loss, losses, rtol=1e-12)
    np.testing.assert_allclose(linear.theta.data, theta, rtol=1e-12)
    assert history.loss[0] == pytest.approx(float(data.y @ data.y))  # θ = 0 at the start


def test_fit_trains_student_style_ops(data):
    class StudentLinear(Differentiable):
        def __init__(self):
            self.theta = Parameter(np.zeros(4), name="θ")

        def forward(self, x):
            self.x = x
            return x @ self.theta

        def backward(self, upstream_grad):
            self.theta.grad = self.x.T @ upstream_grad
            return np.outer(upstream_grad, self.theta)

    model = StudentLinear()
    lr = 0.5 * max_stable_lr(data.X)
    fit(model, MSE(), data.X, data.y, lr=lr, epochs=40)
    np.testing.assert_allclose(model.theta.data, _numpy_gd(data.X, data.y, lr, 40)[0], rtol=1e-12)


def test_history_epochs_to_reach():
    history = History(loss=[10.0, 5.0, 2.0, 2.0, 1.0], epochs_run=5)
    assert history.epochs_to_reach(10.0) == 0
    assert history.epochs_to_reach(4.0) == 2
    assert history.epochs_to_reach(1.0) == 4
    assert history.epochs_to_reach(0.5) is None
    assert History().epochs_to_reach(1.0) is None and np.isnan(History().final_loss)
    assert "final_loss=1" in repr(history)


def test_record_false_builds_no_graph_and_keeps_last_graph(data):
    before = Sum()(Squared()(np.array([1.0, 2.0]), np.zeros(2)))  # a recorded graph, kept alive
    last = gad.last_graph()
    assert last is before.graph
    graphs, recording = [], []

    def loss_fn(mu, y):
        loss = MSE()(mu, y)
        graphs.append(loss.graph)
        recording.append(gad.is_recording())
        return loss

    fit(Linear(4), loss_fn, data.X, data.y, lr=1e-3, epochs=5)
    assert graphs == [None] * 5 and recording == [False] * 5
    assert gad.last_graph() is last
    assert gad.is_recording()


def test_record_true_records_every_epoch(data):
    graphs = []

    def loss_fn(mu, y):
        loss = MSE()(mu, y)
        graphs.append(loss.graph)
        return loss

    fit(Sequential(Linear(4), Identity()), loss_fn, data.X, data.y, lr=1e-3, epochs=3, record=True)
    assert len(graphs) == 3 and all(g is not None for g in graphs)
    assert len({id(g) for g in graphs}) == 3  # a new graph per epoch
    labels = sorted(graphs[-1].nx.nodes[n]["label"] for n in graphs[-1].nx)
    assert labels == ["Identity", "Linear", "Squared", "Sum", "X", "y", "θ"]
    assert gad.last_graph() is graphs[-1]


def test_recording_is_restored_after_an_error(data):
    def broken(mu, y):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fit(Linear(4), broken, data.X, data.y, epochs=2)
    assert gad.is_recording()


def test_progress_bar_true_writes_a_tqdm_bar(data, capsys):
    fit(Linear(4), MSE(), data.X, data.y, lr=1e-3, epochs=7, progress=True)
    err = capsys.readouterr().err
    assert "fit" in err and "7/7" in err and "100%" in err and "loss=" in err


def test_progress_bar_off_and_auto_without_terminal(data, capsys):
    fit(Linear(4), MSE(), data.X, data.y, lr=1e-3, epochs=3, progress=False)
    fit(Linear(4), MSE(), data.X, data.y, lr=1e-3, epochs=3, progress="auto")  # captured stderr is no tty
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_fit_works_without_tqdm(data, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    history = fit(Linear(4), MSE(), data.X, data.y, lr=1e-3, epochs=3)
    assert history.epochs_run == 3
    with pytest.raises(ImportError, match="pip install tqdm"):
        fit(Linear(4), MSE(), data.X, data.y, lr=1e-3, epochs=3, progress=True)
    with pytest.raises(ValueError, match="progress must be True, False or 'auto'"):
        fit(Linear(4), MSE(), data.X, data.y, epochs=1, progress="yes")


def test_memory_stays_flat_over_many_epochs(data):
    marks = {}

    def snapshot(epoch, loss):
        if epoch in (200, 2200):
            gc.collect()
            marks[epoch] = tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        fit(Sequential(Linear(4), Identity()), MSE(), data.X, data.y, lr=1e-4, epochs=2201, callback=snapshot)
    finally:
        tracemalloc.stop()
    growth = marks[2200] - marks[200]
    # 2000 more epochs may only add their 2000 history floats (~56 bytes each with the list slot);
    # one leaked graph or array of X-sized data per epoch would add megabytes.
    assert growth < 2000 * 56 + 50_000, f"grew by {growth} bytes over 2000 epochs"


def test_tol_stops_early(data):
    lr = 0.5 * max_stable_lr(data.X)
    history = fit(Linear(4), MSE(), data.X, data.y, lr=lr, epochs=5000, tol=1e-6)
    assert history.stopped_early and history.epochs_run < 5000
    assert abs(history.loss[-1] - history.loss[-2]) < 1e-6
    assert all(abs(a - b) >= 1e-6 for a, b in zip(history.loss[:-2], history.loss[1:-1]))


def test_callback_sees_every_epoch_and_can_stop(data):
    seen = []

    def callback(epoch, loss):
        seen.append((epoch, loss))
        return epoch == 4

    history = fit(Linear(4), MSE(), data.X, data.y, lr=1e-3, epochs=50, callback=callback)
    assert [e for e, _ in seen] == [0, 1, 2, 3, 4]
    assert [loss for _, loss in seen] == history.loss
    assert history.stopped_early and history.epochs_run == 5


def test_keep_params_snapshots_align_with_the_loss(data):
    linear = Linear(4)
    history = fit(linear, MSE(), data.X, data.y, lr=1e-3, epochs=4, keep_params=True)
    assert len(history.params) == 4
    np.testing.assert_array_equal(history.params[0][0], np.zeros(4))
    for (theta,), loss in zip(history.params, history.loss):
        assert float(np.sum((data.X @ theta - data.y) ** 2)) == pytest.approx(loss, rel=1e-12)
    assert fit(Linear(4), MSE(), data.X, data.y, epochs=1).params is None


def test_given_optimizer_is_used(data):
    linear = Linear(4)
    optimizer = SGD(linear.parameters(), lr=1e-3)
    history = fit(linear, MSE(), data.X, data.y, optimizer=optimizer, lr=123.0, epochs=3)
    assert history.lr is None
    np.testing.assert_allclose(linear.theta.data, _numpy_gd(data.X, data.y, 1e-3, 3)[0], rtol=1e-12)


def test_full_size_batches_equal_full_batch_descent(data):
    lr = 1e-3
    full, batched = Linear(4), Linear(4)
    h_full = fit(full, MSE(), data.X, data.y, lr=lr, epochs=10)
    h_batch = fit(batched, MSE(), data.X, data.y, lr=lr, epochs=10, batch_size=200, shuffle=False)
    np.testing.assert_allclose(h_batch.loss, h_full.loss, rtol=1e-12)
    np.testing.assert_allclose(batched.theta.data, full.theta.data, rtol=1e-12)


def test_mini_batches_converge_and_shuffle_is_seeded(data):
    def run(seed):
        linear = Linear(4)
        history = fit(linear, MSE(), data.X, data.y, lr=2e-3, epochs=60, batch_size=20, seed=seed)
        return linear.theta.data, history

    theta_a, history_a = run(0)
    theta_b, _ = run(0)
    theta_c, _ = run(1)
    np.testing.assert_array_equal(theta_a, theta_b)
    assert not np.array_equal(theta_a, theta_c)
    exact = least_squares(data.X, data.y)
    optimum = float(np.sum((data.X @ exact - data.y) ** 2))
    assert history_a.final_loss < 1.02 * optimum
    # loss[e] is the whole-data loss at the start of epoch e
    assert history_a.loss[0] == pytest.approx(float(data.y @ data.y))


def test_divergence_warns_and_stops(data):
    lr = 10 * max_stable_lr(data.X)
    with np.errstate(over="ignore", invalid="ignore"), pytest.warns(DivergenceWarning, match="max_stable_lr"):
        history = fit(Linear(4), MSE(), data.X, data.y, lr=lr, epochs=5000)
    assert history.diverged and history.epochs_run < 5000
    assert not np.isfinite(history.final_loss)
    assert all(np.isfinite(history.loss[:-1]))


def test_fit_argument_errors(data):
    with pytest.raises(ValueError, match="X has 200 rows but y has 10"):
        fit(Linear(4), MSE(), data.X, data.y[:10])
    with pytest.raises(TypeError, match="has no parameters\\(\\) method"):
        fit(lambda x: x, MSE(), data.X, data.y)
    with pytest.raises(ValueError, match="must be one number"):
        fit(Linear(4), Squared(), data.X, data.y, epochs=1)
    with pytest.raises(TypeError, match="not a Tensor"):
        fit(Linear(4), lambda mu, y: float(np.sum((mu.data - y.data) ** 2)), data.X, data.y, epochs=1)
    with pytest.raises(ValueError, match="epochs must be a non-negative integer"):
        fit(Linear(4), MSE(), data.X, data.y, epochs=-1)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        fit(Linear(4), MSE(), data.X, data.y, batch_size=0)
    with pytest.raises(TypeError, match="must be numeric"):
        fit(Linear(4), MSE(), data.X.astype(str), data.y)
