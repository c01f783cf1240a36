"""cli.grade.command: main() in-process: the summary line, skipped entries, the bundle, and usage errors (exit 2)."""

from __future__ import annotations

import json
import re
import zipfile

import pytest

from graphviz_autodiff.cli.grade import sandbox
from graphviz_autodiff.cli.grade.command import EXIT_OK, EXIT_USAGE, main

from . import classroom as cr

FACTOR = cr.replace_backward("Squared", "        d = (self.mu - self.y) * upstream_grad\n        return d, -d\n")


def test_exit_statuses():
    assert (EXIT_OK, EXIT_USAGE) == (0, 2)


def test_grading_a_class_prints_the_summary_and_the_report(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ann.py").write_text(cr.module())
    (folder / "bob.py").write_text(cr.module(Squared=FACTOR))
    (folder / "eve.py").write_text("import numpy as np\n")
    (folder / "todo.txt").write_text("grade me too")
    out = tmp_path / "out"
    argv = [str(folder), "--out", str(out), "--sandbox", "bwrap", "--no-graphs", "--jobs", "2", "--timeout", "20"]
    assert main(argv) == EXIT_OK
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert re.fullmatch(r"graded 3 submissions in \d+\.\d s: 1 pass, 1 fail, 1 error, 0 timeout", lines[0])
    assert lines[1] == f"class report: {out / 'index.html'}"
    assert "not a submission, skipped: todo.txt (not a submission (.txt))" in captured.err
    assert "WARNING" not in captured.err  # bubblewrap isolated every run
    assert not (out / "ann" / "graph.svg").exists()
    report = json.loads((out / "bob" / "report.json").read_text(encoding="utf-8"))
    assert (report["status"], report["score"]) == ("fail", 4.0)


def test_a_custom_assignment_and_gradescope_results(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ann.py").write_text(cr.module())
    toml = tmp_path / "assignment.toml"
    toml.write_text('[assignment]\nname = "HW 5"\nlecture = false\n\n[[ops]]\nname = "Squared"\npoints = 3\n')
    out = tmp_path / "out"
    assert main([str(folder), "--out", str(out), "--assignment", str(toml), "--gradescope", "--no-graphs"]) == 0
    capsys.readouterr()
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == 3.0
    assert [t["status"] for t in results["tests"]] == ["passed"]


def test_make_gradescope_bundle_writes_a_zip_and_stops(tmp_path, capsys):
    target = tmp_path / "autograder.zip"
    assert main(["--make-gradescope-bundle", str(target)]) == EXIT_OK
    assert capsys.readouterr().out == f"Gradescope autograder written to {target}\n"
    names = zipfile.ZipFile(target).namelist()
    assert {"setup.sh", "run_autograder"} <= set(names)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--out", "{folder}"], "grade: the output folder {folder} must not be inside the submissions {folder}\n"),
        (
            ["--out", "{folder}/out"],
            "grade: the output folder {folder}/out must not be inside the submissions {folder}\n",
        ),
        ([], "grade: give the output folder with --out\n"),
    ],
)
def test_usage_errors_name_the_problem(tmp_path, capsys, extra, message):
    folder = tmp_path / "class"
    folder.mkdir()
    assert main([str(folder), *(a.format(folder=folder) for a in extra)]) == EXIT_USAGE
    assert capsys.readouterr().err == message.format(folder=folder)
    assert list(folder.iterdir()) == []


def test_an_empty_class_is_graded_not_refused(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    assert main([str(folder), "--out", str(tmp_path / "out"), "--lang", "ru"]) == EXIT_OK
    assert capsys.readouterr().out.startswith("проверено решений: 0")
    assert (tmp_path / "out" / "index.html").is_file()


def test_sandbox_bwrap_refuses_to_grade_where_bubblewrap_cannot_run(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "class"
    folder.mkdir()
    monkeypatch.setattr(sandbox, "probe_bwrap", lambda: sandbox.BwrapProbe(False, None, "no user namespaces"))
    assert main([str(folder), "--out", str(tmp_path / "out"), "--sandbox", "bwrap"]) == EXIT_USAGE
    assert capsys.readouterr().err == "grade: --sandbox bwrap: bubblewrap cannot run here: no user namespaces\n"
