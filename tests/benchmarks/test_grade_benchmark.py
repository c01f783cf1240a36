"""The grading benchmark runs once on a few submissions: well-formed rows, right verdicts. Nothing is timed."""

from __future__ import annotations

import json

from benchmarks import __main__ as cli
from benchmarks.grade import bench_grade, write_class


def test_the_grade_benchmark_is_registered():
    assert cli.BENCHMARKS["grade"] == ("benchmarks.grade", "bench_grade")


def test_a_tiny_class_gives_every_row():
    rows = bench_grade(quick=True)
    assert [r["case"] for r in rows] == [
        "6 submissions, total",
        "submissions per minute",
        "grader peak memory",
        "worker start-up, networkx eager",
        "worker start-up, networkx lazy (shipped)",
    ]
    for r in rows:
        assert r["benchmark"] == "grade" and r["status"] == "ok" and r["value"] > 0, r
        json.dumps(r)
    assert "isolation: bwrap" in rows[0]["note"]
    assert rows[4]["baseline"] == "networkx eager"


def test_the_generated_class_mixes_formats_and_bugs(tmp_path):
    correct = write_class(tmp_path / "class", 20)
    assert sum(correct.values()) == 16
    assert len(list((tmp_path / "class").glob("*.ipynb"))) == 4
