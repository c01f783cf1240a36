"""Row 2: one training step of a 2-layer MLP (batch 64, 64 hidden units), vs PyTorch CPU and HIPS autograd.

The model is ``Linear(d, 64, bias=True) → ReLU → Linear(64, k, bias=True)``
with the softmax cross-entropy of integer labels (averaged over the batch) and
a plain SGD step; d = 32 features and k = 10 classes. Every contender starts
from the same weights (graphviz_autodiff's initial ones, copied), runs the same
number of steps on the same batch, in float64, and must end at the same weights
(checked). The step is: forward, loss, backward, update.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._timing import NOT_AVAILABLE, NOT_INSTALLED, interleaved, peer, row, target_row

__all__ = ["bench_mlp"]

NAME = "mlp"
BASE = "PyTorch CPU"
TARGET = 1.0
#: Issue 12: recording on ≤ 1.3x recording off.
RECORDING_LIMIT = 1.3
LR = 0.1


def _library() -> Any | None:
    """``(make_model, CrossEntropy)`` from graphviz_autodiff, or ``None`` while the op library has not landed."""
    try:
        from graphviz_autodiff.course.models import mlp
        from graphviz_autodiff.ops import CrossEntropy
    except ImportError:
        return None
    return mlp, CrossEntropy


def _data(batch: int, d: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.normal(size=(batch, d)), rng.integers(0, k, size=batch)


def _initial(d: int, hidden: int, k: int) -> list[np.ndarray]:
    """θ₁, b₁, θ₂, b₂ as graphviz_autodiff initialises them (seed 0); θ is (fan-in, fan-out)."""
    make_model, _ = _library()
    return [p.data.copy() for p in make_model(d, hidden, k, seed=0).parameters()]


def _ours(X: np.ndarray, labels: np.ndarray, sizes: tuple, steps: int, record: bool) -> Callable[[], list]:
    import contextlib

    import graphviz_autodiff as gad

    make_model, CrossEntropy = _library()
    X_t = gad.Tensor(X, name="X", requires_grad=False)

    def run() -> list[np.ndarray]:
        model = make_model(*sizes, seed=0)
        loss_fn = CrossEntropy()
        optimizer = gad.optim.SGD(model.parameters(), lr=LR)
        with contextlib.nullcontext() if record else gad.no_record():
            for _ in range(steps):
                loss = loss_fn(model(X_t), labels)
                loss.backward()
                optimizer.step()
        return [p.data for p in model.parameters()]

    return run


def _torch(X: np.ndarray, labels: np.ndarray, start: list, steps: int) -> Callable[[], list] | None:
    torch = peer("torch")
    if torch is None:
        return None
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(labels)
    functional = torch.nn.functional

    def run() -> list[np.ndarray]:
        first = torch.nn.Linear(*start[0].shape, dtype=torch.float64)
        second = torch.nn.Linear(*start[2].shape, dtype=torch.float64)
        with torch.no_grad():
            for layer, (w, b) in ((first, start[0:2]), (second, start[2:4])):
                layer.weight.copy_(torch.from_numpy(w.T))
                layer.bias.copy_(torch.from_numpy(b))
        model = torch.nn.Sequential(first, torch.nn.ReLU(), second)
        optimizer = torch.optim.SGD(model.parameters(), lr=LR)
        for _ in range(steps):
            optimizer.zero_grad()
            loss = functional.cross_entropy(model(X_t), y_t)
            loss.backward()
            optimizer.step()
        return [
            first.weight.detach().numpy().T,
            first.bias.detach().numpy(),
            second.weight.detach().numpy().T,
            second.bias.detach().numpy(),
        ]

    return run


def _autograd(X: np.ndarray, labels: np.ndarray, start: list, steps: int) -> Callable[[], list] | None:
    if peer("autograd") is None:
        return None
    import autograd
    import autograd.numpy as anp

    rows = np.arange(len(labels))

    def loss(params: list) -> Any:
        w1, b1, w2, b2 = params
        logits = anp.dot(anp.maximum(anp.dot(X, w1) + b1, 0.0), w2) + b2
        shifted = logits - anp.max(logits, axis=1, keepdims=True)
        log_probs = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
        return -anp.mean(log_probs[rows, labels])

    gradient = autograd.grad(loss)

    def run() -> list[np.ndarray]:
        params = [p.copy() for p in start]
        for _ in range(steps):
            grads = gradient(params)
            params = [p - LR * g for p, g in zip(params, grads)]
        return params

    return run


def bench_mlp(
    quick: bool = False,
    *,
    batch: int = 64,
    hidden: int = 64,
    d: int = 32,
    k: int = 10,
    steps: int | None = None,
    repeat: int | None = None,
) -> list[dict[str, Any]]:
    """µs per training step of each contender; ratios to PyTorch CPU.

    Parameters
    ----------
    quick : bool
        100 steps and 3 repetitions instead of 500 and 9.
    batch, hidden, d, k : int
        Batch size, hidden units, input features, classes.
    steps, repeat : int, optional
        Override the step count and the number of timed repetitions.
    """
    steps = steps or (100 if quick else 500)
    repeat = repeat or (3 if quick else 9)
    note = f"batch {batch}, {d}→{hidden}→{k}, ReLU, cross-entropy, SGD; {steps} steps, median of {repeat}"
    cases = ["recording off", "recording on", "PyTorch CPU", "HIPS autograd"]
    if _library() is None:
        return [row(NAME, case, baseline=BASE, status=NOT_AVAILABLE, note=note) for case in cases]
    X, labels = _data(batch, d, k)
    sizes = (d, hidden, k)
    start = _initial(*sizes)
    contenders: dict[str, Callable[[], list] | None] = {
        "recording off": _ours(X, labels, sizes, steps, record=False),
        "recording on": _ours(X, labels, sizes, steps, record=True),
        "PyTorch CPU": _torch(X, labels, start, steps),
        "HIPS autograd": _autograd(X, labels, start, steps),
    }
    present = {name: fn for name, fn in contenders.items() if fn is not None}
    expected = present["recording off"]()
    for name, fn in present.items():
        for got, want in zip(fn(), expected):
            if not np.allclose(got, want, rtol=1e-7, atol=1e-10):
                raise AssertionError(f"mlp: {name} ended at different weights than graphviz_autodiff")
    timings = interleaved(present, repeat)
    rows = []
    for name in cases:
        if name not in timings:
            rows.append(row(NAME, name, baseline=BASE, status=NOT_INSTALLED, note=note))
            continue
        value = timings[name].median / steps * 1e6
        r = timings[name].ratio_to(timings[BASE]) if BASE in timings else None
        mine = name.startswith("recording")
        target = f"≤ {TARGET}x" if mine else None
        meets = (r <= TARGET) if mine and r is not None else None
        rows.append(
            row(
                NAME,
                name,
                value=value,
                unit="µs/step",
                ratio=r,
                baseline=BASE,
                target=target,
                meets_target=meets,
                note=note,
            )
        )
    on_vs_off = target_row(
        NAME, "recording on", "recording off", RECORDING_LIMIT, timings, scale=1e6 / steps, unit="µs/step", note=note
    )
    return [*rows, on_vs_off] if on_vs_off else rows
