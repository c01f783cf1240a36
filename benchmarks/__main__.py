"""``python -m benchmarks [--quick] [--only NAME ...] [--out benchmarks/results.json]``.

Runs the benchmarks, prints one table and writes every row (with the machine
and library versions) to a JSON file. Exits with status 1 if a benchmark
failed (its row says why), 0 otherwise; a missing peer or a part of the
library that has not landed yet is not a failure.

Threads: BLAS and PyTorch are pinned to one thread each (``OPENBLAS_NUM_THREADS``,
``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` default to 1 here, before NumPy is
imported, and ``torch.set_num_threads(1)``). Every contender then runs on one
core: on a 2-core machine shared with other work, multi-threaded BLAS and
OpenMP spin-waiting made single PyTorch steps 100x slower at random, and the
problem sizes here are too small to gain from a second thread anyway. Set
the variables yourself to measure something else; results.json records them.
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # before NumPy is imported; importing this module (tests) changes nothing
    for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_variable, "1")

import argparse
import importlib
import importlib.metadata
import inspect
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

from ._timing import NOT_AVAILABLE, THREADS, row

#: name -> (module, function), in the order of the issue's table.
BENCHMARKS: dict[str, tuple[str, str]] = {
    "regression": ("benchmarks.regression", "bench_regression"),
    "mlp": ("benchmarks.mlp", "bench_mlp"),
    "overhead": ("benchmarks.overhead", "bench_overhead"),
    "render": ("benchmarks.render", "bench_render"),
    "stepper": ("benchmarks.stepper", "bench_stepper"),
    "memory": ("benchmarks.memory", "bench_memory"),
    "check": ("benchmarks.check", "bench_check"),
    "grade": ("benchmarks.grade", "bench_grade"),
}

DEFAULT_OUT = Path(__file__).parent / "results.json"
#: Seconds within which ``check`` on the 300-node graph counts as "finishes in seconds" (issue 5).
CHECK_LIMIT = 10.0


def run_benchmark(name: str, quick: bool = False) -> list[dict[str, Any]]:
    """Run one benchmark by name and return its rows, never raising.

    A module or function that does not exist yet gives one row with status
    ``"not available yet"``; an exception gives one row with status
    ``"error: ..."``.
    """
    module_name, function_name = BENCHMARKS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            return [row(name, "—", status=NOT_AVAILABLE)]
        return [row(name, "—", status=f"error: {type(error).__name__}: {error}")]
    except Exception as error:
        return [row(name, "—", status=f"error: {type(error).__name__}: {error}")]
    function = getattr(module, function_name, None)
    if function is None:
        return [row(name, "—", status=NOT_AVAILABLE)]
    try:
        result = function(**_quick_kwargs(function, quick))
    except Exception as error:
        return [row(name, "—", status=f"error: {type(error).__name__}: {error}")]
    return _normalize(name, result)


def _quick_kwargs(function: Any, quick: bool) -> dict[str, Any]:
    parameters = inspect.signature(function).parameters
    takes_quick = "quick" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    return {"quick": quick} if takes_quick else {}


def _check_row(result: dict[str, Any]) -> dict[str, Any]:
    """``bench_check``'s summary dict as a row (issue 5: ``check`` on a 300-node graph finishes in seconds)."""
    seconds = result["seconds"]
    return row(
        "check",
        f"check(), {result['n_op_calls']} op calls ({result['n_nodes']} nodes)",
        value=seconds,
        unit="s",
        target=f"< {CHECK_LIMIT:.0f} s",
        meets_target=bool(result.get("ok", True)) and seconds < CHECK_LIMIT,
        note=f"best of runs; {result.get('ms_per_op_call', 0):.2f} ms per op call; verdict ok={result.get('ok')}",
    )


def _normalize(name: str, result: Any) -> list[dict[str, Any]]:
    """Rows as :func:`row` makes them, whatever shape another helper's benchmark returned."""
    if name == "check" and isinstance(result, dict) and {"seconds", "n_op_calls", "n_nodes"} <= set(result):
        return [_check_row(result)]
    items = [result] if isinstance(result, dict) else list(result or [])
    rows = []
    for item in items:
        if not isinstance(item, dict):
            rows.append(row(name, "—", status=f"error: benchmark returned a {type(item).__name__}, not a dict"))
            continue
        full = row(item.get("benchmark") or name, str(item.get("case", "—")))
        full.update(item)
        rows.append(full)
    return rows


# -- output ------------------------------------------------------------------------
_COLUMNS = ("benchmark", "case", "value", "ratio", "vs", "target", "met")


def _cells(r: dict[str, Any]) -> tuple[str, ...]:
    if r["status"] != "ok":
        value = r["status"]
    elif r["value"] is None:
        value = "—"
    else:
        value = f"{_number(r['value'])} {r['unit']}".strip()
    ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}x" if r["ratio"] >= 0.1 else f"{r['ratio']:.2g}x"
    met = {True: "yes", False: "NO", None: ""}[r["meets_target"]]
    return (r["benchmark"], r["case"], value, ratio, r["baseline"] or "", r["target"] or "", met)


def _number(value: float) -> str:
    if abs(value) >= 10_000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_table(rows: list[dict[str, Any]], markdown: bool = False) -> str:
    """The rows as an aligned text table (or a Markdown table), with each benchmark's notes below it."""
    cells = [_cells(r) for r in rows]
    if markdown:
        lines = ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in line) + " |" for line in cells]
    else:
        widths = [max(len(c[i]) for c in [_COLUMNS, *cells]) for i in range(len(_COLUMNS))]
        lines = ["  ".join(h.ljust(w) for h, w in zip(_COLUMNS, widths)).rstrip()]
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in cells]
    notes: dict[str, list[str]] = {}
    for r in rows:
        if r.get("note") and r["note"] not in notes.setdefault(r["benchmark"], []):
            notes[r["benchmark"]].append(r["note"])
    lines.append("")
    for name, texts in notes.items():
        lines += [f"{name}: {text}" for text in texts]
    return "\n".join(lines)


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on: CPU, Python, library versions, thread settings."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "threads": THREADS,
        "environment": {
            name: os.environ.get(name)
            for name in (
                "OPENBLAS_NUM_THREADS",
                "OMP_NUM_THREADS",
                "MKL_NUM_THREADS",
                "OPENBLAS_CORETYPE",
                "OPENBLAS_L2_SIZE",
            )
        },
    }
    for library in ("numpy", "networkx", "torch", "autograd", "graphviz"):
        info[library] = _version(library)
    return info


def _version(distribution: str) -> str | None:
    """The installed version of a distribution, ``None`` when it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _merged_rows(path: Path, rows: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    """``rows`` (of the benchmarks ``names``) with the rows of the other benchmarks kept from the file at ``path``."""
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return rows
    kept = [
        {**r, "run": r.get("run") or old.get("command", "")}
        for r in old.get("rows", [])
        if isinstance(r, dict) and r.get("benchmark") not in names
    ]
    order = {name: i for i, name in enumerate(BENCHMARKS)}
    return sorted(kept + rows, key=lambda r: order.get(r.get("benchmark"), len(order)))  # stable within one


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmarks of graphviz_autodiff: ratios to NumPy, PyTorch, HIPS autograd and bare dot.",
    )
    parser.add_argument("--quick", action="store_true", help="fewer steps and repetitions (a minute, not several)")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), metavar="NAME", help=", ".join(BENCHMARKS))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON results")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (for the README)")
    args = parser.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows += run_benchmark(name, args.quick)
    elapsed = time.perf_counter() - started
    print(format_table(rows, markdown=args.markdown))
    command = " ".join(["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])])
    results = {
        "command": command,
        "quick": args.quick,
        "seconds": round(elapsed, 1),
        "machine": machine_info(),
        "rows": [{**r, "run": command} for r in rows],
    }
    if args.only:  # a subset: the other benchmarks' rows of the file are kept, each with the run that made it
        results["rows"] = _merged_rows(args.out, results["rows"], names)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out} ({elapsed:.0f} s)", file=sys.stderr)
    return 1 if any(r["status"].startswith("error") for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
