"""``python -m graphviz_autodiff grade`` on a generated class of 45 submissions, as a TA runs it.

Honest ones (.py, .ipynb, .zip, folders; plain, Moodle and Canvas names), every
classic bug, and hostile ones: an endless loop, a crash at import, a forged
result file and ``os._exit(0)``, forged frames, patches of the checker, a fork
that outlives the student's process, a thread holding the output pipe, 200 MB of
output, invalid UTF-8, an environment secret, a local socket, canary files
outside the submission, and attempts to kill the grader.

The class is graded once (a module-scoped fixture, real bubblewrap, real
processes); each test reads what landed in ``OUT``. Every student's every check
is asserted: status, verdict kind and diagnosis.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from . import classroom as cr

ROOT = Path(__file__).resolve().parents[4]
TIMEOUT = 12  # seconds per submission; op budget 3 s, script budget 6 s
ANY = object()


class Listener:
    """A TCP server on 127.0.0.1 that records every connection (none may arrive from a sandbox)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(1)
                try:
                    self.connections.append(connection.recv(1 << 16) or b"<connected>")
                except OSError:
                    self.connections.append(b"<connected>")

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.server.close()


def _hostile(tmp: Path, port: int, marker: str, canaries: list[Path], class_dir: Path) -> dict[str, str]:
    """Sources of the hostile submissions (each also defines every op correctly unless said otherwise)."""
    squared_factor = cr.replace_backward(
        "Squared", "        d = (self.mu - self.y) * upstream_grad\n        return d, -d\n"
    )
    forge = """
import os as _os
from graphviz_autodiff.cli.grade.protocol import encode_frame as _encode
from graphviz_autodiff.debug import evidence_to_json as _to_json, measure_call as _measure, random_streams as _streams
from graphviz_autodiff.ops import Squared as _TrueSquared
_s = _streams(0, 2)
_mu, _y = _s.inputs.standard_normal(8), _s.inputs.standard_normal(8)
_ev = _measure(_TrueSquared(), [_mu, _y], (True, True), None, upstreams=[None, None], eps=1e-6, streams=_s,
               label="Squared", data=(True, True))
_arrays = {}
_frame = _encode("op", {"op": "Squared", "key": 2, "evidence": _to_json(_ev, _arrays), "tampered": []}, _arrays)
for _fd in _os.listdir("/proc/self/fd"):
    if int(_fd) >= 200:
        try:
            _os.write(int(_fd), _frame)
        except OSError:
            pass
"""
    patch_import = """
import dataclasses
import graphviz_autodiff.debug as _dbg
import graphviz_autodiff.debug.measure as _m
import graphviz_autodiff.debug.verdict as _v
from graphviz_autodiff.debug.numeric import numeric_gradient as _ng

_real = _m.measure_call

def _forged(*args, **kwargs):
    ev = _real(*args, **kwargs)
    trials = []
    for t in ev.trials:
        grads = tuple(g if d is None else _v.Returned.of(_ng(d)[0]) for d, g in zip(t.differences, t.gradients))
        trials.append(dataclasses.replace(t, gradients=grads))
    return dataclasses.replace(ev, trials=tuple(trials))

_dbg.measure_call = _m.measure_call = _forged
_dbg.gradcheck = lambda *a, **k: True
_v.judge = _dbg.judge = lambda *a, **k: None
"""
    patch_forward = cr.CORRECT["Squared"].replace(
        "        self.mu, self.y = mu, y\n",
        "        import graphviz_autodiff.debug.measure as m\n"
        "        m._returned = lambda value: m.Returned.of(value * 2)\n"
        "        self.mu, self.y = mu, y\n",
    )
    secret_dump = """
import os as _os, sys as _sys
_dump = repr(dict(_os.environ))
for _p in _os.listdir("/proc"):
    if _p.isdigit():
        try:
            _dump += open(f"/proc/{_p}/environ", "rb").read().decode("latin-1")
        except OSError:
            pass
print(_dump)
print(_dump, file=_sys.stderr)
"""
    secret_squared = cr.CORRECT["Squared"].replace(
        "        self.mu, self.y = mu, y\n", "        raise ValueError(_dump.replace(chr(10), ' ')[:1900])\n"
    )
    return {
        "forger_files.py": f"""
import json, os
_fake = {{"score": 10.0, "status": "pass", "note": "FORGED-RESULT"}}
_paths = ("report.json", "results.json", "../results.json", "/tmp/report.json")
for _path in _paths + ("{tmp}/out/forger_files/report.json", "{tmp}/results.json"):
    try:
        with open(_path, "w") as _handle:
            json.dump(_fake, _handle)
    except OSError:
        pass
print("FORGED-RESULT all pass")
os._exit(0)
"""
        + cr.module(),
        "forger_frames.py": cr.module(prelude=forge, Squared=squared_factor),
        "patch_import.py": cr.module(prelude=patch_import, Squared=squared_factor),
        "patch_forward.py": cr.module(Squared=patch_forward),
        "fork_outliver.py": cr.module(
            prelude=f"""
import os as _os, sys as _sys
if _os.fork() == 0:
    _os.setsid()
    if _os.fork() == 0:
        _os.execv(_sys.executable, [_sys.executable, "-c", "import time\\nwhile True: time.sleep(1)", "{marker}"])
    _os._exit(0)
"""
        ),
        "thread_holding_pipe.py": cr.module(
            prelude=f"""
import subprocess as _sp, sys as _sys, threading as _th, time as _time
def _spam():
    while True:
        _sys.stdout.write("spam\\n")
        _sys.stdout.flush()
        _time.sleep(0.01)
_th.Thread(target=_spam).start()
_sp.Popen([_sys.executable, "-c", "import time\\nwhile True: time.sleep(1)", "{marker}"])
"""
        ),
        "big_output.py": cr.module(
            prelude='import sys as _sys\nfor _ in range(200):\n    _sys.stdout.write("x" * 1_000_000 + "\\n")\n'
        ),
        "invalid_utf8.py": cr.module(
            prelude='import sys as _sys\n_sys.stdout.buffer.write(b"\\xff\\xfe\\xc3\\x28 \\x80\\n")\n'
            '_sys.stdout.flush()\n_sys.stderr.buffer.write(b"\\xed\\xa0\\x80 half a surrogate\\n")\n',
            Squared=cr.CORRECT["Squared"].replace(
                "        self.mu, self.y = mu, y\n", '        raise ValueError("bad \\udcff byte \\x00 here")\n'
            ),
        ),
        "env_secret.py": cr.module(prelude=secret_dump, Squared=secret_squared),
        "socket_connect.py": cr.module(
            prelude=f"""
import os as _os, socket as _socket
try:
    _c = _socket.create_connection(("127.0.0.1", {port}), timeout=2)
    _c.sendall(repr(dict(_os.environ)).encode())
    _c.close()
except OSError:
    pass
"""
        ),
        "canary_writer.py": cr.module(
            prelude=f"""
import os as _os, shutil as _shutil
for _path in {[str(c) for c in canaries]!r}:
    for _act in (lambda p: open(p, "w").write("pwned"), _os.remove, lambda p: _os.rename(p, p + ".moved")):
        try:
            _act(_path)
        except OSError:
            pass
for _folder in ({str(class_dir)!r}, {str(canaries[0].parent)!r}):
    try:
        open(_os.path.join(_folder, "planted.txt"), "w").write("planted")
    except OSError:
        pass
    try:
        _shutil.rmtree(_folder)
    except OSError:
        pass
"""
        ),
        "parent_killer.py": cr.module(
            prelude=f"""
import os as _os, signal as _signal
for _target in (_os.getppid(), 1, -1, {os.getpid()}):
    try:
        _os.kill(_target, _signal.SIGKILL)
    except OSError:
        pass
for _p in _os.listdir("/proc"):
    if _p.isdigit() and int(_p) != _os.getpid():
        try:
            if b"graphviz_autodiff" in open(f"/proc/{{_p}}/cmdline", "rb").read():
                _os.kill(int(_p), _signal.SIGKILL)
        except OSError:
            pass
"""
        ),
        "crash_at_import.py": "import no_such_module_for_grading\n" + cr.module(),
        "loop_swallowing.py": (
            "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n    except BaseException:\n        pass\n"
        )
        + cr.module(),
        "loop_after_ops.py": cr.module(tail="while True:\n    pass\n"),
        "memory_hog.py": cr.module(tail="hog = np.ones((40_000, 40_000))\n"),
    }


def _bugs() -> dict[str, str]:
    rb = cr.replace_backward
    return {
        "linear_sign.py": cr.module(
            Linear=rb(
                "Linear",
                "        self.theta.grad = -(self.x.T @ upstream_grad)\n"
                "        return np.outer(upstream_grad, self.theta)\n",
            )
        ),
        "squared_factor.py": cr.module(
            Squared=rb("Squared", "        d = (self.mu - self.y) * upstream_grad\n        return d, -d\n")
        ),
        "linear_no_transpose.py": cr.module(
            Linear=rb(
                "Linear",
                "        self.theta.grad = self.x @ upstream_grad\n"
                "        return np.outer(upstream_grad, self.theta)\n",
            )
        ),
        "linear_ignores_upstream.py": cr.module(
            Linear=rb(
                "Linear",
                "        self.theta.grad = self.x.T @ np.ones_like(upstream_grad)\n"
                "        return np.outer(upstream_grad, self.theta)\n",
            )
        ),
        "dense_transpose.py": cr.module(
            Dense=rb(
                "Dense", "        self.W.grad = upstream_grad.T @ self.x\n        return upstream_grad @ self.W.T\n"
            )
        ),
        "squared_swapped.py": cr.module(
            Squared=rb("Squared", "        d = 2 * (upstream_grad - self.y) * self.mu\n        return d, -d\n")
        ),
        "relu_bool.py": cr.module(ReLU=rb("ReLU", "        return self.x > 0\n")),
        "relu_mask_upstream.py": cr.module(ReLU=rb("ReLU", "        return upstream_grad * (upstream_grad > 0)\n")),
        "relu_ignores_upstream.py": cr.module(ReLU=rb("ReLU", "        return (self.x > 0).astype(float)\n")),
        "sum_no_broadcast.py": cr.module(Sum=rb("Sum", "        return upstream_grad\n")),
        "bias_no_sum.py": cr.module(
            AddBias=rb("AddBias", "        self.b.grad = upstream_grad\n        return upstream_grad\n")
        ),
        "identity_missing.py": cr.module(Identity=None),
        "library_sum.py": cr.module(prelude="from graphviz_autodiff.ops import Sum\n", Sum=None),
        "squared_forward_crash.py": cr.module(
            Squared=cr.CORRECT["Squared"].replace("        self.mu, self.y = mu, y\n", "        self.scale = 1 / 0\n")
        ),
        "dense_sys_exit.py": cr.module(Dense=rb("Dense", "        import sys\n        sys.exit(3)\n")),
        "relu_infinite_loop.py": cr.module(ReLU=rb("ReLU", "        while True:\n            pass\n")),
        "wrong_forward.py": cr.module(
            Squared="""
class Squared(Differentiable):
    def forward(self, mu, y):
        self.mu, self.y = mu, y
        return (mu - y) ** 2 / 2

    def backward(self, upstream_grad):
        d = (self.mu - self.y) * upstream_grad
        return d, -d
"""
        ),
    }


# -- the class, graded once ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grade_e2e")
    class_dir = tmp / "class"
    class_dir.mkdir()
    canary_dir = tmp / "canaries"
    canary_dir.mkdir()
    canaries = [canary_dir / "canary.txt", class_dir / "correct_py.py"]
    marker = f"gadmarker{uuid.uuid4().hex}"
    secret = f"gadsecret{uuid.uuid4().hex}"
    listener = Listener()
    files: dict[str, str] = {"correct_py.py": cr.module()}
    files.update(_bugs())
    files.update(_hostile(tmp, listener.port, marker, canaries, class_dir))
    for name, text in files.items():
        (class_dir / name).write_text(text, encoding="utf-8")
    canaries[0].write_text("canary", encoding="utf-8")
    notebooks = {}
    text, notebooks["correct_nb"] = cr.notebook_of_ops()
    (class_dir / "correct_nb.ipynb").write_text(text)
    broken = cr.replace_backward("Squared", "        d = 2 * (self.mu - self.y) * upstrem_grad\n        return d, -d\n")
    text, notebooks["nb_error_cell"] = cr.notebook_of_ops(Squared=broken)
    (class_dir / "nb_error_cell.ipynb").write_text(text)
    text, notebooks["nb_tail_error"] = cr.notebook_of_ops(
        extra_last='import pandas_is_not_here\ndata = open("data.csv")'
    )
    (class_dir / "nb_tail_error.ipynb").write_text(text)
    factor = cr.replace_backward("Squared", "        d = (self.mu - self.y) * upstream_grad\n        return d, -d\n")
    (class_dir / "nb_squared_factor.ipynb").write_text(cr.notebook_of_ops(Squared=factor)[0])
    (class_dir / "broken_nb.ipynb").write_text('{"cells": [ oops')
    cr.write_zip(class_dir / "correct_zip.zip", {"hw5/ops.py": cr.module(), "hw5/README.md": "my homework"})
    cr.write_zip(
        class_dir / "zip_relu_bool.zip",
        {"ops.py": cr.module(ReLU=cr.replace_backward("ReLU", "        return self.x > 0\n"))},
    )
    cr.write_zip(class_dir / "zip_no_code.zip", {"notes.txt": "I did not finish"})
    moodle = class_dir / "Ivan Petrov_123456_assignsubmission_file_"
    moodle.mkdir()
    (moodle / "hw5.ipynb").write_text(cr.notebook_of_ops()[0])
    (class_dir / "petrovanna_4242_99001_hw5.py").write_text(cr.module())
    folder = class_dir / "folder_student"
    folder.mkdir()
    (folder / "helpers.py").write_text("import numpy as np\n\ndef outer(a, b):\n    return np.outer(a, b)\n")
    linear = cr.CORRECT["Linear"].replace(
        "return np.outer(upstream_grad, self.theta)", "return outer(upstream_grad, self.theta)"
    )
    (folder / "ops.py").write_text(cr.module(prelude="from helpers import outer\n", Linear=linear))
    assignment = tmp / "assignment.toml"
    assignment.write_text(cr.ASSIGNMENT_TOML)
    out = tmp / "out"
    env = {**os.environ, "GAD_E2E_SECRET": secret, "PYTHONPATH": str(ROOT)}
    before = {c: (c.read_bytes(), c.stat().st_mtime_ns) for c in canaries}
    start = time.monotonic()
    done = subprocess.run(
        [
            *(sys.executable, "-m", "graphviz_autodiff", "grade", str(class_dir), "--out", str(out), "--jobs", "2"),
            *("--timeout", str(TIMEOUT), "--assignment", str(assignment), "--gradescope", "--sandbox", "bwrap"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=900,
        check=False,
    )
    seconds = time.monotonic() - start
    listener.close()
    reports = {p.parent.name: json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*/report.json")}
    yield {
        "done": done,
        "out": out,
        "reports": reports,
        "canaries": canaries,
        "before": before,
        "canary_dir": canary_dir,
        "class_dir": class_dir,
        "marker": marker,
        "secret": secret,
        "listener": listener,
        "files": files,
        "notebooks": notebooks,
        "seconds": seconds,
        "tmp": tmp,
    }


PASS = ("pass", "ok", None)


def _expected(graded) -> dict[str, dict]:
    """Per student: ``status`` and the checks that are not a plain pass, as ``(status, kind, diagnosis)``."""
    files = graded["files"]
    notebooks = graded["notebooks"]
    exception = ("fail", "exception", ANY)
    missing = ("error", "missing", None)
    all_missing = {name: missing for name in cr.CHECKS}
    timeout_all = {name: ("fail", "timeout", None) for name in cr.CHECKS}
    not_reported = {name: ("fail", "not_reported", None) for name in cr.CHECKS}
    unreadable = {name: ("error", None, None) for name in cr.CHECKS}
    train_ok = cr.simulated_training("2 * (mu - y) * g")
    assert train_ok  # the oracle itself: honest ops lower the loss
    cell, line = cr.cell_of(notebooks["nb_error_cell"], "upstrem_grad")
    tail_cell, _ = cr.cell_of(notebooks["nb_tail_error"], "pandas_is_not_here")
    return {
        "correct_py": {"status": "pass"},
        "correct_nb": {"status": "pass"},
        "correct_zip": {"status": "pass"},
        "Ivan_Petrov_123456": {"status": "pass"},
        "petrovanna_4242": {"status": "pass"},
        "folder_student": {"status": "pass"},
        "linear_sign": {
            "status": "fail",
            "Linear": ("fail", "wrong_gradient", "sign"),
            "training": ("fail", "loss_not_decreasing", None),
        },
        "squared_factor": {"status": "fail", "Squared": ("fail", "wrong_gradient", "factor")},
        "nb_squared_factor": {"status": "fail", "Squared": ("fail", "wrong_gradient", "factor")},
        "linear_no_transpose": {"status": "fail", "Linear": exception, "training": exception},
        "linear_ignores_upstream": {
            "status": "fail",
            "Linear": ("fail", "wrong_gradient", "ignores_upstream"),
            "training": PASS
            if cr.simulated_training("2 * (mu - y) * g", "X.T @ np.ones_like(g_z)")
            else ("fail", "loss_not_decreasing", None),
        },
        "dense_transpose": {"status": "fail", "Dense": ("fail", "wrong_gradient", "transpose")},
        "squared_swapped": {
            "status": "fail",
            "Squared": ("fail", "wrong_gradient", ANY),
            "training": PASS if cr.simulated_training("2 * (g - y) * mu") else ("fail", "loss_not_decreasing", None),
        },
        "relu_bool": {"status": "fail", "ReLU": ("fail", "wrong_type", "boolean")},
        "zip_relu_bool": {"status": "fail", "ReLU": ("fail", "wrong_type", "boolean")},
        "relu_mask_upstream": {"status": "fail", "ReLU": ("fail", "wrong_gradient", "wrong_mask")},
        "relu_ignores_upstream": {"status": "fail", "ReLU": ("fail", "wrong_gradient", "ignores_upstream")},
        "sum_no_broadcast": {"status": "fail", "Sum": ("fail", "shape", "missing_broadcast"), "training": exception},
        "bias_no_sum": {"status": "fail", "AddBias": ("fail", "shape", "missing_reduction")},
        "identity_missing": {"status": "fail", "Identity": missing, "training": missing},
        "library_sum": {"status": "fail", "Sum": ("error", "library", None), "training": missing},
        "squared_forward_crash": {"status": "fail", "Squared": ("fail", "exception", "forward"), "training": exception},
        "dense_sys_exit": {"status": "fail", "Dense": ("fail", "exception", None)},
        "relu_infinite_loop": {"status": "fail", "ReLU": ("fail", "timeout", None)},
        "wrong_forward": {"status": "fail", "Squared": ("fail", "wrong_forward", None)},
        "nb_error_cell": {
            "status": "fail",
            "Squared": ("fail", "exception", None),
            "training": exception,
            "messages": {"Squared": f"cell {cell}, line {line}"},
        },
        "nb_tail_error": {"status": "pass", "notes": [f"cell {tail_cell}, line 1", "ModuleNotFoundError"]},
        "broken_nb": {"status": "error", **unreadable},
        "zip_no_code": {"status": "error", **unreadable},
        "crash_at_import": {"status": "error", **all_missing, "notes": ["ModuleNotFoundError", "crash_at_import.py:1"]},
        "loop_swallowing": {"status": "timeout", **timeout_all},
        "loop_after_ops": {
            "status": "pass",
            "notes": [f"loop_after_ops.py:{cr.line_of(files['loop_after_ops.py'], 'while True')}"],
        },
        "forger_files": {"status": "error", **not_reported},
        "forger_frames": {"status": "fail", "Squared": ("fail", "inconsistent", None)},
        "patch_import": {
            "status": "fail",
            "Squared": ("fail", "wrong_gradient", "factor"),
            "notes": ["graphviz_autodiff.debug.measure.measure_call"],
        },
        "patch_forward": {
            "status": "fail",
            "Squared": ("fail", "inconsistent", None),
            "training": ("fail", "inconsistent", None),
        },
        "fork_outliver": {"status": "pass"},
        "thread_holding_pipe": {"status": "pass"},
        "big_output": {"status": "pass", "notes": ["stdout cut after 1 MB (191 MB written)"]},
        "invalid_utf8": {"status": "fail", "Squared": ("fail", "exception", "forward"), "training": exception},
        "env_secret": {"status": "fail", "Squared": ("fail", "exception", "forward"), "training": exception},
        "socket_connect": {"status": "pass"},
        "canary_writer": {"status": "pass"},
        "parent_killer": {"status": "pass"},
        "memory_hog": {"status": "pass", "notes": ["MemoryError", "memory_hog.py:"]},
    }


# -- the tests ---------------------------------------------------------------------------------------------
def test_the_grader_finishes_and_exits_0(graded):
    done = graded["done"]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"graded {len(_expected(graded))} submissions" in done.stdout
    assert f"class report: {graded['out'] / 'index.html'}" in done.stdout
    assert "WARNING" not in done.stderr  # bubblewrap ran: nothing unisolated


def test_every_verdict_of_every_student(graded):
    expected = _expected(graded)
    reports = graded["reports"]
    assert sorted(reports) == sorted(expected)
    problems = []
    for student, want in expected.items():
        report = reports[student]
        if report["status"] != want["status"]:
            problems.append(f"{student}: status {report['status']}, expected {want['status']}")
        assert [op["op"] for op in report["ops"]] == list(cr.CHECKS), student
        for op in report["ops"]:
            status, kind, diagnosis = want.get(op["op"], PASS)
            got = (op["status"], op["kind"], op["diagnosis"])
            if got[:2] != (status, kind) or (diagnosis is not ANY and got[2] != diagnosis):
                problems.append(f"{student}.{op['op']}: {got}, expected {(status, kind, diagnosis)}: {op['message']}")
            points = cr.CHECKS[op["op"]] if op["status"] == "pass" else 0
            if op["points"] != points:
                problems.append(f"{student}.{op['op']}: {op['points']} points, expected {points}")
        for op_name, text in want.get("messages", {}).items():
            message = next(op["message"] for op in report["ops"] if op["op"] == op_name)
            if text not in message:
                problems.append(f"{student}.{op_name}: {text!r} not in {message!r}")
        assert report["score"] == sum(op["points"] for op in report["ops"])
        assert report["max_score"] == sum(cr.CHECKS.values())
    assert problems == []


def test_notes_locate_crashes_and_cut_output(graded):
    expected = _expected(graded)
    with open(graded["out"] / "summary.csv", encoding="utf-8-sig", newline="") as handle:
        by_student = {row["student"]: row["notes"] for row in csv.DictReader(handle)}
    for student, want in expected.items():
        for text in want.get("notes", []):
            assert text in by_student[student], (student, by_student[student])


def test_every_report_names_its_isolation(graded):
    for student, report in graded["reports"].items():
        if report["status"] == "error" and student in ("broken_nb", "zip_no_code"):
            continue  # never ran
        assert report["isolation"].startswith("bubblewrap"), (student, report["isolation"])
        assert "no network" in report["isolation"]


def test_class_files_are_complete_and_valid(graded):
    out = graded["out"]
    students = sorted(graded["reports"])
    with open(out / "summary.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(students) * len(cr.CHECKS)
    junit = ET.parse(out / "junit.xml").getroot()
    assert junit.get("tests") == str(len(students) * len(cr.CHECKS))
    for student in students:
        gradescope = json.loads((out / student / "results.json").read_text(encoding="utf-8"))
        assert gradescope["score"] == graded["reports"][student]["score"]
        assert [t["name"] for t in gradescope["tests"]] == list(cr.CHECKS)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "HW 5: backpropagation" in page and "Pass rate per op" in page
    for check in cr.CHECKS:
        assert f"<bdi>{check}</bdi>" in page
    assert page.count("<svg") >= 1  # an example diagram for the most common failures


def test_graphs_are_drawn_from_the_students_numbers(graded):
    out = graded["out"]
    svg = (out / "squared_factor" / "graph.svg").read_text(encoding="utf-8")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    text = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    assert "Squared" in text and "a factor 2 is missing" in text
    assert "inherits a wrong gradient" in text  # the nodes before Squared receive its wrong gradient
    assert (out / "correct_py" / "graph.svg").is_file()
    assert not (out / "crash_at_import" / "graph.svg").exists()


def test_no_secret_in_any_output(graded):
    secret = graded["secret"].encode()
    files = [p for p in graded["out"].rglob("*") if p.is_file()]
    assert len(files) > 100
    for path in files:
        assert secret not in path.read_bytes(), path
    assert secret not in (graded["done"].stdout + graded["done"].stderr).encode()
    message = next(op["message"] for op in graded["reports"]["env_secret"]["ops"] if op["op"] == "Squared")
    assert "PATH" in message  # the submission did dump its environment into its message: only the sandbox's


def test_no_forged_result_counts(graded):
    for path in graded["out"].rglob("*"):
        if path.is_file():
            assert b"FORGED-RESULT" not in path.read_bytes(), path
    assert not (graded["tmp"] / "results.json").exists()


def test_canaries_untouched_and_nothing_planted(graded):
    for canary, (content, mtime) in graded["before"].items():
        assert canary.read_bytes() == content and canary.stat().st_mtime_ns == mtime, canary
        assert not Path(str(canary) + ".moved").exists()
    assert not (graded["class_dir"] / "planted.txt").exists()
    assert not (graded["canary_dir"] / "planted.txt").exists()


def test_no_connection_reached_the_local_socket(graded):
    assert graded["listener"].connections == []


def test_no_process_left_behind(graded):
    marker = graded["marker"].encode()
    deadline = time.monotonic() + 5
    while True:
        left = []
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes()
                state = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if marker in cmdline and state not in "ZX":
                left.append(int(entry.name))
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert left == []
