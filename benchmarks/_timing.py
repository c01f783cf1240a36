"""Timing helpers shared by the benchmarks: interleaved repetitions, medians, ratios, optional peers.

Absolute times on a shared 2-core machine are noise; ratios measured in the
same process, on the same data, with the contenders *interleaved* (one
repetition of each in turn, then the next round) are not: a burst of load
from another process hits every contender of a round alike.
"""

from __future__ import annotations

import gc
import importlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "NOT_AVAILABLE",
    "NOT_INSTALLED",
    "THREADS",
    "Timing",
    "interleaved",
    "peer",
    "ratio",
    "row",
    "target_row",
]

#: Status of a row whose peer library is not installed (``pip install -e ".[bench]"``).
NOT_INSTALLED = "not installed"
#: Status of a row whose part of graphviz_autodiff has not landed yet.
NOT_AVAILABLE = "not available yet"
#: Threads PyTorch may use (``torch.set_num_threads``); BLAS is pinned by ``benchmarks.__main__``.
THREADS = 1


@dataclass(frozen=True)
class Timing:
    """Seconds per repetition of one contender: every repetition, and their median and minimum."""

    runs: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def min(self) -> float:
        return min(self.runs)

    def ratio_to(self, baseline: Timing) -> float:
        """The median over rounds of this run's time divided by the baseline's in the same round.

        Contenders of one round ran back to back, so a burst of load from
        another process mostly cancels out of each round's ratio.
        """
        return statistics.median(mine / base for mine, base in zip(self.runs, baseline.runs))


def interleaved(contenders: dict[str, Callable[[], Any]], repeat: int, warmup: int = 1) -> dict[str, Timing]:
    """Time each contender ``repeat`` times, round-robin, after ``warmup`` untimed rounds.

    Parameters
    ----------
    contenders : dict of name -> callable
        Each callable runs one repetition (e.g. 1,000 training steps, set up
        from the same starting point every time).
    repeat : int
        Timed rounds; each round runs every contender once, in order.
    warmup : int, default 1
        Untimed rounds first (imports, caches, allocator warm-up).

    Returns
    -------
    dict of name -> Timing
        Seconds per repetition, measured with :func:`time.perf_counter`, with
        the garbage collector off inside each timed call (as :mod:`timeit` does).
    """
    if repeat < 1:
        raise ValueError(f"interleaved: repeat must be at least 1, got {repeat}")
    runs: dict[str, list[float]] = {name: [] for name in contenders}
    for round_index in range(warmup + repeat):
        for name, fn in contenders.items():
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                fn()
                elapsed = time.perf_counter() - start
            finally:
                gc.enable()
            if round_index >= warmup:
                runs[name].append(elapsed)
    return {name: Timing(tuple(values)) for name, values in runs.items()}


def ratio(value: float | None, baseline: float | None) -> float | None:
    """``value / baseline``, or ``None`` when either is missing or the baseline is zero."""
    if value is None or baseline is None or baseline == 0:
        return None
    return value / baseline


def peer(module: str) -> Any | None:
    """Import an optional peer library (``"torch"``, ``"autograd"``); ``None`` when it is not installed.

    PyTorch is pinned to :data:`THREADS` threads, like NumPy's BLAS (see
    ``benchmarks/__main__.py`` for why).
    """
    try:
        library = importlib.import_module(module)
    except ImportError:
        return None
    if module == "torch" and library.get_num_threads() != THREADS:
        library.set_num_threads(THREADS)
    return library


def row(
    benchmark: str,
    case: str,
    *,
    value: float | None = None,
    unit: str = "",
    ratio: float | None = None,
    baseline: str | None = None,
    target: str | None = None,
    meets_target: bool | None = None,
    status: str = "ok",
    note: str | None = None,
) -> dict[str, Any]:
    """One result row, as printed in the table and written to ``results.json``.

    Parameters
    ----------
    benchmark : str
        The benchmark's name (``"regression"``).
    case : str
        The contender or size (``"recording off"``, ``"PyTorch CPU"``).
    value : float, optional
        The measured number, in ``unit`` (a median).
    unit : str
        ``"ms/step"``, ``"µs/op"``, ``"bytes"``, ...
    ratio : float, optional
        ``value`` divided by the baseline's value, measured in the same run.
    baseline : str, optional
        What the ratio is relative to.
    target : str, optional
        The issue's target for this row, e.g. ``"≤ 1.5x"``.
    meets_target : bool, optional
        Whether this run met the target (``None`` when there is none).
    status : str, default "ok"
        ``"ok"``, :data:`NOT_INSTALLED`, :data:`NOT_AVAILABLE` or ``"error: ..."``.
    note : str, optional
        Anything the reader needs to interpret the row.
    """
    return {
        "benchmark": benchmark,
        "case": case,
        "value": value,
        "unit": unit,
        "ratio": ratio,
        "baseline": baseline,
        "target": target,
        "meets_target": meets_target,
        "status": status,
        "note": note,
    }


def target_row(
    benchmark: str,
    case: str,
    baseline: str,
    limit: float,
    timings: dict[str, Timing],
    *,
    scale: float,
    unit: str,
    note: str | None = None,
) -> dict[str, Any] | None:
    """A row for a target of the form "``case`` ≤ ``limit`` x ``baseline``", measured in this run.

    ``value`` is ``case``'s median times ``scale`` (in ``unit``), ``ratio`` the
    median of the per-round ratios to ``baseline`` (:meth:`Timing.ratio_to`).
    ``None`` when either contender did not run (a peer not installed).
    """
    if case not in timings or baseline not in timings:
        return None
    r = timings[case].ratio_to(timings[baseline])
    return row(
        benchmark,
        case,
        value=timings[case].median * scale,
        unit=unit,
        ratio=r,
        baseline=baseline,
        target=f"≤ {limit}x",
        meets_target=r <= limit,
        note=note,
    )
