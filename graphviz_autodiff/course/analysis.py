r"""Data analysis for the lecture's correlation step, in NumPy only.

Why correlated features hurt gradient descent: for the lecture's loss
L(θ) = Σ (Xθ − y)², the Hessian is H = 2XᵀX. Gradient descent with step η
is stable only for η < 2/λ_max(H), and along the eigenvector of λ_min(H) it
shrinks the error by a factor (1 − ηλ_min) per epoch. With η a fixed
fraction of 2/λ_max, the number of epochs grows like the condition number
κ(XᵀX) = λ_max/λ_min. Two nearly equal columns of X make λ_min tiny, so κ is
large and the descent is slow (the "bad landscape": a long narrow valley).

Functions: :func:`correlation_matrix`, :func:`correlated_pairs`,
:func:`drop_features`, :func:`condition_number`, :func:`least_squares`,
:func:`max_stable_lr`.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "CorrelatedPair",
    "condition_number",
    "correlated_pairs",
    "correlation_matrix",
    "drop_features",
    "least_squares",
    "max_stable_lr",
]


class CorrelatedPair(namedtuple("CorrelatedPair", ["i", "j", "r"])):
    """A pair of feature columns ``(i, j, r)`` with ``i < j`` and Pearson correlation ``r``.

    It is a tuple (``i, j, r = pair``); ``pair.names`` holds the two feature
    names when :func:`correlated_pairs` was given them, else ``None``.
    """

    names: tuple[str, str] | None = None

    def __repr__(self) -> str:
        names = f", names={self.names!r}" if self.names is not None else ""
        return f"CorrelatedPair(i={self.i}, j={self.j}, r={self.r:.4f}{names})"


def _as_matrix(X: Any, who: str) -> np.ndarray:
    array = np.asarray(X, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"{who}: X must be a 2-D array (objects × features), got shape {array.shape}.")
    return array


def _check_names(feature_names: Sequence[str] | None, n_features: int, who: str) -> list[str] | None:
    if feature_names is None:
        return None
    names = [str(n) for n in feature_names]
    if len(names) != n_features:
        raise ValueError(f"{who}: got {len(names)} feature names for {n_features} columns of X.")
    return names


def correlation_matrix(X: Any) -> np.ndarray:
    r"""Pearson correlations between the columns of ``X``.

    r_ij = cov(x_i, x_j) / (σ_i σ_j): 1 on the diagonal, between −1 and 1.

    Parameters
    ----------
    X : array_like of shape (n, d)
        At least 2 rows; no constant column.

    Returns
    -------
    ndarray of shape (d, d)
        Symmetric.

    Raises
    ------
    ValueError
        ``X`` is not 2-D, has fewer than 2 rows, or a constant column (its
        correlation is undefined).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0, 0.0], [2.0, 4.1, 1.0], [3.0, 5.9, 0.0]])
    >>> correlation_matrix(X).round(2)
    array([[1.  , 1.  , 0.  ],
           [1.  , 1.  , 0.04],
           [0.  , 0.04, 1.  ]])
    """
    X = _as_matrix(X, "correlation_matrix")
    if X.shape[0] < 2:
        raise ValueError(f"correlation_matrix: need at least 2 rows, got {X.shape[0]}.")
    spread = np.ptp(X, axis=0)
    constant = np.flatnonzero(spread == 0)
    if constant.size:
        raise ValueError(
            f"correlation_matrix: column(s) {constant.tolist()} are constant, so their correlation is "
            f"undefined; drop them first."
        )
    return np.corrcoef(X, rowvar=False)


def correlated_pairs(
    X: Any, feature_names: Sequence[str] | None = None, threshold: float = 0.9
) -> list[CorrelatedPair]:
    """Pairs of features whose correlation has ``|r| >= threshold``, strongest first.

    Parameters
    ----------
    X : array_like of shape (n, d)
    feature_names : sequence of str, optional
        Stored in each pair's ``names``.
    threshold : float, default 0.9
        In [0, 1].

    Returns
    -------
    list of CorrelatedPair
        ``(i, j, r)`` with ``i < j``, sorted by ``|r|`` descending (ties by
        ``(i, j)``).

    Examples
    --------
    >>> from graphviz_autodiff.course.datasets import lecture5
    >>> data = lecture5()
    >>> pair = correlated_pairs(data.X, data.feature_names)[0]
    >>> pair.i, pair.j, round(pair.r, 2), pair.names
    (0, 1, 0.98, ('engine_power', 'engine_displacement'))
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"correlated_pairs: threshold must be between 0 and 1, got {threshold}.")
    R = correlation_matrix(X)
    names = _check_names(feature_names, R.shape[0], "correlated_pairs")
    i_idx, j_idx = np.triu_indices(R.shape[0], k=1)
    found = []
    for i, j in zip(i_idx.tolist(), j_idx.tolist(), strict=True):
        r = float(R[i, j])
        if abs(r) >= threshold:
            pair = CorrelatedPair(i, j, r)
            if names is not None:
                pair.names = (names[i], names[j])
            found.append(pair)
    found.sort(key=lambda p: (-abs(p.r), p.i, p.j))
    return found


def drop_features(
    X: Any, indices: int | str | Sequence[int | str], feature_names: Sequence[str] | None = None
) -> tuple[np.ndarray, list[str] | None]:
    """Remove feature columns from ``X``.

    Parameters
    ----------
    X : array_like of shape (n, d)
    indices : int, str or sequence of them
        Columns to drop, by position (negative counts from the end) or, when
        ``feature_names`` is given, by name.
    feature_names : sequence of str, optional
        The names of the columns of ``X``.

    Returns
    -------
    X_kept : ndarray of shape (n, d - k)
        A new array with the other columns, in order.
    names_kept : list of str or None
        Their names (``None`` when ``feature_names`` was not given).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(6.0).reshape(2, 3)
    >>> drop_features(X, "b", ["a", "b", "c"])
    (array([[0., 2.],
           [3., 5.]]), ['a', 'c'])
    """
    X = _as_matrix(X, "drop_features")
    d = X.shape[1]
    names = _check_names(feature_names, d, "drop_features")
    items = [indices] if isinstance(indices, (int, np.integer, str)) else list(indices)
    drop = set()
    for item in items:
        if isinstance(item, str):
            if names is None:
                raise ValueError(
                    f"drop_features: got the name {item!r} but no feature_names; pass them or use indices."
                )
            if item not in names:
                raise KeyError(f"drop_features: no feature named {item!r}; the features are {names}.")
            drop.add(names.index(item))
        elif isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            if not -d <= item < d:
                raise IndexError(f"drop_features: index {item} is out of range for X with {d} columns.")
            drop.add(int(item) % d)
        else:
            raise TypeError(f"drop_features: columns are given by int index or str name, got {type(item).__name__}.")
    keep = [j for j in range(d) if j not in drop]
    return X[:, keep], None if names is None else [names[j] for j in keep]


def condition_number(X: Any) -> float:
    r"""κ(XᵀX) = λ_max / λ_min, the condition number of XᵀX.

    Computed from the singular values s of X as s_max² / s_min² (more
    accurate than forming XᵀX). It is ``inf`` when the columns of X are
    linearly dependent.

    Examples
    --------
    >>> import numpy as np
    >>> condition_number(np.diag([3.0, 1.0]))
    9.0
    """
    X = _as_matrix(X, "condition_number")
    s = np.linalg.svd(X, compute_uv=False)
    if s.size < X.shape[1] or s[-1] == 0.0:
        return float("inf")
    return float((s[0] / s[-1]) ** 2)


def least_squares(X: Any, y: Any) -> np.ndarray:
    r"""θ minimizing Σ (Xθ − y)², by :func:`numpy.linalg.lstsq` (the exact answer GD should find).

    Parameters
    ----------
    X : array_like of shape (n, d)
    y : array_like of shape (n,) or (n, k)

    Returns
    -------
    ndarray of shape (d,) or (d, k)

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> least_squares(X, X @ np.array([2.0, -1.0])).round(6)
    array([ 2., -1.])
    """
    X = _as_matrix(X, "least_squares")
    y = np.asarray(y, dtype=float)
    if y.shape[:1] != X.shape[:1]:
        raise ValueError(f"least_squares: X has {X.shape[0]} rows but y has shape {y.shape}.")
    return np.linalg.lstsq(X, y, rcond=None)[0]


def max_stable_lr(X: Any, reduction: str = "sum") -> float:
    r"""The largest stable gradient-descent step for the squared loss of a linear model on ``X``.

    For L = Σ (Xθ − y)² ("sum", the lecture's loss) the Hessian is H = 2XᵀX;
    for L = (1/n) Σ (Xθ − y)² ("mean") it is H = 2XᵀX / n. Gradient descent
    θ := θ − η ∇L converges iff η < 2 / λ_max(H); this returns 2 / λ_max(H).
    A good choice is a fixed fraction of it: ``0.5 * max_stable_lr(X)``
    (η = 1/λ_max) shrinks the error along every eigenvector monotonically.

    Examples
    --------
    >>> import numpy as np
    >>> max_stable_lr(np.diag([2.0, 1.0]))  # H = diag(8, 2)
    0.25
    """
    X = _as_matrix(X, "max_stable_lr")
    if reduction not in ("sum", "mean"):
        raise ValueError(f"max_stable_lr: reduction must be 'sum' or 'mean', got {reduction!r}.")
    s_max = float(np.linalg.norm(X, ord=2))
    if s_max == 0.0:
        raise ValueError("max_stable_lr: X is all zeros, so the loss does not depend on θ.")
    lam = 2.0 * s_max**2 / (X.shape[0] if reduction == "mean" else 1)
    return 2.0 / lam
