"""Lecture figures: inspect the matplotlib artists (lines, points, image values, texts), not pixels."""

from __future__ import annotations

import numpy as np
import pytest

from graphviz_autodiff.course.analysis import correlation_matrix
from graphviz_autodiff.course.datasets import lecture5
from graphviz_autodiff.course.lecture import convergence_experiment
from graphviz_autodiff.course.training import History
from viz import plots
from viz.plots import (
    descent_end,
    plot_convergence_comparison,
    plot_correlation_heatmap,
    plot_loss_history,
    plot_scatter_grid,
    plot_true_vs_predicted,
    save_lecture_figures,
)

plt = plots._pyplot()  # pyplot, with the Agg backend chosen first on a machine without a display


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    return lecture5()


@pytest.fixture(scope="module")
def experiment(data):
    return convergence_experiment(data, epochs=200)


def _legend_texts(ax):
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend is not None else []


# -- loss history ----------------------------------------------------------------
def test_loss_history_draws_one_line_of_the_losses():
    history = History(loss=[100.0, 40.0, 20.0, 15.0], epochs_run=4)
    fig = plot_loss_history(history)
    (ax,) = fig.axes
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2, 3])
    np.testing.assert_array_equal(line.get_ydata(), history.loss)
    assert ax.get_yscale() == "log"
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Loss history", "Epoch", "Loss L")
    assert ax.get_legend() is None


def test_loss_history_in_russian_with_label_and_linear_axis():
    fig = plot_loss_history([3.0, 0.0, -1.0], label="run $1", lang="ru")
    ax = fig.axes[0]
    assert ax.get_title() == "История функции потерь"
    assert ax.get_xlabel() == "Эпоха" and ax.get_ylabel() == "Функция потерь L"
    assert ax.get_yscale() == "linear"  # a loss <= 0 cannot go on a log axis
    assert _legend_texts(ax) == [r"run \$1"]  # "$" drawn literally, not as mathtext
    fig.canvas.draw()


def test_loss_history_draws_into_a_given_axes():
    fig, ax = plt.subplots()
    assert plot_loss_history([1.0, 0.5], ax=ax, log=False) is fig
    assert len(ax.get_lines()) == 1 and ax.get_yscale() == "linear"
    with pytest.raises(ValueError, match="empty"):
        plot_loss_history([])
    with pytest.raises(ValueError, match="lang must be one of"):
        plot_loss_history([1.0], lang="de")


def test_loss_history_zooms_on_the_descent_where_the_curve_is_flat():
    values = 50.0 + 900.0 * 0.5 ** np.arange(2000.0)  # done after ~10 epochs, flat for 1,990
    assert descent_end(values) == 10  # 900 · 2^-10 < 0.1 % of the drop
    fig = plot_loss_history(values)
    ax = fig.axes[0]
    (line,) = ax.get_lines()
    gap = line.get_ydata()
    assert ax.get_yscale() == "log" and ax.get_xlim()[1] < 60  # the descent fills the axes
    assert gap[0] == pytest.approx(900.0) and np.all(np.diff(gap) < 0)  # L − L_min keeps falling: no flat line
    assert "L_min = 50" in ax.get_ylabel()
    (inset,) = ax.child_axes  # L itself, every epoch
    assert len(inset.get_lines()[0].get_ydata()) == 2000 and "2000" in inset.get_title()
    plain = plot_loss_history(values, zoom=False).axes[0]
    assert len(plain.get_lines()[0].get_ydata()) == 2000 and not plain.child_axes
    assert descent_end([5.0, 5.0]) == 0 and descent_end([1.0, np.nan]) == 1


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_lecture_loss_history_is_not_a_flat_line(lang, tmp_path):
    written = save_lecture_figures(tmp_path, lang=lang, formats=("png",))
    assert (tmp_path / "lecture5_loss_history.png") in written
    from graphviz_autodiff.course.analysis import drop_features
    from graphviz_autodiff.course.lecture import train_lecture_model

    data = lecture5()
    X_small, _ = drop_features(data.X, convergence_experiment(data, epochs=200).dropped)
    ax = plot_loss_history(train_lecture_model(X_small, data.y).history, lang=lang).axes[0]
    gap = ax.get_lines()[0].get_ydata()
    assert len(gap) >= 10 and gap[-1] < 1e-6 * gap[0]  # twelve decades of descent are visible


# -- true vs predicted -------------------------------------------------------------
def test_true_vs_predicted_points_diagonal_and_r2(data):
    predicted = data.X @ data.true_theta
    fig = plot_true_vs_predicted(data.y, predicted, lang="ru")
    ax = fig.axes[0]
    (points,) = ax.collections
    np.testing.assert_allclose(points.get_offsets(), np.column_stack([data.y, predicted]))
    (diagonal,) = ax.get_lines()
    lo = min(data.y.min(), predicted.min())
    hi = max(data.y.max(), predicted.max())
    np.testing.assert_allclose(diagonal.get_xydata(), [[lo, lo], [hi, hi]])
    assert ax.get_xlabel() == "Истинное значение" and ax.get_ylabel() == "Предсказание"
    r2 = 1 - np.sum((data.y - predicted) ** 2) / np.sum((data.y - data.y.mean()) ** 2)
    assert _legend_texts(ax)[0] == f"объекты (R² = {r2:.3f})"


def test_true_vs_predicted_accepts_tensors_and_checks_sizes(data):
    from graphviz_autodiff import Tensor

    fig = plot_true_vs_predicted(data.y, Tensor(data.y * 0.9))
    assert len(fig.axes[0].collections[0].get_offsets()) == 200
    assert fig.axes[0].get_xlabel() == "True value"
    with pytest.raises(ValueError, match="200 values but y_pred has 3"):
        plot_true_vs_predicted(data.y, np.zeros(3))


# -- correlation heat map ------------------------------------------------------------
def test_heatmap_values_are_the_correlation_matrix(data):
    fig = plot_correlation_heatmap(data.X, data.feature_names, lang="ru")
    ax = fig.axes[0]
    (image,) = ax.get_images()
    R = correlation_matrix(data.X)
    np.testing.assert_array_equal(np.asarray(image.get_array()), R)
    assert image.get_clim() == (-1.0, 1.0)
    texts = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}
    assert texts == {(i, j): f"{R[i, j]:.2f}" for i in range(4) for j in range(4)}
    assert texts[(0, 1)] == "0.98"
    assert [t.get_text() for t in ax.get_xticklabels()] == list(data.feature_names)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(data.feature_names)
    assert ax.get_title() == "Матрица корреляций"
    assert len(fig.axes) == 2  # the colour bar


def test_heatmap_escapes_names_and_can_skip_values():
    X = np.random.default_rng(0).normal(size=(20, 2))
    fig = plot_correlation_heatmap(X, ["price $", "x_1"], annotate=False)
    ax = fig.axes[0]
    assert len(ax.texts) == 0 and ax.get_title() == "Correlation matrix"
    assert [t.get_text() for t in ax.get_xticklabels()] == [r"price \$", "x_1"]
    fig.canvas.draw()
    with pytest.raises(ValueError, match="1 feature names for 2 features"):
        plot_correlation_heatmap(X, ["a"])


# -- scatter grid ------------------------------------------------------------------------
def test_scatter_grid_one_panel_per_feature(data):
    fig = plot_scatter_grid(data.X, data.y, data.feature_names, lang="ru")
    panels = [ax for ax in fig.axes if ax.collections]
    assert len(panels) == 4
    R = correlation_matrix(np.column_stack([data.X, data.y]))
    for j, ax in enumerate(panels):
        np.testing.assert_allclose(ax.collections[0].get_offsets(), np.column_stack([data.X[:, j], data.y]))
        assert ax.get_xlabel() == data.feature_names[j]
        assert ax.get_ylabel() == "целевая переменная y"
        assert ax.get_title() == f"r = {R[j, -1]:.2f}"
    assert fig.get_suptitle() == "Признаки и целевая переменная"


def test_scatter_grid_into_given_axes_and_default_names(data):
    fig, axes = plt.subplots(1, 5)
    assert plot_scatter_grid(data.X, data.y, ax=axes, target_name="fuel $") is fig
    assert [ax.get_xlabel() for ax in axes[:4]] == ["x0", "x1", "x2", "x3"]
    assert axes[0].get_ylabel() == r"fuel \$" and not axes[4].collections
    with pytest.raises(ValueError, match="got 2 axes for 4 features"):
        plot_scatter_grid(data.X, data.y, ax=axes[:2])
    with pytest.raises(ValueError, match="n = len\\(y\\) = 3"):
        plot_scatter_grid(data.X, data.y[:3])


def test_scatter_grid_hides_unused_cells():
    X = np.random.default_rng(1).normal(size=(30, 3))
    fig = plot_scatter_grid(X, X[:, 0])
    assert len(fig.axes) == 4 and sum(ax.axison for ax in fig.axes) == 3


# -- convergence comparison ------------------------------------------------------------
def test_convergence_comparison_two_curves_with_condition_numbers(experiment):
    fig = plot_convergence_comparison(experiment.histories, experiment.cond_numbers, zoom=False)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert len(lines) == 2
    for line, run in zip(lines, experiment.runs):
        np.testing.assert_array_equal(line.get_ydata(), run.history.loss)
    legend = _legend_texts(ax)
    assert legend == [f"{run.label}, κ(XᵀX) = {run.cond_number:.1f}" for run in experiment.runs]
    assert ax.get_yscale() == "log"


def test_convergence_comparison_from_a_result_marks_the_target(experiment):
    fig = plot_convergence_comparison(experiment, lang="ru")
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert len(lines) == 3  # two runs and the target line
    np.testing.assert_array_equal(lines[2].get_ydata(), [experiment.target_loss] * 2)
    legend = _legend_texts(ax)
    slow, fast = experiment.runs
    assert legend[0].endswith(f"эпох до цели: {slow.epochs_to_target}")
    assert legend[1].endswith(f"эпох до цели: {fast.epochs_to_target}")
    assert legend[2] == "целевое значение потерь"
    low, high = ax.get_ylim()
    assert high == pytest.approx(1.2 * experiment.target_loss)
    assert low < min(min(run.history.loss) for run in experiment.runs)
    assert ax.get_xlabel() == "Эпоха"


def test_convergence_comparison_errors_and_unreached_target():
    with pytest.raises(KeyError, match="no condition number for 'b'"):
        plot_convergence_comparison({"a": [2.0, 1.0], "b": [2.0, 1.5]}, {"a": 3.0})
    with pytest.raises(ValueError, match="no histories"):
        plot_convergence_comparison({})
    fig = plot_convergence_comparison({"a": [2.0, 1.0], "b": [2.0, 1.5]}, target_loss=1.2)
    assert _legend_texts(fig.axes[0])[:2] == ["a, epochs to target: 1", "b, target not reached"]


# -- backend and the demo's figures ----------------------------------------------------
def test_headless_detection(monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delitem(__import__("sys").modules, "ipykernel", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert plots._headless()
    monkeypatch.setenv("DISPLAY", ":0")
    assert not plots._headless()
    monkeypatch.delenv("DISPLAY")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    assert not plots._headless()


def test_save_lecture_figures_writes_every_figure(tmp_path):
    written = save_lecture_figures(tmp_path / "figs", lang="ru", formats=("png",), dpi=40)
    names = [p.name for p in written]
    assert names == [
        "lecture5_scatter_grid.png",
        "lecture5_correlation.png",
        "lecture5_loss_history.png",
        "lecture5_true_vs_predicted.png",
        "lecture5_convergence.png",
    ]
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plt.get_fignums() == []  # closed after saving
