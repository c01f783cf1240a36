"""Every benchmark runs once at a tiny size and returns well-formed rows. No assertion is about time.

Each benchmark also checks inside that its contenders computed the same
thing (the same θ, the same weights, the same gradient) and raises if not, so
running it at a tiny size is a real cross-check against NumPy, PyTorch and
HIPS autograd.
"""

from __future__ import annotations

import json
import sys

import pytest

from benchmarks import __main__ as cli
from benchmarks._timing import NOT_AVAILABLE, NOT_INSTALLED, Timing, interleaved, peer, row
from benchmarks.memory import bench_memory
from benchmarks.mlp import bench_mlp
from benchmarks.overhead import bench_overhead
from benchmarks.regression import bench_regression

ROW_KEYS = {"benchmark", "case", "value", "unit", "ratio", "baseline", "target", "meets_target", "status", "note"}


def _check_rows(rows: list[dict], benchmark: str, cases: list[str]) -> dict[str, dict]:
    assert [r["case"] for r in rows] == cases
    for r in rows:
        assert set(r) == ROW_KEYS
        assert r["benchmark"] == benchmark
        assert r["status"] == "ok", r
        assert r["value"] > 0 and r["unit"]
        assert r["ratio"] is None or r["ratio"] > 0
        json.dumps(r)  # what results.json will hold
    by_case: dict[str, dict] = {}
    for r in rows:
        by_case.setdefault(r["case"], r)  # a case's first row; later ones are targets against another baseline
    return by_case


def test_regression_rows_and_targets():
    rows = bench_regression(n=40, steps=3, repeat=1)
    by_case = _check_rows(
        rows,
        "regression",
        [
            "hand-written NumPy",
            "ops alone, no engine",
            "recording off",
            "recording on",
            "HIPS autograd",
            "PyTorch CPU",
            "recording on",
            "recording off",
        ],
    )
    relative = rows[-2:]
    assert [(r["case"], r["baseline"], r["target"]) for r in relative] == [
        ("recording on", "recording off", "≤ 1.3x"),
        ("recording off", "ops alone, no engine", "≤ 1.3x"),
    ]
    assert all(isinstance(r["meets_target"], bool) for r in relative)
    assert by_case["hand-written NumPy"]["ratio"] == 1.0
    assert by_case["recording off"]["target"].startswith("≤ 1.5x")
    assert by_case["recording on"]["target"].startswith("≤ 2.0x")
    assert isinstance(by_case["recording on"]["meets_target"], bool)
    assert by_case["PyTorch CPU"]["target"] is None and by_case["PyTorch CPU"]["meets_target"] is None
    assert by_case["recording off"]["unit"] == "µs/step"


def test_missing_peer_gives_a_not_installed_row(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    assert peer("torch") is None
    rows = bench_regression(n=20, steps=2, repeat=1)
    torch_row = next(r for r in rows if r["case"] == "PyTorch CPU")
    assert torch_row["status"] == NOT_INSTALLED and torch_row["value"] is None
    assert all(r["status"] == "ok" for r in rows if r is not torch_row)


def test_mlp_rows_agree_with_the_peers():
    rows = bench_mlp(batch=5, hidden=3, d=2, k=3, steps=2, repeat=1)
    by_case = _check_rows(
        rows, "mlp", ["recording off", "recording on", "PyTorch CPU", "HIPS autograd", "recording on"]
    )
    assert by_case["PyTorch CPU"]["ratio"] == 1.0
    assert rows[1]["target"] == "≤ 1.0x" and rows[1]["baseline"] == "PyTorch CPU"
    assert (rows[-1]["baseline"], rows[-1]["target"]) == ("recording off", "≤ 1.3x")


def test_overhead_rows():
    rows = bench_overhead(length=5, repeat=1)
    _check_rows(rows, "overhead", ["recording off", "recording on", "PyTorch CPU", "HIPS autograd", "recording on"])
    assert rows[0]["ratio"] == 1.0
    assert (rows[1]["baseline"], rows[1]["target"]) == ("recording off", "≤ 1.3x")
    assert (rows[-1]["baseline"], rows[-1]["target"]) == ("PyTorch CPU", "≤ 1.5x")
    assert all(r["unit"] == "µs/op" for r in rows)


def test_memory_rows_show_what_a_recorded_node_costs():
    rows = bench_memory(steps=30, warmup=10, length=50)
    by_case = {r["case"]: r for r in rows}
    assert list(by_case) == [
        "peak, steps 1–10 (warm-up)",
        "peak, steps 11–30",
        "per op call, recording off",
        "per op call, recording on",
        "recorded node and edges",
    ]
    assert all(set(r) == ROW_KEYS and r["status"] == "ok" for r in rows)
    off = by_case["per op call, recording off"]["value"]
    on = by_case["per op call, recording on"]["value"]
    assert 0 < off < on  # recording a node and its edges costs memory
    assert by_case["recorded node and edges"]["value"] == pytest.approx(on - off)
    assert isinstance(by_case["peak, steps 11–30"]["meets_target"], bool)


def test_memory_rejects_a_warmup_longer_than_the_loop():
    with pytest.raises(ValueError, match="warmup"):
        bench_memory(steps=10, warmup=10, length=5)


def test_interleaved_runs_every_contender_each_round_in_order():
    calls = []
    timings = interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeat=2, warmup=1)
    assert calls == ["a", "b"] * 3
    assert [len(t.runs) for t in timings.values()] == [2, 2]
    assert Timing((2.0, 4.0, 6.0)).ratio_to(Timing((1.0, 1.0, 2.0))) == 3.0
    with pytest.raises(ValueError, match="repeat"):
        interleaved({}, repeat=0)


def test_a_benchmark_that_has_not_landed_gives_a_not_available_row(monkeypatch):
    monkeypatch.setitem(cli.BENCHMARKS, "ghost", ("benchmarks.ghost", "bench_ghost"))
    (only,) = cli.run_benchmark("ghost")
    assert only["status"] == NOT_AVAILABLE and only["benchmark"] == "ghost"
    monkeypatch.setitem(cli.BENCHMARKS, "nameless", ("benchmarks._timing", "bench_nameless"))
    assert cli.run_benchmark("nameless")[0]["status"] == NOT_AVAILABLE


def test_a_failing_benchmark_gives_an_error_row(monkeypatch):
    # interleaved() without its arguments raises TypeError, as a broken benchmark would.
    monkeypatch.setitem(cli.BENCHMARKS, "broken", ("benchmarks._timing", "interleaved"))
    (only,) = cli.run_benchmark("broken")
    assert only["status"].startswith("error: TypeError")


def test_rows_from_other_benchmarks_are_normalized():
    rows = cli._normalize("check", {"case": "300 nodes", "value": 1.5, "unit": "s", "extra": 7})
    assert rows[0]["benchmark"] == "check" and rows[0]["extra"] == 7 and rows[0]["status"] == "ok"
    assert cli._normalize("x", [3])[0]["status"].startswith("error")


def test_the_check_summary_becomes_a_row_with_its_target():
    summary = {"n_nodes": 480, "n_op_calls": 300, "seconds": 0.75, "ms_per_op_call": 2.5, "ok": True}
    (only,) = cli._normalize("check", summary)
    assert only["case"] == "check(), 300 op calls (480 nodes)"
    assert (only["value"], only["unit"], only["meets_target"]) == (0.75, "s", True)
    (failed,) = cli._normalize("check", dict(summary, ok=False))
    assert failed["meets_target"] is False


def test_table_text_and_markdown():
    rows = [
        row(
            "regression",
            "recording off",
            value=123.4,
            unit="µs/step",
            ratio=2.5,
            baseline="floor",
            target="≤ 1.5x",
            meets_target=False,
            note="n=10",
        ),
        row("regression", "PyTorch CPU", status=NOT_INSTALLED, note="n=10"),
    ]
    text = cli.format_table(rows)
    lines = text.splitlines()
    assert lines[0].split() == list(cli._COLUMNS)
    assert "123 µs/step" in lines[2] and "2.50x" in lines[2] and lines[2].rstrip().endswith("NO")
    assert NOT_INSTALLED in lines[3]
    assert text.count("regression: n=10") == 1
    markdown = cli.format_table(rows, markdown=True).splitlines()
    assert markdown[0] == "| benchmark | case | value | ratio | vs | target | met |"
    assert markdown[2].startswith("| regression | recording off | 123 µs/step | 2.50x |")


def test_main_writes_results_json(tmp_path, capsys):
    out = tmp_path / "results.json"
    status = cli.main(["--quick", "--only", "overhead", "--out", str(out)])
    assert status == 0
    printed = capsys.readouterr().out
    assert "overhead" in printed and "µs/op" in printed
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["quick"] is True
    assert results["command"] == f"python -m benchmarks --quick --only overhead --out {out}"
    cases = [r["case"] for r in results["rows"]]
    assert cases == ["recording off", "recording on", "PyTorch CPU", "HIPS autograd", "recording on"]
    assert results["machine"]["cpus"] >= 1 and results["machine"]["numpy"]


def test_a_subset_keeps_the_other_benchmarks_rows(tmp_path, capsys):
    out = tmp_path / "results.json"
    earlier = {
        "command": "python -m benchmarks",
        "rows": [
            {"benchmark": "render", "case": "bare dot", "value": 1.0},
            {"benchmark": "overhead", "case": "stale", "value": 9.0},
        ],
    }
    out.write_text(json.dumps(earlier), encoding="utf-8")
    assert cli.main(["--quick", "--only", "overhead", "--out", str(out)]) == 0
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    assert [(r["benchmark"], r["case"]) for r in rows if r["benchmark"] == "render"] == [("render", "bare dot")]
    assert rows[-1]["run"] == "python -m benchmarks" and "stale" not in [r["case"] for r in rows]
    assert {r["run"] for r in rows if r["benchmark"] == "overhead"} == {
        f"python -m benchmarks --quick --only overhead --out {out}"
    }


def test_stepper_fallback_rows():
    from benchmarks.stepper import bench_fallback

    rows = bench_fallback(size=400, timeout=0.001)  # no layout finishes in a millisecond: the fallback at once
    by_case = _check_rows(rows, "stepper", ["400 nodes: fallback first frame", "400 nodes: fallback step"])
    assert "viewer payload" in by_case["400 nodes: fallback first frame"]["note"]
    assert isinstance(by_case["400 nodes: fallback step"]["meets_target"], bool)
