"""The three modules together, as the grader will use them, with a stand-in worker.

The stand-in worker only reports which of the lecture's classes the student's
main file defines; the real one sends numbers for the debugger. What is tested
here is the plumbing: collect -> prepare -> run_sandboxed (in parallel) ->
frames -> StudentResult -> write_reports, with hostile submissions in the class.
"""

from __future__ import annotations

import csv
import json
import sys
import xml.etree.ElementTree as ET
import zipfile
from concurrent.futures import ThreadPoolExecutor

from graphviz_autodiff.cli.grade.collect import LECTURE_OPS, SubmissionError, collect, prepare
from graphviz_autodiff.cli.grade.reporters import OpResult, StudentResult, write_reports
from graphviz_autodiff.cli.grade.sandbox import run_sandboxed

WORKER = """
import runpy, sys
from graphviz_autodiff.cli.grade.protocol import open_channel
channel = open_channel()
namespace = runpy.run_path(sys.argv[1], run_name="student")
classes = sorted(name for name, value in namespace.items() if isinstance(value, type))
channel.send("classes", {"names": classes})
"""
OPS = "\n".join(f"class {name}:\n    pass" for name in LECTURE_OPS) + "\n"
FORGER = """
import os, json
open("result.json", "w").write(json.dumps({"names": ["Linear", "Identity", "Squared", "Sum"]}))
os._exit(0)
"""


def notebook(source: str) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": source, "metadata": {}, "outputs": []}
    ]})  # fmt: skip


def grade_one(submission, timeout: float) -> StudentResult:
    try:
        prepared = prepare(submission)
    except SubmissionError as error:
        return StudentResult(submission.student, submission.display_name, "error", 0, 4, notes=(error.message(),))
    files = {**prepared.files, "_worker.py": WORKER.encode()}
    run = run_sandboxed([sys.executable, "_worker.py", prepared.main], files=files, timeout=timeout)
    reported = next((f.data["names"] for f in run.frames if f.kind == "classes"), None)
    ops = [
        OpResult(name, "pass", points=1, max_points=1)
        if reported is not None and name in reported
        else OpResult(name, "error", kind="not_reported", message="no report from the worker", max_points=1)
        for name in LECTURE_OPS
    ]
    score = sum(op.points for op in ops)
    status = "timeout" if run.timed_out else "pass" if score == 4 else "error" if reported is None else "fail"
    notes = run.notes + tuple(note.text() for note in prepared.notes)
    return StudentResult(
        submission.student, submission.display_name, status, score, 4, ops,
        isolation=run.isolation.description, isolated=run.isolation.isolated, seconds=run.wall_seconds, notes=notes,
    )  # fmt: skip


def test_a_small_class_end_to_end(tmp_path):
    classes = tmp_path / "class"
    classes.mkdir()
    (classes / "good.py").write_text(OPS)
    (classes / "partial.ipynb").write_text(notebook("%matplotlib inline\nclass Linear:\n    pass\n"))
    with zipfile.ZipFile(classes / "zipped.zip", "w") as archive:
        archive.writestr("hw/ops.py", OPS)
    (classes / "loop.py").write_text(OPS + "while True:\n    pass\n")
    (classes / "forger.py").write_text(FORGER)
    (classes / "broken.ipynb").write_text("{oops")
    (classes / "Ivan Petrov_7_assignsubmission_file_").mkdir()
    (classes / "Ivan Petrov_7_assignsubmission_file_" / "hw.py").write_text(OPS + "print('\\u202e <b>hi</b>')\n")
    submissions = collect(classes).submissions
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda s: grade_one(s, timeout=4), submissions))
    by_id = {r.student: r for r in results}
    assert {k: (r.status, r.score) for k, r in by_id.items()} == {
        "Ivan_Petrov_7": ("pass", 4),
        "broken": ("error", 0),
        "forger": ("error", 0),
        "good": ("pass", 4),
        "loop": ("timeout", 0),
        "partial": ("fail", 1),
        "zipped": ("pass", 4),
    }
    written = write_reports(results, tmp_path / "out", lang="ru")
    junit = ET.parse(written["junit"]).getroot()
    assert junit.get("tests") == str(6 * 4 + 1) and junit.get("errors") == str(1 + 4 + 4 + 3)
    with open(written["summary"], encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.reader(handle))) == 1 + 6 * 4 + 1
    page = written["index"].read_text(encoding="utf-8")
    assert "Студенты × операции" in page and "Ivan Petrov" in page
    assert json.loads((tmp_path / "out" / "loop" / "report.json").read_text())["status"] == "timeout"
