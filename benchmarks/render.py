"""Render time of ``viz`` against bare Graphviz on the same DOT source.

For each size (default 100, 500 and 2,000 nodes) the graph is a balanced sum
of ``size/2`` leaf vectors (``size/2 - 1`` ``Add`` calls and a final ``Sum``),
after ``backward()``, so every node carries a value and a gradient. Two
contenders are timed, interleaved round by round:

* ``viz``: ``viz.to_svg(loss)``, i.e. building the labelled ``Digraph`` from
  ``graph.nx`` *and* running ``dot -Tsvg`` on it;
* ``bare dot``: ``dot -Tsvg`` alone on the identical DOT source (written once
  beforehand), started the same way (a subprocess fed through a pipe).

The ratio is ``viz / bare dot`` (medians); the issue's target is at most 1.5
for 2,000 nodes: drawing must cost little more than Graphviz's own layout.

Run ``python -m benchmarks.render`` for a table.
"""

from __future__ import annotations

import subprocess
import warnings
from typing import Any

import numpy as np

from ._timing import interleaved, ratio, row

__all__ = ["bench_render", "tree_graph"]

NAME = "render"
BASE = "bare dot -Tsvg"
TARGET = 1.5
TARGET_SIZE = 2000


def tree_graph(size: int) -> Any:
    """The loss of a balanced sum of ``size // 2`` leaves: a graph of ``size`` nodes, backward done."""
    import graphviz_autodiff as gad

    n_leaves = max(1, size // 2)
    level = [gad.Tensor(np.full(3, float(i)), name=f"x{i}") for i in range(n_leaves)]
    while len(level) > 1:
        pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        level = pairs + (level[-1:] if len(level) % 2 else [])
    loss = level[0].sum()
    loss.backward()
    return loss


def _bare_dot(source: bytes, timeout: float) -> None:
    done = subprocess.run(["dot", "-Tsvg"], input=source, capture_output=True, timeout=timeout, check=True)
    if not done.stdout:
        raise RuntimeError("dot produced no SVG")


def bench_render(
    sizes: tuple[int, ...] = (100, 500, 2000), repeats: int = 5, *, timeout: float = 300.0
) -> list[dict[str, Any]]:
    """Median seconds of ``viz.to_svg`` and of bare ``dot -Tsvg`` per graph size, and their ratio.

    Parameters
    ----------
    sizes : tuple of int
        Graph sizes in nodes.
    repeats : int, default 5
        Timed rounds (after one warm-up round).
    timeout : float, default 300
        Graphviz timeout per run, seconds.

    Returns
    -------
    list of dict
        One row per size (see :func:`benchmarks._timing.row`), with ``value``
        the median milliseconds of ``viz``, ``ratio`` = viz / bare dot, and
        the extra keys ``nodes``, ``viz_s`` and ``dot_s`` (median seconds).
    """
    import viz

    rows = []
    for size in sizes:
        loss = tree_graph(size)
        n_nodes = len(loss.graph.nx)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the large-graph advice
            source = viz.to_dot(loss, max_nodes=None).encode("utf-8")

            def ours(loss: Any = loss) -> None:
                viz.to_svg(loss, max_nodes=None, timeout=timeout)

            def bare(source: bytes = source) -> None:
                _bare_dot(source, timeout)

            timings = interleaved({"viz": ours, BASE: bare}, repeats)
        mine, base = timings["viz"].median, timings[BASE].median
        r = ratio(mine, base)
        target = f"≤ {TARGET}x" if n_nodes >= TARGET_SIZE else None
        result = row(
            NAME,
            f"{n_nodes} nodes",
            value=mine * 1e3,
            unit="ms",
            ratio=r,
            baseline=BASE,
            target=target,
            meets_target=(r is not None and r <= TARGET) if target else None,
            note=f"bare dot {base * 1e3:.0f} ms; balanced Add tree after backward; median of {repeats}",
        )
        result.update(nodes=n_nodes, viz_s=mine, dot_s=base)
        rows.append(result)
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'nodes':>6}  {'viz + dot (ms)':>15}  {'bare dot (ms)':>14}  {'ratio':>6}  target"]
    for r in rows:
        verdict = "" if r["target"] is None else f"{r['target']} {'ok' if r['meets_target'] else 'MISSED'}"
        lines.append(
            f"{r['nodes']:>6}  {r['viz_s'] * 1e3:>15.1f}  {r['dot_s'] * 1e3:>14.1f}  {r['ratio']:>6.2f}  {verdict}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(_table(bench_render()))
