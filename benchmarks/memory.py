"""Row 5: memory. A long training loop must stay flat, and a recorded node has a known price.

* **Flat loop**: the lecture's regression (n = 256, 4 features) trained for
  10,000 steps with the default settings (recording on, a new graph per step),
  under :mod:`tracemalloc`. The peak of traced memory during the first 1,000
  steps (warm-up) is compared with the peak over the remaining 9,000: no
  graph, tensor or op state may pile up, so the ratio must stay ≈ 1.
* **Bytes per node**: a chain of N tiny ops (``x = x * c`` on 1-element
  arrays, forward and backward, so the graph also holds every gradient) kept
  alive, with recording on and off; traced bytes divided by N. With one
  number per array this is the bookkeeping, not the data: the tensor, the op
  and its saved state, and (recorded) the node's documented attributes and
  its edges.
"""

from __future__ import annotations

import contextlib
import gc
import tracemalloc
from typing import Any

import numpy as np

from ._timing import row

__all__ = ["bench_memory"]

NAME = "memory"
FLAT_LIMIT = 1.1


def _regression_peaks(steps: int, warmup: int, n: int = 256) -> tuple[int, int]:
    """Peak traced bytes during the first ``warmup`` steps and during the rest."""
    import graphviz_autodiff as gad
    from graphviz_autodiff.ops import Identity, Linear, Squared, Sum

    rng = np.random.default_rng(0)
    X = gad.Tensor(rng.normal(size=(n, 4)), name="X", requires_grad=False)
    y = gad.Tensor(rng.normal(size=n), name="y", requires_grad=False)
    linear, identity, squared, total = Linear(4), Identity(), Squared(), Sum()
    optimizer = gad.optim.SGD(linear.parameters(), lr=1e-4)

    def step() -> None:
        loss = total(squared(identity(linear(X)), y))
        loss.backward()
        optimizer.step()

    gc.collect()
    tracemalloc.start()
    try:
        for _ in range(warmup):
            step()
        warm_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        for _ in range(steps - warmup):
            step()
        end_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return warm_peak, end_peak


def _bytes_per_node(length: int, record: bool) -> float:
    """Traced bytes per op call of a live ``length``-op chain, after forward and backward."""
    import graphviz_autodiff as gad

    c = gad.Tensor(np.array([0.999]), name="c", requires_grad=False)

    def chain(n: int) -> Any:
        with contextlib.nullcontext() if record else gad.no_record():
            x = gad.Tensor(np.array([1.0]), name="x")
            for _ in range(n):
                x = x * c
            x.backward(np.ones(1))
        return x

    chain(10)  # imports, caches
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = chain(length)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del kept
    return (after - before) / length


def bench_memory(
    quick: bool = False, *, steps: int | None = None, warmup: int | None = None, length: int | None = None
) -> list[dict[str, Any]]:
    """Peak traced memory of a long default training loop, and bytes per recorded node.

    Parameters
    ----------
    quick : bool
        2,000 steps (300 of warm-up) and a 2,000-op chain instead of 10,000 (1,000) and 10,000.
    steps, warmup, length : int, optional
        Override the loop length, the warm-up part of it, and the chain length.
    """
    steps = steps or (2_000 if quick else 10_000)
    warmup = warmup or (300 if quick else 1_000)
    length = length or (2_000 if quick else 10_000)
    if not 0 < warmup < steps:
        raise ValueError(f"memory: warmup must be between 1 and steps - 1, got warmup={warmup}, steps={steps}")
    warm_peak, end_peak = _regression_peaks(steps, warmup)
    loop = f"lecture regression n=256, recording on, {steps} steps"
    growth = end_peak / warm_peak
    rows = [
        row(NAME, f"peak, steps 1–{warmup} (warm-up)", value=float(warm_peak), unit="bytes", note=loop),
        row(
            NAME,
            f"peak, steps {warmup + 1}–{steps}",
            value=float(end_peak),
            unit="bytes",
            ratio=growth,
            baseline="warm-up peak",
            target=f"flat (≤ {FLAT_LIMIT}x)",
            meets_target=growth <= FLAT_LIMIT,
            note=loop,
        ),
    ]
    chain = f"chain of {length} x*c on shape (1,), forward + backward, kept alive"
    off = _bytes_per_node(length, record=False)
    on = _bytes_per_node(length, record=True)
    rows.append(row(NAME, "per op call, recording off", value=off, unit="bytes/node", note=chain))
    rows.append(
        row(
            NAME,
            "per op call, recording on",
            value=on,
            unit="bytes/node",
            ratio=on / off,
            baseline="recording off",
            note=chain,
        )
    )
    rows.append(row(NAME, "recorded node and edges", value=on - off, unit="bytes/node", note="on − off"))
    return rows
