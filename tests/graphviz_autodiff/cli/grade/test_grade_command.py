"""``python -m graphviz_autodiff grade``: usage errors, the fallback's warning, Russian reports, one student."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from graphviz_autodiff import cli as entry
from graphviz_autodiff.cli.grade.command import main

from . import classroom as cr

ROOT = Path(__file__).resolve().parents[4]
FACTOR = cr.replace_backward("Squared", "        d = (self.mu - self.y) * upstream_grad\n        return d, -d\n")


def grade(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "graphviz_autodiff", "grade", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
        check=False,
    )


def test_usage_errors_exit_2(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    bad = tmp_path / "bad.toml"
    bad.write_text("[[ops]]\nname = 3\n")
    cases = [
        ([], "give the folder of submissions"),
        ([str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")], "no such folder"),
        ([str(folder)], "give the output folder with --out"),
        ([str(folder), "--out", str(folder / "out")], "must not be inside the submissions"),
        ([str(folder), "--out", str(tmp_path / "out"), "--assignment", str(bad)], "name must be a Python class name"),
        ([str(folder), "--out", str(tmp_path / "out"), "--jobs", "0"], "--jobs must be at least 1"),
        ([str(folder), "--out", str(tmp_path / "out"), "--timeout", "0"], "--timeout must be positive"),
        ([str(folder), "--out", str(tmp_path / "out"), "--memory-mb", "8"], "--memory-mb must be at least 64"),
        ([str(folder), "--out", str(tmp_path / "out"), "--lang", "de"], "invalid choice: 'de'"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        assert message in capsys.readouterr().err, argv
    assert not (tmp_path / "out").exists()


def test_help_and_the_entry_point(capsys):
    assert main(["-h"]) == 0
    assert "--make-gradescope-bundle" in capsys.readouterr().out
    assert entry.main(["grade", "-h"]) == 0
    assert "--assignment" in capsys.readouterr().out
    assert entry.main(["-h"]) == 0
    assert "grade a class of submissions" in capsys.readouterr().out


def test_fallback_warning_in_every_report_and_russian_texts(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ok.py").write_text(cr.module())
    (folder / "factor.ipynb").write_text(cr.notebook_of_ops(Squared=FACTOR)[0])
    out = tmp_path / "out"
    done = grade(str(folder), "--out", str(out), "--sandbox", "fallback", "--lang", "ru", "--no-graphs")
    assert done.returncode == 0, done.stderr
    assert "проверено решений: 2" in done.stdout and "зачтено: 1, не зачтено: 1" in done.stdout
    assert "ВНИМАНИЕ: решений, проверенных без полной изоляции: 2" in done.stderr
    for student in ("ok", "factor"):
        report = json.loads((out / student / "report.json").read_text(encoding="utf-8"))
        # in the report's language: the TA reads it in the CSV and on the page
        assert report["isolation"].startswith("НЕ ИЗОЛИРОВАНО: сеть, файловая система")
        assert not (out / student / "graph.svg").exists()
    factor = json.loads((out / "factor" / "report.json").read_text(encoding="utf-8"))
    squared = next(op for op in factor["ops"] if op["op"] == "Squared")
    assert (squared["status"], squared["kind"], squared["diagnosis"]) == ("fail", "wrong_gradient", "factor")
    assert "множител" in squared["message"]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<div class="warning" role="alert">' in page and "БЕЗ полной изоляции" in page
    assert '<html lang="ru">' in page
    summary = (out / "summary.csv").read_text(encoding="utf-8-sig")
    assert summary.startswith("студент,имя,статус")
    assert "НЕ ИЗОЛИРОВАНО" in summary and "NOT ISOLATED" not in summary and "rlimits" not in summary


def test_one_students_folder_as_gradescope_gives_it(tmp_path):
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "hw5.py").write_text(cr.module(Squared=FACTOR))
    (tmp_path / "submission_metadata.json").write_text(json.dumps({"users": [{"name": "Ann Lee", "sid": "42"}]}))
    out = tmp_path / "results"
    done = grade(str(submission), "--out", str(out), "--single", "--gradescope", "--jobs", "1")
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == 4.0 and [t["status"] for t in results["tests"]].count("failed") == 1
    assert json.loads((out / "Ann_Lee_42" / "report.json").read_text())["student"] == "Ann_Lee_42"
