"""Per-step latency of the stepper against a full Graphviz re-layout per step.

For each size (default 50, 300 and 1,000 nodes) the graph is the balanced sum
of :func:`benchmarks.render.tree_graph` (``size/2`` leaf vectors, ``size/2 - 1``
``Add`` calls and a final ``Sum``), so there are about ``size/2`` backward
steps. Two contenders, interleaved round by round:

* ``stepper``: ``model.next()`` plus ``model.svg()`` for every step of the
  walk, after the first frame was drawn (one ``dot`` layout, then variants
  drawn with pinned positions; see :mod:`viz.stepper.frames`). Its cost is reported
  separately as "first frame".
* ``full re-layout``: what a naive stepper does on every step: draw the
  step's diagram with :func:`viz.render` and lay it out again with
  ``dot -Tsvg`` (``FrameSet.full_svg``), on ``relayout_steps`` steps spread
  over the walk (the whole walk would take minutes at 1,000 nodes).

Both are reported in milliseconds per step; the ratio is stepper / re-layout.
The issue's targets, at 300 nodes: under 50 ms per step, and at least 10x
faster than re-layout (ratio ≤ 0.1).

A last case, :func:`bench_fallback`, steps through a graph too big to lay out
in time (5,000 nodes, ``timeout`` seconds) with ``viz.Stepper`` and its widget
(the viewer): the first frame falls back once to the graph's fallback picture
and the viewer's payload is built around it; every later step (``next()``,
which moves the widget too, ``svg()`` and ``describe()``) must take at most 50 ms.

Run ``python -m benchmarks.stepper`` for a table.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

from ._timing import interleaved, ratio, row

__all__ = ["bench_fallback", "bench_stepper"]

NAME = "stepper"
BASE = "full re-layout"
TARGET_MS = 50.0
TARGET_RATIO = 0.1
TARGET_SIZE = 300


def _measure(size: int, repeats: int, relayout_steps: int, timeout: float) -> dict[str, Any]:
    import viz

    from .render import tree_graph

    loss = tree_graph(size)
    n_nodes = len(loss.graph.nx)
    model = viz.StepperModel(loss, timeout=timeout)
    start = time.perf_counter()
    model.svg()
    first_frame = time.perf_counter() - start
    n = model.n_steps
    sample = sorted({round(i * n / max(relayout_steps, 1)) for i in range(relayout_steps)} | {n})
    sample = [k for k in sample if 1 <= k <= n] or [n]
    per_step: list[float] = []

    def stepper() -> None:
        model.reset()
        for _ in range(n):
            t = time.perf_counter()
            model.next()
            model.svg()
            per_step.append(time.perf_counter() - t)

    def relayout() -> None:
        for k in sample:
            model.goto(k)
            model.frames.full_svg(k)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        timings = interleaved({"stepper": stepper, BASE: relayout}, repeats)
    fast = timings["stepper"].median / n
    slow = timings[BASE].median / len(sample)
    # Both contenders drew the same frame: the spliced one and the re-laid-out one show the same nodes.
    if model.svg(n).count('class="node ') != model.frames.full_svg(n).count('class="node '):
        raise RuntimeError("stepper benchmark: the spliced frame and the full drawing differ in their nodes")
    return {
        "nodes": n_nodes,
        "steps": n,
        "fast": fast,
        "slow": slow,
        "max_step": max(per_step),
        "first_frame": first_frame,
        "rounds": model.frames.stats.get("rounds"),
        "sample": len(sample),
        "repeats": repeats,
    }


def bench_stepper(
    sizes: tuple[int, ...] = (50, 300, 1000),
    repeats: int = 5,
    *,
    quick: bool = False,
    relayout_steps: int = 5,
    timeout: float = 300.0,
) -> list[dict[str, Any]]:
    """Milliseconds per step of the stepper and of a full re-layout, per graph size.

    Parameters
    ----------
    sizes : tuple of int
        Graph sizes in nodes.
    repeats : int, default 5
        Timed rounds (after one warm-up round).
    quick : bool
        Fewer repetitions (2), for ``python -m benchmarks --quick``.
    relayout_steps : int, default 5
        Steps drawn with a full re-layout per round.
    timeout : float, default 300
        Graphviz timeout per run, seconds.

    Returns
    -------
    list of dict
        Three rows per size (see :func:`benchmarks._timing.row`):
        ``"<n> nodes: stepper"`` (ms/step, ratio to re-layout, the targets at
        300 nodes), ``"<n> nodes: full re-layout"`` (ms/step) and
        ``"<n> nodes: first frame"`` (ms, the one layout and the variants).
    """
    if quick:
        repeats = min(repeats, 2)
    rows = []
    for size in sizes:
        m = _measure(size, repeats, relayout_steps, timeout)
        r = ratio(m["fast"], m["slow"])
        targeted = size == TARGET_SIZE
        met = m["fast"] * 1e3 < TARGET_MS and r is not None and r <= TARGET_RATIO
        case = f"{m['nodes']} nodes"
        note = (
            f"{case}: {m['steps']} steps, next() + svg(), median of {m['repeats']} walks, "
            f"{m['slow'] / m['fast']:.0f}x faster than re-layout; slowest step {m['max_step'] * 1e3:.1f} ms; "
            f"re-layout on {m['sample']} steps; first frame: one layout and {m['rounds']} drawing rounds"
        )
        rows.append(
            row(
                NAME,
                f"{case}: stepper",
                value=m["fast"] * 1e3,
                unit="ms/step",
                ratio=r,
                baseline=BASE,
                target=f"< {TARGET_MS:g} ms and ≤ {TARGET_RATIO:g}x" if targeted else None,
                meets_target=met if targeted else None,
                note=note,
            )
        )
        rows.append(row(NAME, f"{case}: {BASE}", value=m["slow"] * 1e3, unit="ms/step", ratio=1.0, baseline=BASE))
        rows.append(row(NAME, f"{case}: first frame", value=m["first_frame"] * 1e3, unit="ms"))
    return rows


def bench_fallback(size: int = 5000, timeout: float = 30.0) -> list[dict[str, Any]]:
    """A graph whose layout times out: seconds to the fallback frame, and the slowest of all later steps.

    Returns
    -------
    list of dict
        ``"<n> nodes: fallback first frame"`` (s: the failing layout, the fallback picture, and the
        viewer's payload with every step's text) and ``"<n> nodes: fallback step"`` (ms, the slowest
        step of the whole walk, the widget following; target ≤ 50 ms).
    """
    import json

    import viz

    from .render import tree_graph

    stepper = viz.Stepper(tree_graph(size), timeout=timeout)
    start = time.perf_counter()
    stepper.svg()
    fallback = time.perf_counter() - start
    widget = stepper.widget
    first = time.perf_counter() - start
    if stepper.frames.fallback is None:
        raise RuntimeError(f"stepper benchmark: {size} nodes were laid out within {timeout} s; no fallback to time")
    steps = []
    for _ in range(stepper.n_steps):
        t = time.perf_counter()
        stepper.next()
        stepper.svg()
        stepper.describe()
        steps.append(time.perf_counter() - t)
    if widget.step != stepper.n_steps:
        raise RuntimeError("stepper benchmark: the widget did not follow the model")
    worst = max(steps) * 1e3
    megabytes = len(json.dumps(widget.payload)) / 1e6
    stepper.close()
    note = (
        f"{size} nodes, timeout={timeout:g} s; fallback picture after {fallback:.1f} s, viewer payload "
        f"{megabytes:.1f} MB; median step {sorted(steps)[len(steps) // 2] * 1e3:.2f} ms"
    )
    return [
        row(NAME, f"{size} nodes: fallback first frame", value=first, unit="s", target=f"≈ {timeout:g} s", note=note),
        row(
            NAME,
            f"{size} nodes: fallback step",
            value=worst,
            unit="ms (slowest)",
            target=f"≤ {TARGET_MS:g} ms",
            meets_target=worst <= TARGET_MS,
        ),
    ]


def _table(rows: list[dict[str, Any]]) -> str:
    by_case: dict[str, dict[str, dict[str, Any]]] = {}
    for r in rows:
        nodes, _, kind = r["case"].partition(": ")
        by_case.setdefault(nodes, {})[kind] = r
    lines = [
        f"{'graph':>12}  {'stepper (ms/step)':>17}  {'re-layout (ms/step)':>19}  {'speed-up':>8}  "
        f"{'first frame (ms)':>16}  target"
    ]
    for nodes, kinds in by_case.items():
        fast, slow, first = kinds["stepper"], kinds[BASE], kinds["first frame"]
        speedup = slow["value"] / fast["value"] if fast["value"] else float("inf")
        verdict = "" if fast["target"] is None else f"{fast['target']}: {'ok' if fast['meets_target'] else 'MISSED'}"
        lines.append(
            f"{nodes:>12}  {fast['value']:>17.2f}  {slow['value']:>19.1f}  {speedup:>7.0f}x  {first['value']:>16.0f}  "
            f"{verdict}"
        )
    notes = [r["note"] for r in rows if r.get("note")]
    return "\n".join([*lines, "", *notes])


if __name__ == "__main__":
    print(_table(bench_stepper()))
    for r in bench_fallback():
        print(f"{r['case']}: {r['value']:.2f} {r['unit']}" + (f" (target {r['target']})" if r["target"] else ""))
