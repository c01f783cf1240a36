"""The Gradescope bundle: its files, and ``run_autograder`` run for real on a folder laid out like ``/autograder``."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from graphviz_autodiff.cli.grade.command import main

from . import classroom as cr

TOML = """
[assignment]
name = "HW 5"

[[ops]]
name = "ReLU"
inputs = [[3, 4]]
reference = "graphviz_autodiff.ops.ReLU"
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bundle")
    toml = tmp / "assignment.toml"
    toml.write_text(TOML)
    path = tmp / "autograder.zip"
    assert main(["--make-gradescope-bundle", str(path), "--assignment", str(toml)]) == 0
    return path


def autograder_root(tmp_path: Path, bundle: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "autograder"
    for name in ("source", "submission", "results"):
        (root / name).mkdir(parents=True)
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    for name, text in files.items():
        (root / "submission" / name).write_text(text, encoding="utf-8")
    metadata = {"users": [{"name": "Ann Lee", "sid": "42", "email": "ann@example.org"}], "id": 1}
    (root / "submission_metadata.json").write_text(json.dumps(metadata))
    return root


def run_autograder(root: Path, python: str = sys.executable) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "GAD_AUTOGRADER_ROOT": str(root), "GAD_PYTHON": python, "HOME": str(root)}
    return subprocess.run(
        ["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True, env=env, timeout=300
    )


def test_the_zip_holds_the_two_scripts_at_its_root_and_the_grader(bundle):
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        setup = archive.read("setup.sh").decode()
        runner = archive.read("run_autograder").decode()
        toml = archive.read("assignment.toml").decode()
    assert names[:3] == ["setup.sh", "run_autograder", "assignment.toml"]
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    assert "lib/graphviz_autodiff/__init__.py" in names and "lib/viz/__init__.py" in names
    assert "lib/graphviz_autodiff/i18n/locale/ru/LC_MESSAGES/graphviz_autodiff.mo" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    import numpy

    assert f"numpy=={numpy.__version__}" in setup and "bubblewrap" in setup and "/autograder/venv" in setup
    assert "--single --gradescope" in runner and '--assignment "$ROOT/source/assignment.toml"' in runner
    assert toml == TOML
    for script in (setup, runner):
        assert subprocess.run(["bash", "-n"], input=script, text=True, check=False).returncode == 0


def test_the_bundle_is_deterministic(bundle, tmp_path, capsys):
    again = tmp_path / "again.zip"
    assert main(["--make-gradescope-bundle", str(again), "--assignment", str(bundle.parent / "assignment.toml")]) == 0
    assert capsys.readouterr().out.strip() == f"Gradescope autograder written to {again}"
    assert again.read_bytes() == bundle.read_bytes()


def test_run_autograder_grades_the_submission_into_results_json(bundle, tmp_path):
    factor = cr.replace_backward("Squared", "        d = (self.mu - self.y) * upstream_grad\n        return d, -d\n")
    root = autograder_root(tmp_path, bundle, {"hw5.ipynb": cr.notebook_of_ops(Squared=factor)[0]})
    done = run_autograder(root)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    tests = {t["name"]: t for t in results["tests"]}
    assert list(tests) == ["Linear", "Identity", "Squared", "Sum", "ReLU", "training"]
    assert tests["Squared"]["status"] == "failed" and "factor 2 is missing" in tests["Squared"]["output"]
    assert all(t["status"] == "passed" for name, t in tests.items() if name != "Squared")
    assert results["score"] == 5.0 and tests["Squared"]["max_score"] == 1.0
    assert results["output"].startswith("Status: fail. Score 5 of 6.")
    student = json.loads((root / "results" / "grade" / "Ann_Lee_42" / "report.json").read_text())
    assert student["student"] == "Ann_Lee_42" and student["isolation"]


def test_run_autograder_still_writes_results_when_the_grader_cannot_start(bundle, tmp_path):
    root = autograder_root(tmp_path, bundle, {"hw5.py": cr.module()})
    done = run_autograder(root, python=str(tmp_path / "no-python"))
    assert done.returncode == 0
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and "could not run" in results["output"]
