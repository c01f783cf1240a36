"""Row 1: the lecture's linear regression, trained by gradient descent, six ways.

The same data (n samples, 4 features), the same starting θ = 0, the same step
size and the same number of steps for every contender:

* hand-written NumPy, the floor: ``z = X@θ; r = z − y; grad = 2Xᵀr; θ −= η·grad``;
* the library's four ops chained by hand, with no engine at all: the lower
  bound for any engine on these ops (see :func:`_ops_alone`);
* graphviz_autodiff with recording on (the default: every step builds a graph),
  and with recording off (:func:`graphviz_autodiff.no_record`): the lecture's
  ``Sum()(Squared()(Identity()(Linear(4)(X)), y))``, ``loss.backward()``,
  ``SGD.step()``, with ``X`` and ``y`` given as ``Tensor(..., requires_grad=False)``
  (data: what :func:`graphviz_autodiff.fit` does);
* HIPS autograd (``grad`` of the same loss) and PyTorch CPU (float64, the same
  loss, ``backward``, an in-place update), when installed.

Every contender must end at the same θ (checked), so they all did the same work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._timing import NOT_INSTALLED, interleaved, peer, row, target_row

__all__ = ["bench_regression", "make_data"]

NAME = "regression"
FLOOR = "hand-written NumPy"
TARGETS = {"recording off": 1.5, "recording on": 2.0}
#: Issue 12's targets, engine against itself: recording costs ≤ 1.3x, the engine ≤ 1.3x the bare ops.
RELATIVE_TARGETS = (("recording on", "recording off", 1.3), ("recording off", "ops alone, no engine", 1.3))


def make_data(n: int, d: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray, float]:
    """``(X, y, η)``: ``y = X·θ* + noise`` and a safe step η = 1/λ_max(2XᵀX) for L = Σ (Xθ − y)²."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ np.linspace(1.0, -1.0, d) + 0.1 * rng.normal(size=n)
    lr = 1.0 / (2.0 * np.linalg.norm(X, ord=2) ** 2)
    return X, y, lr


def _numpy(X: np.ndarray, y: np.ndarray, lr: float, steps: int) -> Callable[[], np.ndarray]:
    def run() -> np.ndarray:
        theta = np.zeros(X.shape[1])
        for _ in range(steps):
            z = X @ theta
            r = z - y
            grad = 2.0 * (X.T @ r)
            theta -= lr * grad
        return theta

    return run


def _ours(X: np.ndarray, y: np.ndarray, lr: float, steps: int, record: bool) -> Callable[[], np.ndarray]:
    import graphviz_autodiff as gad
    from graphviz_autodiff.ops import Identity, Linear, Squared, Sum

    X_t = gad.Tensor(X, name="X", requires_grad=False)
    y_t = gad.Tensor(y, name="y", requires_grad=False)

    def run() -> np.ndarray:
        linear, identity, squared, total = Linear(X.shape[1]), Identity(), Squared(), Sum()
        optimizer = gad.optim.SGD(linear.parameters(), lr=lr)
        with _recording(record):
            for _ in range(steps):
                loss = total(squared(identity(linear(X_t)), y_t))
                loss.backward()
                optimizer.step()
        return linear.theta.data

    return run


def _ops_alone(X: np.ndarray, y: np.ndarray, lr: float, steps: int) -> Callable[[], np.ndarray]:
    """The same four ops' own ``forward`` and ``backward``, chained by hand: no tensors, checks or graph.

    The lower bound of any engine built on these ops: the NumPy work their
    formulas do (``Σ``, ``(μ − y)²``, ``2(μ − y)·g`` on n elements are more
    passes over the data than the floor's) plus their own Python. Each
    ``backward`` runs through :func:`graphviz_autodiff.engine.raw_backward`, as
    ``gradcheck`` does (the op's own code, with ``needs_input_grad`` set so
    that ``Linear`` skips ∂L/∂X as it does inside the engine).
    """
    from graphviz_autodiff import engine
    from graphviz_autodiff.ops import Identity, Linear, Squared, Sum

    def run() -> np.ndarray:
        linear, identity, squared, total = Linear(X.shape[1]), Identity(), Squared(), Sum()
        theta = linear.theta
        for _ in range(steps):
            loss = total.forward(squared.forward(identity.forward(linear.forward(X)), y))
            grad = np.ones_like(loss)
            for op, needs in ((total, (True,)), (squared, (True, False)), (identity, (True,)), (linear, (False,))):
                grad = engine.raw_backward(op, grad, needs)
                grad = grad[0] if type(grad) is tuple else grad
            theta.data = theta.data - lr * theta.grad
        return theta.data

    return run


def _recording(record: bool) -> Any:
    import contextlib

    import graphviz_autodiff as gad

    return contextlib.nullcontext() if record else gad.no_record()


def _autograd(X: np.ndarray, y: np.ndarray, lr: float, steps: int) -> Callable[[], np.ndarray] | None:
    if peer("autograd") is None:
        return None
    import autograd
    import autograd.numpy as anp

    def loss(theta: np.ndarray) -> Any:
        r = anp.dot(X, theta) - y
        return anp.sum(r * r)

    gradient = autograd.grad(loss)

    def run() -> np.ndarray:
        theta = np.zeros(X.shape[1])
        for _ in range(steps):
            theta = theta - lr * gradient(theta)
        return theta

    return run


def _torch(X: np.ndarray, y: np.ndarray, lr: float, steps: int) -> Callable[[], np.ndarray] | None:
    torch = peer("torch")
    if torch is None:
        return None
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)

    def run() -> np.ndarray:
        theta = torch.zeros(X.shape[1], dtype=torch.float64, requires_grad=True)
        for _ in range(steps):
            r = X_t @ theta - y_t
            loss = (r * r).sum()
            loss.backward()
            with torch.no_grad():
                theta -= lr * theta.grad
            theta.grad = None
        return theta.detach().numpy()

    return run


def bench_regression(
    quick: bool = False, *, n: int = 10_000, steps: int | None = None, repeat: int | None = None
) -> list[dict[str, Any]]:
    """Time ``steps`` gradient-descent steps of every contender; one row each, as a ratio to the floor.

    Parameters
    ----------
    quick : bool
        100 steps and 3 repetitions instead of 1,000 and 7.
    n : int, default 10,000
        Samples (4 features each).
    steps, repeat : int, optional
        Override the step count and the number of timed repetitions.

    Returns
    -------
    list of dict
        Rows (see :func:`benchmarks._timing.row`), value in µs per step (median).
    """
    steps = steps or (100 if quick else 1_000)
    repeat = repeat or (3 if quick else 7)
    X, y, lr = make_data(n)
    contenders: dict[str, Callable[[], np.ndarray] | None] = {
        FLOOR: _numpy(X, y, lr, steps),
        "ops alone, no engine": _ops_alone(X, y, lr, steps),
        "recording off": _ours(X, y, lr, steps, record=False),
        "recording on": _ours(X, y, lr, steps, record=True),
        "HIPS autograd": _autograd(X, y, lr, steps),
        "PyTorch CPU": _torch(X, y, lr, steps),
    }
    present = {name: fn for name, fn in contenders.items() if fn is not None}
    expected = present[FLOOR]()
    for name, fn in present.items():
        theta = fn()
        if not np.allclose(theta, expected, rtol=1e-8, atol=1e-10):
            raise AssertionError(f"regression: {name} ended at θ={theta}, the floor at θ={expected}")
    timings = interleaved(present, repeat)
    size = f"n={n}, d=4, {steps} steps, median of {repeat}"
    rows = []
    for name in contenders:
        if name not in timings:
            rows.append(row(NAME, name, baseline=FLOOR, status=NOT_INSTALLED, note=size))
            continue
        value = timings[name].median / steps * 1e6
        r = timings[name].ratio_to(timings[FLOOR])
        target, meets = _target(name, r, timings)
        rows.append(
            row(
                NAME,
                name,
                value=value,
                unit="µs/step",
                ratio=r,
                baseline=FLOOR,
                target=target,
                meets_target=meets,
                note=size,
            )
        )
    for case, baseline, limit in RELATIVE_TARGETS:
        extra = target_row(NAME, case, baseline, limit, timings, scale=1e6 / steps, unit="µs/step", note=size)
        rows += [extra] if extra else []
    return rows


def _target(name: str, r: float | None, timings: dict) -> tuple[str | None, bool | None]:
    """The issue's target for ``name``: a ratio to the floor, and faster than both peers."""
    if name not in TARGETS or r is None:
        return None, None
    peers = [timings[name].ratio_to(timings[p]) for p in ("HIPS autograd", "PyTorch CPU") if p in timings]
    limit = TARGETS[name]
    return f"≤ {limit}x, < peers", r <= limit and all(p < 1.0 for p in peers)
