"""Matplotlib figures of lecture 5: data, correlations, training, convergence.

Every function returns the :class:`matplotlib.figure.Figure`, draws into
``ax`` when given one (else makes a new figure), and takes ``lang="en"`` or
``lang="ru"`` for titles and axis labels. Without a display (a server, CI)
the non-interactive Agg backend is selected before pyplot is first imported.

User text (feature names, legend labels) is drawn literally: ``$`` is escaped
so matplotlib never reads it as mathtext.

Examples
--------
>>> from graphviz_autodiff.course.datasets import lecture5
>>> from viz.plots import plot_correlation_heatmap
>>> data = lecture5()
>>> fig = plot_correlation_heatmap(data.X, data.feature_names, lang="ru")
>>> fig.axes[0].get_title()
'Матрица корреляций'
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from graphviz_autodiff.course.analysis import correlation_matrix
from graphviz_autodiff.i18n import check_lang, tr

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "descent_end",
    "plot_convergence_comparison",
    "plot_correlation_heatmap",
    "plot_loss_history",
    "plot_scatter_grid",
    "plot_true_vs_predicted",
    "save_lecture_figures",
]


def _literal(text: Any) -> str:
    """User text drawn as is: escape ``$`` so matplotlib does not start mathtext."""
    return str(text).replace("$", r"\$")


def _headless() -> bool:
    if os.environ.get("MPLBACKEND") or "ipykernel" in sys.modules:
        return False
    if sys.platform in ("darwin", "win32"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _pyplot() -> Any:
    """``matplotlib.pyplot``, with the Agg backend chosen first when there is no display."""
    if "matplotlib.pyplot" not in sys.modules and _headless():
        import matplotlib

        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _figure_and_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig, new_ax = _pyplot().subplots(figsize=figsize, layout="constrained")
    return fig, new_ax


def _loss_values(history: Any) -> np.ndarray:
    values = getattr(history, "loss", history)
    array = np.asarray(values, dtype=float).ravel()
    if array.size == 0:
        raise ValueError("the loss history is empty: train for at least one epoch first.")
    return array


def _can_log(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    return finite.size > 0 and bool(np.all(finite > 0))


def descent_end(values: Any, fraction: float = 1e-3) -> int:
    """The first epoch after which the loss has done all but ``fraction`` of its total descent.

    ``(L[k] - L[-1]) <= fraction * (L[0] - L[-1])``; 0 when the loss never
    falls, and the last epoch when it has not settled (or is not finite).

    >>> descent_end([100.0, 10.0, 1.02, 1.0001, 1.0])
    3
    """
    array = np.asarray(values, dtype=float).ravel()
    if array.size == 0 or not np.all(np.isfinite(array)):
        return max(array.size - 1, 0)
    drop = array[0] - array[-1]
    if drop <= 0:
        return 0
    return int(np.flatnonzero(array - array[-1] <= fraction * drop)[0])


def plot_loss_history(
    history_or_list: Any,
    ax: Axes | None = None,
    log: bool = True,
    label: str | None = None,
    *,
    lang: str = "en",
    zoom: bool = True,
) -> Figure:
    """The loss per epoch (the lecture's "история функции потерь").

    Gradient descent on the lecture data does 99.9 % of its descent in three
    epochs; drawn as it is over 2,000 epochs that is a flat line. With
    ``zoom``, such a curve is drawn as the gap to the lowest loss,
    ``L − L_min``, on a log axis, over the epochs until that gap reaches the
    rounding floor: the descent that goes on where ``L`` looks flat (a
    straight line: the gap shrinks by a constant factor per epoch). A small
    inset shows ``L`` itself over every epoch.

    Parameters
    ----------
    history_or_list : History or sequence of float
        A :class:`graphviz_autodiff.course.training.History` or the losses themselves.
    ax : matplotlib Axes, optional
        Draw here instead of a new figure.
    log : bool, default True
        Logarithmic loss axis (kept linear if a loss is zero or negative).
    label : str, optional
        Legend label of the line (a legend is drawn when given).
    lang : {"en", "ru"}
    zoom : bool, default True
        Zoom on the descent when the curve is flat for most of the epochs (a
        curve that falls all along is drawn as it is).

    Returns
    -------
    matplotlib.figure.Figure
    """
    title = tr("plot.loss_title", lang)
    values = _loss_values(history_or_list)
    fig, ax = _figure_and_axes(ax, (6.0, 4.0))
    epochs = np.arange(values.size)
    line_label = None if label is None else _literal(label)
    zoomed = zoom and values.size > 20 and np.all(np.isfinite(values)) and descent_end(values) < 0.1 * values.size
    if zoomed:
        lowest = float(values.min())
        gap = values - lowest
        floor = 1e-12 * max(abs(lowest), float(gap.max()))  # below this the gap is rounding
        visible = np.flatnonzero(gap > floor)
        last = int(visible[-1]) if visible.size else 0
        shown = epochs[: last + 1][gap[: last + 1] > floor]
        ax.plot(shown, gap[shown], marker="o", markersize=2.5, label=line_label)
        ax.set_yscale("log")
        ax.set_xlim(-0.5, max(10, last) + 0.5)
        ax.set_ylabel(tr("plot.loss_gap", lang, lowest=f"{lowest:.6g}"))
        inset = ax.inset_axes((0.55, 0.55, 0.42, 0.33))
        inset.plot(epochs, values, linewidth=1.0)
        if log and _can_log(values):
            inset.set_yscale("log")
        inset.set_title(tr("plot.loss_all", lang, n=values.size), fontsize=8)
        inset.tick_params(labelsize=7)
    else:
        ax.plot(epochs, values, label=line_label)
        if log and _can_log(values):
            ax.set_yscale("log")
        ax.set_ylabel(tr("plot.loss", lang))
    ax.set_title(title)
    ax.set_xlabel(tr("plot.epoch", lang))
    ax.grid(True, alpha=0.3)
    if label is not None:
        ax.legend(loc="lower left")
    return fig


def plot_true_vs_predicted(y: Any, y_pred: Any, ax: Axes | None = None, *, lang: str = "en") -> Figure:
    """Scatter of predictions against true targets, with the diagonal ``predicted = true``.

    Points on the diagonal are perfect predictions; the legend gives R².

    Parameters
    ----------
    y : array_like of shape (n,)
        True targets.
    y_pred : array_like or Tensor of shape (n,)
        Predictions μ.
    ax : matplotlib Axes, optional
    lang : {"en", "ru"}

    Returns
    -------
    matplotlib.figure.Figure
    """
    title = tr("plot.tvp_title", lang)
    y_true = np.asarray(y, dtype=float).ravel()
    predicted = np.asarray(getattr(y_pred, "data", y_pred), dtype=float).ravel()
    if y_true.shape != predicted.shape:
        raise ValueError(f"plot_true_vs_predicted: y has {y_true.size} values but y_pred has {predicted.size}.")
    residual = float(np.sum((y_true - predicted) ** 2))
    spread = float(np.sum((y_true - y_true.mean()) ** 2))
    r2 = 1.0 - residual / spread if spread > 0 else math.nan
    fig, ax = _figure_and_axes(ax, (5.0, 5.0))
    ax.scatter(y_true, predicted, s=14, alpha=0.7, label=tr("plot.r2", lang, r2=r2))
    lo = float(min(y_true.min(), predicted.min()))
    hi = float(max(y_true.max(), predicted.max()))
    ax.plot([lo, hi], [lo, hi], color="#d62728", linestyle="--", linewidth=1.2, label=tr("plot.ideal", lang))
    ax.set_title(title)
    ax.set_xlabel(tr("plot.true", lang))
    ax.set_ylabel(tr("plot.predicted", lang))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left")
    return fig


def plot_correlation_heatmap(
    X: Any,
    feature_names: Sequence[str] | None = None,
    ax: Axes | None = None,
    *,
    lang: str = "en",
    annotate: bool = True,
    cmap: str = "coolwarm",
) -> Figure:
    """The correlation matrix of the features as a heat map, with every value written in its cell.

    Colours run from −1 (blue) through 0 (white) to +1 (red).

    Parameters
    ----------
    X : array_like of shape (n, d)
    feature_names : sequence of str, optional
        Tick labels (default ``x0``, ``x1``, ...).
    ax : matplotlib Axes, optional
    lang : {"en", "ru"}
    annotate : bool, default True
        Write r (2 decimals) in each cell.
    cmap : str, default "coolwarm"
        A diverging matplotlib colormap.

    Returns
    -------
    matplotlib.figure.Figure
    """
    title = tr("plot.corr_title", lang)
    R = correlation_matrix(X)
    d = R.shape[0]
    names = _names(feature_names, d, "plot_correlation_heatmap")
    fig, ax = _figure_and_axes(ax, (1.2 * d + 2.5, 1.2 * d + 1.5))
    image = ax.imshow(R, vmin=-1.0, vmax=1.0, cmap=cmap)
    if annotate:
        for i in range(d):
            for j in range(d):
                color = "white" if abs(R[i, j]) > 0.6 else "black"
                ax.text(j, i, f"{R[i, j]:.2f}", ha="center", va="center", color=color, fontsize=9)
    ax.set_xticks(range(d), [_literal(n) for n in names], rotation=30, ha="right")
    ax.set_yticks(range(d), [_literal(n) for n in names])
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="r")
    return fig


def plot_scatter_grid(
    X: Any,
    y: Any,
    feature_names: Sequence[str] | None = None,
    ax: Any = None,
    *,
    lang: str = "en",
    target_name: str | None = None,
    ncols: int | None = None,
) -> Figure:
    """One scatter plot per feature against the target, with r in each title.

    Parameters
    ----------
    X : array_like of shape (n, d)
    y : array_like of shape (n,)
    feature_names : sequence of str, optional
        x-axis labels (default ``x0``, ``x1``, ...).
    ax : sequence of matplotlib Axes, optional
        At least ``d`` axes to draw into (one per feature).
    lang : {"en", "ru"}
    target_name : str, optional
        y-axis label (default "target y" / «целевая переменная y»).
    ncols : int, optional
        Columns of the grid of a new figure (default ⌈√d⌉).

    Returns
    -------
    matplotlib.figure.Figure
    """
    title = tr("plot.scatter_title", lang)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).ravel()
    if X.ndim != 2 or X.shape[0] != y.size:
        raise ValueError(f"plot_scatter_grid: X must have shape (n, d) with n = len(y) = {y.size}, got {X.shape}.")
    d = X.shape[1]
    names = _names(feature_names, d, "plot_scatter_grid")
    ylabel = _literal(target_name) if target_name is not None else tr("plot.target", lang)
    if ax is None:
        cols = ncols or math.ceil(math.sqrt(d))
        rows = math.ceil(d / cols)
        fig, grid = _pyplot().subplots(
            rows, cols, figsize=(3.6 * cols, 3.0 * rows), layout="constrained", squeeze=False
        )
        axes = list(grid.ravel())
        for extra in axes[d:]:
            extra.set_axis_off()
    else:
        axes = list(np.ravel(ax))
        if len(axes) < d:
            raise ValueError(f"plot_scatter_grid: got {len(axes)} axes for {d} features; pass one per feature.")
        fig = axes[0].figure
    R = correlation_matrix(np.column_stack([X, y]))
    for j in range(d):
        axis = axes[j]
        axis.scatter(X[:, j], y, s=10, alpha=0.6)
        axis.set_xlabel(_literal(names[j]))
        axis.set_ylabel(ylabel)
        axis.set_title(f"r = {R[j, -1]:.2f}")
        axis.grid(True, alpha=0.3)
    fig.suptitle(title)
    return fig


def plot_convergence_comparison(
    histories: Mapping[str, Any] | Any,
    cond_numbers: Mapping[str, float] | None = None,
    ax: Axes | None = None,
    log: bool = True,
    *,
    lang: str = "en",
    target_loss: float | None = None,
    zoom: bool = True,
) -> Figure:
    """Loss curves of several runs on one plot, each labelled with κ(XᵀX) of its features.

    Parameters
    ----------
    histories : dict of str to History (or list of float), or ConvergenceResult
        One curve per entry. A :class:`graphviz_autodiff.course.lecture.ConvergenceResult`
        supplies its histories, condition numbers and target loss.
    cond_numbers : dict of str to float, optional
        κ(XᵀX) per label, shown in the legend.
    ax : matplotlib Axes, optional
    log : bool, default True
        Logarithmic loss axis.
    lang : {"en", "ru"}
    target_loss : float, optional
        Draw this loss as a dashed line and give each run's epochs to reach it.
    zoom : bool, default True
        With ``target_loss``: show the loss axis (linear) only from the lowest
        loss to 1.2 × ``target_loss``, where the runs differ; the first epochs,
        where every run falls fast, are cut off. ``zoom=False`` shows the
        whole curves.

    Returns
    -------
    matplotlib.figure.Figure
    """
    title = tr("plot.conv_title", lang)
    if hasattr(histories, "histories") and hasattr(histories, "cond_numbers"):
        result = histories
        histories, cond_numbers = result.histories, result.cond_numbers
        target_loss = result.target_loss if target_loss is None else target_loss
    if not histories:
        raise ValueError("plot_convergence_comparison: got no histories.")
    fig, ax = _figure_and_axes(ax, (7.0, 4.5))
    everything = []
    for label, history in histories.items():
        values = _loss_values(history)
        everything.append(values)
        parts = [_literal(label)]
        if cond_numbers is not None:
            if label not in cond_numbers:
                raise KeyError(f"plot_convergence_comparison: no condition number for {label!r}.")
            parts.append(f"κ(XᵀX) = {cond_numbers[label]:.1f}")
        if target_loss is not None:
            reached = np.flatnonzero(values <= target_loss)
            parts.append(
                tr("plot.epochs_to_target", lang, n=int(reached[0])) if reached.size else tr("plot.not_reached", lang)
            )
        ax.plot(np.arange(values.size), values, label=", ".join(parts))
    if target_loss is not None:
        ax.axhline(target_loss, color="gray", linestyle="--", linewidth=1.0, label=tr("plot.target_loss", lang))
    if zoom and target_loss is not None:
        lowest = min(float(np.nanmin(v)) for v in everything)
        ax.set_ylim(lowest - 0.2 * (target_loss - lowest) - 1e-12, 1.2 * target_loss)
    elif log and all(_can_log(v) for v in everything):
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(tr("plot.epoch", lang))
    ax.set_ylabel(tr("plot.loss", lang))
    ax.grid(True, alpha=0.3)
    ax.legend()
    return fig


def save_lecture_figures(
    out_dir: str | os.PathLike,
    *,
    lang: str = "en",
    formats: Sequence[str] = ("png",),
    dpi: int = 120,
) -> list[Path]:
    """Write the lecture's figures for the lecture-5 data set into ``out_dir``.

    Figures: the scatter grid, the correlation heat map, the loss history and
    true vs predicted of the model trained without the correlated feature,
    and the convergence comparison. Files are named ``lecture5_<figure>.<format>``.

    Parameters
    ----------
    out_dir : path
        Created if missing.
    lang : {"en", "ru"}
    formats : sequence of str, default ("png",)
        Any of matplotlib's formats ("png", "svg", "pdf").
    dpi : int, default 120

    Returns
    -------
    list of Path
        The files written, in order.
    """
    from graphviz_autodiff.course.analysis import drop_features
    from graphviz_autodiff.course.datasets import lecture5
    from graphviz_autodiff.course.lecture import convergence_experiment, train_lecture_model

    check_lang(lang, "save_lecture_figures")  # before any work
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = lecture5()
    experiment = convergence_experiment(data)
    X_small, _ = drop_features(data.X, experiment.dropped)
    trained = train_lecture_model(X_small, data.y)
    figures = {
        "scatter_grid": plot_scatter_grid(data.X, data.y, data.feature_names, lang=lang, target_name=data.target_name),
        "correlation": plot_correlation_heatmap(data.X, data.feature_names, lang=lang),
        "loss_history": plot_loss_history(trained.history, lang=lang),
        "true_vs_predicted": plot_true_vs_predicted(data.y, trained.predict(X_small), lang=lang),
        "convergence": plot_convergence_comparison(experiment, lang=lang),
    }
    plt = _pyplot()
    written = []
    with plt.rc_context({"svg.hashsalt": "graphviz_autodiff"}):
        for name, fig in figures.items():
            for fmt in formats:
                path = out / f"lecture5_{name}.{fmt}"
                fig.savefig(path, dpi=dpi, metadata=_fixed_metadata(fmt))
                written.append(path)
            plt.close(fig)
    return written


def _fixed_metadata(fmt: str) -> dict[str, Any]:
    """Metadata without dates, so the same figure gives the same file."""
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None, "ModDate": None}
    return {}


def _names(feature_names: Sequence[str] | None, d: int, who: str) -> list[str]:
    if feature_names is None:
        return [f"x{j}" for j in range(d)]
    names = [str(n) for n in feature_names]
    if len(names) != d:
        raise ValueError(f"{who}: got {len(names)} feature names for {d} features.")
    return names
