"""Small generated classification sets for the MLP lectures: two moons and spirals (NumPy only).

Both are seeded: the same arguments always give the same arrays. Points come
in shuffled order, with ``X`` of dtype float64 and integer labels ``y`` of
dtype int64, ready for :class:`~graphviz_autodiff.ops.CrossEntropy`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["spirals", "two_moons"]


def _check(function: str, n_samples: int, noise: float, minimum: int) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < minimum:
        raise ValueError(f"{function}: n_samples must be an int of at least {minimum}, got {n_samples!r}")
    if not (isinstance(noise, (int, float, np.number)) and np.isfinite(noise) and noise >= 0):
        raise ValueError(f"{function}: noise must be a finite number >= 0, got {noise!r}")


def _shuffle(X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(y))
    return X[order], y[order]


def two_moons(n_samples: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, class 0 above and class 1 below (as scikit-learn's ``make_moons``).

    Class 0 lies on (cos t, sin t) and class 1 on (1 − cos t, 0.5 − sin t),
    t evenly spaced in [0, π]; Gaussian noise of standard deviation ``noise``
    is added to every coordinate. Not linearly separable, but a small MLP
    separates it.

    Parameters
    ----------
    n_samples : int, default 200
        Number of points; class 0 gets ``n_samples // 2``, class 1 the rest.
    noise : float, default 0.1
        Standard deviation of the Gaussian noise added to the coordinates.
    seed : int, default 0
        Seed of the generator (noise and shuffling).

    Returns
    -------
    X : numpy.ndarray of float64, shape (n_samples, 2)
    y : numpy.ndarray of int64, shape (n_samples,), values 0 and 1

    Examples
    --------
    >>> X, y = two_moons(100, noise=0.05, seed=1)
    >>> X.shape, y.dtype.name, int(y.sum())
    ((100, 2), 'int64', 50)
    """
    _check("two_moons", n_samples, noise, 2)
    rng = np.random.default_rng(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    upper = np.column_stack([np.cos(t_upper), np.sin(t_upper)])
    lower = np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)])
    X = np.concatenate([upper, lower]) + rng.normal(scale=noise, size=(n_samples, 2))
    y = np.concatenate([np.zeros(n_upper, dtype=np.int64), np.ones(n_lower, dtype=np.int64)])
    return _shuffle(X.astype(np.float64), y, rng)


def spirals(
    n_samples: int = 300, n_classes: int = 3, noise: float = 0.05, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the classic CS231n toy problem).

    Arm k holds points r·(sin a, cos a) with the radius r evenly spaced in
    [0, 1] and the angle a = 2πk/K + 4r (each arm winds through 4 radians);
    Gaussian noise of standard deviation ``noise`` is added to every
    coordinate.

    Parameters
    ----------
    n_samples : int, default 300
        Total number of points, split as evenly as possible between classes.
    n_classes : int, default 3
        K, the number of arms (classes), at least 2.
    noise : float, default 0.05
        Standard deviation of the Gaussian noise added to the coordinates.
    seed : int, default 0
        Seed of the generator (noise and shuffling).

    Returns
    -------
    X : numpy.ndarray of float64, shape (n_samples, 2)
    y : numpy.ndarray of int64, shape (n_samples,), values 0 … K − 1

    Examples
    --------
    >>> X, y = spirals(90, n_classes=3)
    >>> X.shape, np.bincount(y).tolist()
    ((90, 2), [30, 30, 30])
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(f"spirals: n_classes must be an int of at least 2, got {n_classes!r}")
    _check("spirals", n_samples, noise, n_classes)
    rng = np.random.default_rng(seed)
    sizes = [len(part) for part in np.array_split(np.arange(n_samples), n_classes)]
    points, labels = [], []
    for k, size in enumerate(sizes):
        r = np.linspace(0.0, 1.0, size)
        angle = 2.0 * np.pi * k / n_classes + 4.0 * r
        points.append(np.column_stack([r * np.sin(angle), r * np.cos(angle)]))
        labels.append(np.full(size, k, dtype=np.int64))
    X = np.concatenate(points) + rng.normal(scale=noise, size=(n_samples, 2))
    return _shuffle(X.astype(np.float64), np.concatenate(labels), rng)
