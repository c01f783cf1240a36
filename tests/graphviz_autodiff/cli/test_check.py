"""``python -m graphviz_autodiff check``: end to end on student files, in a subprocess, exit codes included."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from graphviz_autodiff import cli as entry
from graphviz_autodiff.cli.check import main

DATA = Path(__file__).resolve().parents[2] / "data"
ROOT = Path(__file__).resolve().parents[3]


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "graphviz_autodiff", "check", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )


def _viz_can_save() -> bool:
    if importlib.util.find_spec("viz") is None:
        return False
    import viz

    return hasattr(viz, "save")


def test_a_correct_file_passes(tmp_path):
    out, report = tmp_path / "graph.svg", tmp_path / "result.json"
    done = run(str(DATA / "student_ok.py"), "--out", str(out), "--json", str(report))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Ops defined in student_ok.py"
    assert lines[-1] == "all 8 checks pass"  # 7 ops (the base class Layer is skipped) and the lecture graph
    assert "ReLU" not in done.stdout  # imported, not defined there
    result = json.loads(report.read_text())
    assert [(row["op"], row["status"]) for row in result["ops"]] == [
        ("Layer", "skipped"),
        ("Linear", "ok"),
        ("Identity", "ok"),
        ("Squared", "ok"),
        ("Sum", "ok"),
        ("Sigmoid", "ok"),
        ("Log", "ok"),
        ("Scale", "ok"),
    ]
    assert result["lecture"]["ok"] and result["lecture"]["culprit"] is None
    labels = [n["label"] for n in result["lecture"]["nodes"]]
    assert labels == ["Sum", "Squared", "Identity", "Linear", "y", "θ", "X"]
    if _viz_can_save():
        assert result["drawing"]["written"], result["drawing"]
        svg = ET.parse(out).getroot()
        assert svg.tag.endswith("svg")
        assert "Squared" in out.read_text()
    else:
        assert not out.exists() and not result["drawing"]["written"]
        assert "no drawing written" in done.stdout


def test_a_buggy_file_fails_and_names_the_culprit(tmp_path):
    report = tmp_path / "result.json"
    done = run(str(DATA / "student_buggy.py"), "--json", str(report))
    assert done.returncode == 1, done.stdout + done.stderr
    result = json.loads(report.read_text())
    rows = {row["op"]: row for row in result["ops"]}
    assert (rows["Squared"]["kind"], rows["Squared"]["diagnosis"], rows["Squared"]["argument"]) == (
        "wrong_gradient",
        "factor",
        "mu",
    )
    assert (rows["Sigmoid"]["kind"], rows["Sigmoid"]["argument"]) == ("wrong_gradient", "x")
    assert rows["Dense"]["kind"] == "exception"
    assert rows["Dense"]["message"].startswith("cannot instantiate: TypeError: Dense.__init__() missing 2 required")
    assert rows["Linear"]["status"] == rows["Identity"]["status"] == rows["Sum"]["status"] == "ok"
    lecture = result["lecture"]
    culprit = lecture["nodes"][lecture["culprit"]]
    assert (culprit["label"], culprit["kind"], culprit["factor"]) == ("Squared", "wrong_gradient", 0.5)
    assert "first culprit: node" in done.stdout and "(Squared): ∂L/∂mu is too small by a constant factor" in done.stdout
    assert done.stdout.splitlines()[-1] == "4 of 7 checks fail"


def test_messages_in_russian():
    done = run(str(DATA / "student_buggy.py"), "--lang", "ru")
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == "Операции из student_buggy.py"
    assert "первый виновник: узел" in done.stdout
    assert done.stdout.splitlines()[-1] == "не пройдено проверок: 4 из 7"


def test_an_infinite_loop_is_stopped_and_located():
    done = run(str(DATA / "student_loops.py"), "--timeout", "2")
    assert done.returncode == 1
    first, where = done.stdout.splitlines()
    assert first == "timed out after 2 s (an infinite loop in forward or backward?)"
    # the loop is lines 16-17 (the while and its body): the stack dump catches one of them
    assert where in ("it was running student_loops.py:16 in backward", "it was running student_loops.py:17 in backward")


def test_a_crash_on_import_is_reported():
    done = run(str(DATA / "student_crash.py"))
    assert done.returncode == 1
    assert done.stdout.strip() == (
        "the student file crashed: NameError: name 'LEARNING_RAET' is not defined (at student_crash.py:8 in <module>)"
    )


def test_sys_exit_and_no_ops_in_the_student_file(tmp_path):
    exits = tmp_path / "exits.py"
    exits.write_text("import sys\nsys.exit(3)\n")
    done = run(str(exits))
    assert done.returncode == 1
    assert done.stdout.strip() == "the student file crashed: SystemExit: 3 (at exits.py:2 in <module>)"
    empty = tmp_path / "empty.py"
    empty.write_text("import numpy as np\nfrom graphviz_autodiff.ops import ReLU\n")
    done = run(str(empty))
    assert done.returncode == 2
    assert done.stdout.startswith(f"no Differentiable subclasses defined in {empty}")


def test_usage_errors_exit_2(tmp_path, capsys):
    assert main([str(tmp_path / "missing.py")]) == 2
    assert capsys.readouterr().err.strip() == f"no such file: {tmp_path / 'missing.py'}"
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert main([str(text)]) == 2
    assert capsys.readouterr().err.strip() == f"not a Python file (.py): {text}"
    assert main([]) == 2
    assert "the following arguments are required: path" in capsys.readouterr().err
    assert main([str(DATA / "student_ok.py"), "--timeout", "0"]) == 2
    assert main([str(DATA / "student_ok.py"), "--lang", "de"]) == 2


def test_the_entry_point_dispatches(capsys):
    assert entry.main(["check", "nothing.py"]) == 2
    assert capsys.readouterr().err.strip() == "no such file: nothing.py"
    assert entry.main([]) == 2
    assert "the following arguments are required: command" in capsys.readouterr().err
    assert entry.main(["check", "-h"]) == 0
    assert "Gradient-check every Differentiable op" in capsys.readouterr().out
    assert entry.main(["-h"]) == 0
    usage = capsys.readouterr().out
    assert "check" in usage and "demo" in usage


def test_bugs_hidden_by_a_shared_seed_are_caught(tmp_path):
    """Generated inputs and upstream gradients come from independent streams: none of these passes."""
    report = tmp_path / "result.json"
    done = run(str(DATA / "student_missed.py"), "--json", str(report))
    assert done.returncode == 1, done.stdout + done.stderr
    rows = {row["op"]: row for row in json.loads(report.read_text())["ops"]}
    assert {op: (row["kind"], row["diagnosis"], row["argument"]) for op, row in rows.items()} == {
        "ReLU": ("wrong_gradient", "wrong_mask", "x"),
        "Squared": ("wrong_gradient", None, "mu"),
        "SquareLinear": ("wrong_gradient", "transpose", "theta"),
        "Sigmoid": ("wrong_gradient", "ignores_upstream", "x"),
        "Exp": ("exception", None, None),
    }
    assert all(row["max_rel_error"] is None or row["max_rel_error"] > 0.5 for row in rows.values())


def test_an_exception_in_a_students_op_names_the_file_and_line():
    done = run(str(DATA / "student_missed.py"))
    source = (DATA / "student_missed.py").read_text().splitlines()
    line = next(i for i, text in enumerate(source, 1) if "forward never set self.out" in text)
    assert (
        f"Exp.backward raised AttributeError: 'Exp' object has no attribute 'out' at student_missed.py:{line}"
        in done.stdout
    )
    russian = run(str(DATA / "student_missed.py"), "--lang", "ru")
    assert f"Exp.backward выбросил AttributeError: 'Exp' object has no attribute 'out' в student_missed.py:{line}" in (
        russian.stdout
    )


def test_a_forward_that_raises_while_building_the_lecture_graph_names_the_line(tmp_path):
    student = (
        (DATA / "student_ok.py")
        .read_text()
        .replace("        return x @ self.theta\n", "        return x @ self.theta[:2]  # broken\n", 1)
    )
    path = tmp_path / "student_broken.py"
    path.write_text(student)
    line = next(i for i, text in enumerate(student.splitlines(), 1) if "# broken" in text)
    done = run(str(path))
    assert done.returncode == 1
    assert "building the graph failed: forward raised ValueError: matmul: " in done.stdout
    assert f"at student_broken.py:{line}" in done.stdout
