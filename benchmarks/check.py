"""How long :func:`graphviz_autodiff.debug.check` takes on a long chain of op calls.

``bench_check(n_nodes=300)`` records a chain of ``n_nodes`` op calls on an
(8,) vector (Tanh, Mul by a constant vector, Sigmoid, Add of a constant,
Linear(8, 8) with weights, in turn), runs its backward pass, then times one
``check`` of the whole graph (every call gradient-checked by central finite
differences against the recorded and a random upstream gradient).

The issue asks for "seconds" on a 300-node graph; expect about 1 s here
(2 shared cores), a few ms per op call.

Run ``python -m benchmarks.check [n_op_calls]`` to print the numbers.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np

import graphviz_autodiff as gad
from graphviz_autodiff.debug import check
from graphviz_autodiff.ops import Add, Linear, Mul, Sigmoid, Sum, Tanh

__all__ = ["bench_check", "build_chain"]

NAME = "check"


def build_chain(n_nodes: int, seed: int = 0) -> gad.Tensor:
    """A loss at the end of a chain of ``n_nodes`` op calls (the final Sum included)."""
    rng = np.random.default_rng(seed)
    h = gad.Tensor(rng.standard_normal(8), name="x")
    for i in range(n_nodes - 1):
        kind = i % 5
        if kind == 0:
            h = Tanh()(h)
        elif kind == 1:
            h = Mul()(h, rng.uniform(0.5, 1.5, size=8))
        elif kind == 2:
            h = Sigmoid()(h)
        elif kind == 3:
            h = Add()(h, rng.standard_normal(8))
        else:
            h = Linear(8, 8, seed=i)(h)
    return Sum()(h)


def bench_check(n_nodes: int = 300, repeat: int = 3) -> dict[str, Any]:
    """Time ``check`` on a chain of ``n_nodes`` op calls (plus their leaves); the best of ``repeat`` runs.

    Returns
    -------
    dict
        ``n_nodes`` (graph nodes, leaves included), ``n_op_calls``, ``seconds``
        (best time of one check), ``ms_per_op_call`` and ``ok`` (the verdict,
        which must be True).
    """
    loss = build_chain(n_nodes)
    loss.backward()
    best = float("inf")
    report = None
    for _ in range(repeat):
        start = time.perf_counter()
        report = check(loss)
        best = min(best, time.perf_counter() - start)
    assert report is not None
    n_calls = sum(1 for n in report.nodes if n.op is not None)
    return {
        "n_nodes": len(loss.graph),
        "n_op_calls": n_calls,
        "seconds": best,
        "ms_per_op_call": 1000 * best / n_calls,
        "ok": report.ok,
    }


if __name__ == "__main__":
    result = bench_check(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
    print(
        f"check on a chain of {result['n_op_calls']} op calls ({result['n_nodes']} graph nodes): "
        f"{result['seconds']:.3f} s, {result['ms_per_op_call']:.2f} ms per op call, ok={result['ok']}"
    )
