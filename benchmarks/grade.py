"""How fast the grader grades a class: ``python -m benchmarks --only grade``.

``bench_grade(n_submissions=200)`` writes a class of generated submissions
(the lecture's four ops as a student writes them: 60 % correct ``.py``, 20 %
correct notebooks, 20 % with a classic bug), grades it with
``python -m graphviz_autodiff grade --jobs <CPU count>`` in a subprocess with
isolation on (bubblewrap when it runs here), and reports

- the total wall time (issue 14's target: 200 submissions in at most 60 s),
- submissions per minute,
- the grader's own peak memory (``ru_maxrss`` of the grading process, the
  workers excluded; target at most 500 MB),
- the worker's start-up in the sandbox (an empty script: interpreter, NumPy,
  the library, the result channel), with ``networkx`` imported at start-up (as
  the core did before it imported it only when a graph is read) and as shipped
  (the median of a few runs each).

Every verdict is checked too (a benchmark that graded wrongly would measure
nothing): the correct submissions must pass and the buggy ones must fail.

Run ``python -m benchmarks.grade [n]`` to print the rows.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ._timing import row

__all__ = ["bench_grade", "write_class"]

NAME = "grade"
LIMIT_SECONDS = 60.0
LIMIT_MB = 500.0
ROOT = Path(__file__).resolve().parent.parent

_HEADER = "import numpy as np\nfrom graphviz_autodiff import Differentiable, Parameter\n"
_OPS = {
    "Linear": """
class Linear(Differentiable):
    def __init__(self, n_features):
        self.theta = Parameter(np.linspace(-1.0, 1.0, n_features), name="θ")

    def forward(self, x):
        self.x = x
        return x @ self.theta

    def backward(self, upstream_grad):
        self.theta.grad = self.x.T @ upstream_grad
        return np.outer(upstream_grad, self.theta)
""",
    "Identity": """
class Identity(Differentiable):
    def forward(self, z):
        return z

    def backward(self, upstream_grad):
        return upstream_grad
""",
    "Squared": """
class Squared(Differentiable):
    def forward(self, mu, y):
        self.mu, self.y = mu, y
        return (mu - y) ** 2

    def backward(self, upstream_grad):
        return 2 * (self.mu - self.y) * upstream_grad, -2 * (self.mu - self.y) * upstream_grad
""",
    "Sum": """
class Sum(Differentiable):
    def forward(self, x):
        self.x = x
        return np.sum(x)

    def backward(self, upstream_grad):
        return upstream_grad * np.ones_like(self.x)
""",
}
_BUGS = {
    "Squared": ("2 * (self.mu - self.y) * upstream_grad, -2", "(self.mu - self.y) * upstream_grad, -1"),
    "Linear": ("self.theta.grad = self.x.T @ upstream_grad", "self.theta.grad = -(self.x.T @ upstream_grad)"),
    "Sum": ("return upstream_grad * np.ones_like(self.x)", "return upstream_grad"),
}


def _source(bug: str | None = None) -> str:
    parts = [_HEADER]
    for name, text in _OPS.items():
        if name == bug:
            old, new = _BUGS[name]
            text = text.replace(old, new)
        parts.append(text)
    return "\n".join(parts)


def _notebook(source: str) -> str:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# Homework 5"}]
    cells += [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": chunk}
        for chunk in ["%matplotlib inline\n" + _HEADER, *source.split("\n\nclass ")[1:]]
    ]
    for cell in cells[2:]:
        cell["source"] = "class " + cell["source"]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def write_class(folder: Path, n: int) -> dict[str, bool]:
    """Write ``n`` submissions into ``folder``; return whether each student's submission is correct."""
    folder.mkdir(parents=True, exist_ok=True)
    correct = {}
    bugs = list(_BUGS)
    for i in range(n):
        student = f"student{i:03d}"
        kind = i % 10
        if kind < 6:
            (folder / f"{student}.py").write_text(_source(), encoding="utf-8")
        elif kind < 8:
            (folder / f"{student}.ipynb").write_text(_notebook(_source()), encoding="utf-8")
        else:
            (folder / f"{student}.py").write_text(_source(bugs[i % len(bugs)]), encoding="utf-8")
        correct[student] = kind < 8
    return correct


_GRADER = """
import resource, sys
from graphviz_autodiff.cli import main
code = main(sys.argv[1:])
print("peak-rss-kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(code)
"""


def _grade(folder: Path, out: Path, jobs: int) -> tuple[float, float, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _GRADER, "grade", str(folder), "--out", str(out), "--jobs", str(jobs)],
        capture_output=True,
        text=True,
        env=env,
        timeout=3600,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"the grader failed ({done.returncode}): {done.stderr[-2000:]}")
    peak = next(int(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("peak-rss-kb"))
    return seconds, peak / 1024, done.stderr


def _check_verdicts(out: Path, correct: dict[str, bool]) -> None:
    for student, ok in correct.items():
        status = json.loads((out / student / "report.json").read_text(encoding="utf-8"))["status"]
        if (status == "pass") != ok:
            raise RuntimeError(f"{student}: graded {status}, but the submission is {'correct' if ok else 'buggy'}")


def _startup(repeat: int) -> tuple[float, float, str]:
    """Median wall seconds of a sandboxed worker on an empty script: networkx eager, then lazy."""
    from graphviz_autodiff.cli.grade.sandbox import run_sandboxed
    from graphviz_autodiff.cli.grade.worker import BOOTSTRAP, worker_command

    plan = {"mode": "grade", "ops": [], "lecture": None, "train": None}
    lazy = worker_command(sys.executable, plan, "empty.py")
    eager = list(lazy)
    eager[2] = "import networkx\n" + BOOTSTRAP
    medians = []
    isolation = ""
    for command in (eager, lazy):
        times = []
        for _ in range(repeat):
            result = run_sandboxed(command, files={"empty.py": b""}, timeout=60)
            if not any(f.kind == "done" for f in result.frames):
                raise RuntimeError(f"the worker did not finish: {result.stderr[-1000:]}")
            times.append(result.wall_seconds)
            isolation = result.isolation.mode
        medians.append(statistics.median(times))
    return medians[0], medians[1], isolation


def bench_grade(n_submissions: int = 200, quick: bool = False, jobs: int | None = None) -> list[dict[str, Any]]:
    """Grade a generated class and return the benchmark's rows (see the module docstring)."""
    n = 6 if quick else n_submissions
    jobs = jobs or os.cpu_count() or 1
    eager, lazy, mode = _startup(2 if quick else 5)
    with tempfile.TemporaryDirectory(prefix="gad-bench-grade-") as tmp:
        folder, out = Path(tmp) / "class", Path(tmp) / "out"
        correct = write_class(folder, n)
        seconds, peak_mb, _ = _grade(folder, out, jobs)
        _check_verdicts(out, correct)
    per_minute = n / seconds * 60
    scale = n / 200
    note = f"isolation: {mode}; --jobs {jobs}; {sum(correct.values())} correct, {n - sum(correct.values())} buggy"
    return [
        row(
            NAME,
            f"{n} submissions, total",
            value=seconds,
            unit="s",
            target=f"≤ {LIMIT_SECONDS * scale:.3g} s",
            meets_target=seconds <= LIMIT_SECONDS * scale,
            note=note,
        ),
        row(NAME, "submissions per minute", value=per_minute, unit="/min", note=note),
        row(
            NAME,
            "grader peak memory",
            value=peak_mb,
            unit="MB",
            target=f"≤ {LIMIT_MB:.0f} MB",
            meets_target=peak_mb <= LIMIT_MB,
            note="ru_maxrss of the grading process (the sandboxed workers are separate processes)",
        ),
        row(NAME, "worker start-up, networkx eager", value=eager * 1000, unit="ms", note=f"sandbox: {mode}; median"),
        row(
            NAME,
            "worker start-up, networkx lazy (shipped)",
            value=lazy * 1000,
            unit="ms",
            ratio=lazy / eager if eager else None,
            baseline="networkx eager",
            note=f"sandbox: {mode}; median",
        ),
    ]


if __name__ == "__main__":
    for r in bench_grade(int(sys.argv[1]) if len(sys.argv) > 1 else 200):
        print(f"{r['case']:<45} {r['value']:10.3f} {r['unit']:<5} {r['target'] or ''} {r['note'] or ''}")
