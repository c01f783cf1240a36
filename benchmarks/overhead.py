"""Row 3: per-op overhead, a chain of tiny element-wise ops on 1-element arrays.

``x = x * c`` repeated ``length`` times (default 1,000) from a 1-element
float64 ``x``, then the backward pass to ``x``: with one number per array,
NumPy does almost nothing, so the time per op *is* the framework's
bookkeeping (wrapping, recording, the backward walk). Measured in µs per op
for the forward and backward together, for graphviz_autodiff with recording on
and off, PyTorch CPU and HIPS autograd; every contender must produce the same
gradient (checked).

``c`` is a constant created once (a ``Tensor(..., requires_grad=False)``, a
torch tensor without gradient, an array), so the chain measures the ops, not
the creation of constants.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._timing import NOT_INSTALLED, interleaved, peer, row, target_row

__all__ = ["bench_overhead"]

NAME = "overhead"
BASE = "recording off"
FACTOR = 0.999
#: Issue 12's targets: recording on ≤ 1.3x recording off, and ≤ 1.5x PyTorch CPU per op.
RECORDING_LIMIT = 1.3
TORCH_LIMIT = 1.5


def _ours(length: int, record: bool) -> Callable[[], float]:
    import contextlib

    import graphviz_autodiff as gad

    c = gad.Tensor(np.array([FACTOR]), name="c", requires_grad=False)

    def run() -> float:
        with contextlib.nullcontext() if record else gad.no_record():
            x0 = gad.Tensor(np.array([1.0]), name="x")
            x = x0
            for _ in range(length):
                x = x * c
            x.backward(np.ones(1))
        return float(x0.grad[0])

    return run


def _autograd(length: int) -> Callable[[], float] | None:
    if peer("autograd") is None:
        return None
    import autograd

    c = np.array([FACTOR])

    def chain(x: Any) -> Any:
        for _ in range(length):
            x = x * c
        return x[0]

    gradient = autograd.grad(chain)

    def run() -> float:
        return float(gradient(np.array([1.0]))[0])

    return run


def _torch(length: int) -> Callable[[], float] | None:
    torch = peer("torch")
    if torch is None:
        return None
    c = torch.tensor([FACTOR], dtype=torch.float64)

    def run() -> float:
        x0 = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
        x = x0
        for _ in range(length):
            x = x * c
        x.backward(torch.ones(1, dtype=torch.float64))
        return float(x0.grad[0])

    return run


def bench_overhead(quick: bool = False, *, length: int = 1_000, repeat: int | None = None) -> list[dict[str, Any]]:
    """µs per op (forward + backward) of a ``length``-op chain; ratios to recording off.

    Parameters
    ----------
    quick : bool
        3 repetitions instead of 7.
    length : int, default 1,000
        Ops in the chain.
    repeat : int, optional
        Override the number of timed repetitions.
    """
    repeat = repeat or (3 if quick else 7)
    contenders: dict[str, Callable[[], float] | None] = {
        "recording off": _ours(length, record=False),
        "recording on": _ours(length, record=True),
        "PyTorch CPU": _torch(length),
        "HIPS autograd": _autograd(length),
    }
    present = {name: fn for name, fn in contenders.items() if fn is not None}
    expected = FACTOR**length
    for name, fn in present.items():
        got = fn()
        if not np.isclose(got, expected, rtol=1e-9):
            raise AssertionError(f"overhead: {name} gave dx={got}, expected {expected}")
    timings = interleaved(present, repeat)
    note = f"{length} ops x*c on shape (1,), median of {repeat}"
    rows = []
    for name in contenders:
        if name not in timings:
            rows.append(row(NAME, name, baseline=BASE, status=NOT_INSTALLED, note=note))
            continue
        value = timings[name].median / length * 1e6
        r = timings[name].ratio_to(timings[BASE])
        target = f"≤ {RECORDING_LIMIT}x" if name == "recording on" else None
        meets = r <= RECORDING_LIMIT if target else None
        rows.append(
            row(
                NAME,
                name,
                value=value,
                unit="µs/op",
                ratio=r,
                baseline=BASE,
                target=target,
                meets_target=meets,
                note=note,
            )
        )
    vs_torch = target_row(NAME, "recording on", "PyTorch CPU", TORCH_LIMIT, timings, scale=1e6 / length, unit="µs/op")
    return [*rows, vs_torch] if vs_torch else rows
