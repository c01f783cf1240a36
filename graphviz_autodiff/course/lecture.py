r"""Lecture 5 as reusable functions: the model, the loss, training, and the convergence experiment.

The notebook ``01_lecture5_linear_regression.ipynb`` and the ``demo`` command
call these, so the lecture's claims are computed (and tested) in one place:

* :func:`lecture_model` -- linear regression as a "network": ``Linear`` + ``Identity``;
* :func:`lecture_loss` -- the MSE loss L = Σ (μ − y)² as ``Sum`` ∘ ``Squared``;
* :func:`train_lecture_model` -- gradient descent with a safe step size;
* :func:`convergence_experiment` -- the same descent with and without the
  correlated feature: the lecture's "correlated features → slow optimization",
  measured in epochs.

How the step size is chosen (fair comparison)
---------------------------------------------
For L(θ) = Σ (Xθ − y)² the Hessian is H = 2XᵀX, and gradient descent is stable
only for η < 2/λ_max(H) (:func:`graphviz_autodiff.course.analysis.max_stable_lr`).
Each run gets the same *fraction* of its own limit, η = f · 2/λ_max(H)
(default f = 0.5, i.e. η = 1/λ_max(H)): both runs are stable and equally
aggressive, and the error along the eigenvector of λ_min shrinks by
(1 − f·2/κ) per epoch with κ = κ(XᵀX). The run whose XᵀX is better
conditioned therefore needs fewer epochs -- which is the lecture's claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..i18n import tr
from ..nn import Sequential
from ..ops import Identity, Linear, Squared, Sum
from ..tensor import Tensor
from .analysis import condition_number, correlated_pairs, correlation_matrix, drop_features, least_squares
from .analysis import max_stable_lr as _max_stable_lr
from .datasets import Lecture5Data, lecture5
from .training import History, fit

__all__ = [
    "ConvergenceResult",
    "ConvergenceRun",
    "LectureFit",
    "convergence_experiment",
    "feature_to_drop",
    "lecture_loss",
    "lecture_model",
    "lecture_network",
    "train_lecture_model",
]


def lecture_model(n_features: int = 4) -> tuple[Linear, Identity]:
    """The lecture's model as its two ops: ``z = θᵀ·x`` (``Linear``, θ = 0) and ``μ = 𝕀(z)`` (``Identity``).

    Examples
    --------
    >>> import numpy as np
    >>> linear, identity = lecture_model()
    >>> identity(linear(np.ones((3, 4)))).data
    array([0., 0., 0.])
    """
    return Linear(n_features), Identity()


def lecture_network(n_features: int = 4) -> Sequential:
    """:func:`lecture_model` as one callable ``Sequential(Linear, Identity)`` named "Network", for :func:`fit`."""
    return Sequential(*lecture_model(n_features), name="Network")


def lecture_loss(mu: Any, y: Any) -> Tensor:
    r"""The lecture's loss L = Σ (μ − y)², written as ``Sum()(Squared()(μ, y))``.

    Backward: ∂L/∂s = 1 for every element of s = (μ − y)², then
    ∂L/∂μ = 2(μ − y) and ∂L/∂y = −2(μ − y).

    Examples
    --------
    >>> import numpy as np
    >>> float(lecture_loss(np.array([1.0, 3.0]), np.array([0.0, 1.0])).data)
    5.0
    """
    return Sum()(Squared()(mu, y))


@dataclass(eq=False)
class LectureFit:
    """A trained lecture model.

    Attributes
    ----------
    network : Sequential
        ``Sequential(Linear, Identity)``; ``network[0].theta`` is θ.
    history : History
    lr : float
        The step size used.
    theta : ndarray
        The trained θ (a copy).
    theta_lstsq : ndarray
        The exact least-squares θ, for comparison.
    """

    network: Sequential
    history: History
    lr: float
    theta: np.ndarray
    theta_lstsq: np.ndarray

    def predict(self, X: Any) -> np.ndarray:
        """μ for new rows ``X`` (an ndarray; nothing is recorded)."""
        from ..graph import no_record

        with no_record():
            return np.asarray(self.network(Tensor(np.asarray(X, dtype=float), requires_grad=False)).data)


def train_lecture_model(
    X: Any,
    y: Any,
    *,
    lr: float | None = None,
    lr_fraction: float = 0.5,
    epochs: int = 2000,
    tol: float | None = None,
    progress: bool | str = False,
) -> LectureFit:
    r"""Train ``Linear`` + ``Identity`` with the loss Σ (μ − y)² by gradient descent.

    Parameters
    ----------
    X, y : array_like
        Features (n, d) and target (n,).
    lr : float, optional
        η; default ``lr_fraction · 2/λ_max(2XᵀX)`` (see the module docstring).
    lr_fraction : float, default 0.5
        The fraction of the stability limit used when ``lr`` is not given (0 < f < 1).
    epochs, tol, progress
        Passed to :func:`fit`.

    Examples
    --------
    >>> from graphviz_autodiff.course.datasets import lecture5
    >>> data = lecture5()
    >>> result = train_lecture_model(data.X, data.y)
    >>> bool(np.allclose(result.theta, result.theta_lstsq, rtol=1e-6))
    True
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    step = _step_size(X, lr, lr_fraction)
    network = lecture_network(X.shape[1])
    history = fit(network, lecture_loss, X, y, lr=step, epochs=epochs, tol=tol, progress=progress)
    return LectureFit(network, history, step, network[0].theta.data.copy(), least_squares(X, y))


@dataclass(eq=False)
class ConvergenceRun:
    """One run of :func:`convergence_experiment`.

    Attributes
    ----------
    label : str
        For legends ("all 4 features", "without engine_displacement").
    feature_names : list of str
    history : History
    cond_number : float
        κ(XᵀX) of this run's features.
    lr : float
        The step size used.
    optimal_loss : float
        The least-squares minimum of the loss for these features.
    epochs_to_target : int or None
        Epochs needed to reach the experiment's ``target_loss``.
    theta : ndarray
        θ after training.
    """

    label: str
    feature_names: list[str]
    history: History
    cond_number: float
    lr: float
    optimal_loss: float
    epochs_to_target: int | None
    theta: np.ndarray


@dataclass(eq=False)
class ConvergenceResult:
    """Gradient descent with and without the dropped feature.

    Attributes
    ----------
    with_feature, without_feature : ConvergenceRun
        The two runs.
    dropped : int
        The column dropped in the second run.
    dropped_name : str
    pair : CorrelatedPair
        The correlated pair it came from.
    target_loss : float
        The loss both runs must reach: ``(1 + threshold) · max`` of the two
        least-squares minima (reachable by both).
    threshold : float
    """

    with_feature: ConvergenceRun
    without_feature: ConvergenceRun
    dropped: int
    dropped_name: str
    pair: Any
    target_loss: float
    threshold: float

    @property
    def runs(self) -> tuple[ConvergenceRun, ConvergenceRun]:
        return self.with_feature, self.without_feature

    @property
    def histories(self) -> dict[str, History]:
        """``{label: History}`` for both runs (for :func:`viz.plots.plot_convergence_comparison`)."""
        return {run.label: run.history for run in self.runs}

    @property
    def cond_numbers(self) -> dict[str, float]:
        """``{label: κ(XᵀX)}`` for both runs."""
        return {run.label: run.cond_number for run in self.runs}

    @property
    def epochs_to_target(self) -> dict[str, int | None]:
        """``{label: epochs to reach target_loss}`` for both runs."""
        return {run.label: run.epochs_to_target for run in self.runs}

    def summary(self) -> str:
        """A short text for the lecture: condition numbers and epochs, side by side."""
        lines = [f"target loss {self.target_loss:.6g} (within {self.threshold:.0%} of the best possible)"]
        for run in self.runs:
            reached = "not reached" if run.epochs_to_target is None else f"{run.epochs_to_target} epochs"
            lines.append(f"{run.label}: κ(XᵀX) = {run.cond_number:.1f}, lr = {run.lr:.4g}, {reached}")
        return "\n".join(lines)


def feature_to_drop(X: Any, y: Any, feature_names: Sequence[str] | None = None, threshold: float = 0.9) -> int:
    """Which feature of the most correlated pair to drop: the one less correlated with the target.

    Raises
    ------
    ValueError
        No pair reaches ``threshold``.
    """
    pairs = correlated_pairs(X, feature_names, threshold)
    if not pairs:
        raise ValueError(f"feature_to_drop: no pair of features has |r| >= {threshold}; nothing to drop.")
    i, j, _ = pairs[0]
    with_target = correlation_matrix(np.column_stack([np.asarray(X, dtype=float), np.asarray(y, dtype=float)]))[-1]
    return j if abs(with_target[i]) >= abs(with_target[j]) else i


def convergence_experiment(
    data: Lecture5Data | None = None,
    *,
    drop: int | str | None = None,
    lr: float | None = None,
    lr_fraction: float = 0.5,
    epochs: int = 400,
    threshold: float = 0.01,
    labels: tuple[str, str] | None = None,
    lang: str = "en",
) -> ConvergenceResult:
    r"""Train the lecture model with all features and without one correlated feature; count epochs.

    Parameters
    ----------
    data : Lecture5Data, optional
        Default :func:`graphviz_autodiff.course.datasets.lecture5`. Any object with
        ``X``, ``y`` and ``feature_names`` works.
    drop : int or str, optional
        The feature to drop; default :func:`feature_to_drop` (of the most
        correlated pair, the one less correlated with the target).
    lr : float, optional
        One step size for both runs. Default: each run gets
        ``lr_fraction · 2/λ_max(2XᵀX)`` of its own features (the fair choice,
        see the module docstring).
    lr_fraction : float, default 0.5
    epochs : int, default 400
    threshold : float, default 0.01
        Target loss = ``(1 + threshold) ·`` the larger of the two
        least-squares minima, so both runs can reach it.
    labels : (str, str), optional
        Legend labels of the two runs; default "all d features" and
        "without <name>" in ``lang``.
    lang : str, default "en"
        Language of the default labels.

    Returns
    -------
    ConvergenceResult

    Examples
    --------
    >>> result = convergence_experiment()
    >>> result.dropped_name
    'engine_displacement'
    >>> result.without_feature.epochs_to_target < result.with_feature.epochs_to_target
    True
    """
    data = lecture5() if data is None else data
    X, y = np.asarray(data.X, dtype=float), np.asarray(data.y, dtype=float)
    names = list(data.feature_names)
    if not threshold > 0:
        raise ValueError(f"convergence_experiment: threshold must be positive, got {threshold}.")
    pair = correlated_pairs(X, names, threshold=0.0)[0]
    if drop is None:
        drop = feature_to_drop(X, y, names, threshold=0.0)
    elif isinstance(drop, str):
        drop = names.index(drop) if drop in names else _unknown_feature(drop, names)
    X_small, names_small = drop_features(X, drop, names)
    drop = int(drop) % len(names)
    default_labels = (
        tr("plot.all_features", lang, n=len(names)),
        tr("plot.without_feature", lang, name=names[drop]),
    )
    label_with, label_without = labels if labels is not None else default_labels
    runs = []
    for label, X_run, names_run in ((label_with, X, names), (label_without, X_small, names_small or [])):
        step = _step_size(X_run, lr, lr_fraction)
        network = lecture_network(X_run.shape[1])
        history = fit(network, lecture_loss, X_run, y, lr=step, epochs=epochs)
        theta_star = least_squares(X_run, y)
        optimal = float(np.sum((X_run @ theta_star - y) ** 2))
        runs.append(
            ConvergenceRun(
                label, names_run, history, condition_number(X_run), step, optimal, None, network[0].theta.data.copy()
            )
        )
    target = (1.0 + threshold) * max(run.optimal_loss for run in runs)
    for run in runs:
        run.epochs_to_target = run.history.epochs_to_reach(target)
    return ConvergenceResult(runs[0], runs[1], drop, names[drop], pair, target, threshold)


def _step_size(X: np.ndarray, lr: float | None, lr_fraction: float) -> float:
    if lr is not None:
        return float(lr)
    if not 0.0 < lr_fraction < 1.0:
        raise ValueError(f"lr_fraction must be between 0 and 1 (a fraction of the stability limit), got {lr_fraction}.")
    return lr_fraction * _max_stable_lr(X, reduction="sum")


def _unknown_feature(name: str, names: list[str]) -> int:
    raise KeyError(f"convergence_experiment: no feature named {name!r}; the features are {names}.")
