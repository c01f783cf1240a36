"""The sandbox against hostile submissions: real processes, real bubblewrap, and the fallback.

Three ways of running are exercised:

- ``bwrap``: bubblewrap with the venv's Python (the grader's normal path);
- ``fallback``: no namespaces, with the system's ``/usr/bin/python3``, which
  every user can execute, so that a root grader drops to a dedicated uid;
- ``fallback-root``: no namespaces with the venv's Python, which lives under
  ``/root`` here and so runs as the grader's own user (the weakest mode; its
  report names what is not isolated).

Every hostile snippet is standard-library Python, so all three can run it.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from graphviz_autodiff.cli.grade.protocol import MAGIC, RESULT_FD_ENV, decode_stream
from graphviz_autodiff.cli.grade.sandbox import (
    SANDBOX_HOME,
    Limits,
    SandboxError,
    bwrap_command,
    default_ro_paths,
    probe_bwrap,
    run_sandboxed,
)

VENV_PYTHON = sys.executable
SYSTEM_PYTHON = "/usr/bin/python3"
MODES = [
    pytest.param("bwrap", VENV_PYTHON, id="bwrap"),
    pytest.param("fallback", SYSTEM_PYTHON, id="fallback"),
]
ALL_MODES = [*MODES, pytest.param("fallback", VENV_PYTHON, id="fallback-root")]

# A worker writing frames by hand (the system Python has no NumPy, so no protocol module).
FRAME = f"""
import json, os, struct
def frame(kind, data=None):
    header = json.dumps({{"v": 1, "kind": kind, "data": data, "arrays": []}}).encode()
    return struct.pack(">4sIQ", {MAGIC!r}, len(header), 0) + header
fd = int(os.environ["{RESULT_FD_ENV}"])
"""


def run(code: str, mode: str, python: str, *args: str, **kwargs):
    return run_sandboxed([python, "-c", code, *args], mode=mode, **kwargs)


def live_processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes()
            state = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state not in "ZX" and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


def assert_no_process_left(marker: str) -> None:
    deadline = time.monotonic() + 3
    while live_processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live_processes_with(marker) == []


@pytest.fixture
def marker() -> str:
    return f"gadmarker{uuid.uuid4().hex}"


def test_bubblewrap_works_on_this_machine():
    probe = probe_bwrap()
    assert probe.ok, probe.reason
    assert probe.version.startswith("bubblewrap")


class TestOrdinaryRun:
    def test_files_are_private_copies_and_frames_arrive(self, tmp_path):
        original = tmp_path / "helper.py"
        original.write_text("VALUE = 41\n")
        student = (
            FRAME
            + """
import sys
sys.path.insert(0, "pkg")
from helper import VALUE
print("value", VALUE + 1, "cwd", os.getcwd())
os.write(fd, frame("result", {"value": VALUE + 1}))
open("pkg/helper.py", "w").write("VALUE = 0\\n")
os.remove("student.py")
"""
        )
        result = run_sandboxed(
            [VENV_PYTHON, "student.py"],
            files={"student.py": student.encode(), "pkg/helper.py": original},
            mode="bwrap",
            timeout=30,
        )
        assert result.exit_code == 0, result.stderr
        assert result.stdout == f"value 42 cwd {SANDBOX_HOME}\n"
        assert [(f.kind, f.data) for f in result.frames] == [("result", {"value": 42})]
        assert original.read_text() == "VALUE = 41\n"
        assert result.isolation.isolated and result.isolation.mode == "bwrap" and result.isolation.not_isolated == ()
        assert not result.timed_out and result.status == "exit" and result.protocol_error is None
        assert 0 < result.wall_seconds < 30 and result.cpu_seconds > 0

    @pytest.mark.parametrize(("mode", "python"), ALL_MODES)
    def test_exit_status_and_stderr(self, mode, python):
        result = run("import sys; print('bye', file=sys.stderr); sys.exit(3)", mode, python, timeout=30)
        assert (result.exit_code, result.signal, result.stderr) == (3, None, "bye\n")

    def test_the_grader_package_and_numpy_import_inside(self):
        code = "import numpy, graphviz_autodiff; print(numpy.ones(2).sum(), graphviz_autodiff.__name__)"
        result = run(code, "bwrap", VENV_PYTHON, timeout=60)
        assert result.stdout == "2.0 graphviz_autodiff\n", result.stderr

    def test_concurrent_runs_get_distinct_uids(self):
        results: list = [None] * 4

        def one(i: int) -> None:
            results[i] = run("import os; print(os.getuid())", "bwrap", SYSTEM_PYTHON, timeout=30)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(r.exit_code == 0 for r in results)
        uids = [int(r.stdout) for r in results]
        if os.geteuid() == 0:
            assert len(set(uids)) == 4 and all(uid >= 61000 for uid in uids)

    def test_two_grader_processes_never_share_a_uid(self):
        """Another grader on the machine (another TA, another test run) holds its uids: ours are others."""
        other = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from graphviz_autodiff.cli.grade.sandbox import run_sandboxed\n"
                "r = run_sandboxed(['/usr/bin/python3', '-c', 'import os, time; print(os.getuid(), flush=True); "
                "time.sleep(3); print(\"alive\")'], mode='bwrap', timeout=30)\n"
                "print(r.stdout.split(), r.signal)",
            ],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[4])},
        )
        time.sleep(1.5)  # the other grader's sandbox is running now
        ours = [run("import os; print(os.getuid())", "bwrap", SYSTEM_PYTHON, timeout=30) for _ in range(3)]
        out, _ = other.communicate(timeout=60)
        their_uid, alive = out.split("[")[1].split("]")[0].replace("'", "").split(", ")
        assert alive == "alive" and out.strip().endswith("None"), out  # not killed by our clean-up
        if os.geteuid() == 0:
            assert all(int(r.stdout) != int(their_uid) for r in ours)


class TestRunaway:
    @pytest.mark.parametrize(("mode", "python"), ALL_MODES)
    def test_infinite_loop_times_out(self, mode, python, marker):
        started = time.monotonic()
        result = run("while True: pass", mode, python, marker, timeout=1.5)
        assert result.timed_out and result.status == "timeout" and result.exit_code is None
        assert 1.5 <= result.wall_seconds < 2 and time.monotonic() - started < 8
        assert any("timeout" in note for note in result.notes)
        assert_no_process_left(marker)

    @pytest.mark.parametrize(("mode", "python"), ALL_MODES)
    def test_daemon_that_outlives_the_worker_is_killed(self, mode, python, marker):
        code = f"""
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)", "{marker}"],
                 start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("parent done")
"""
        started = time.monotonic()
        result = run(code, mode, python, timeout=20)
        assert result.exit_code == 0 and result.stdout == "parent done\n", result.stderr
        assert time.monotonic() - started < 10
        assert_no_process_left(marker)

    @pytest.mark.parametrize(("mode", "python"), ALL_MODES)
    def test_child_holding_the_output_pipe_does_not_hang_the_grader(self, mode, python, marker):
        code = f"""
import subprocess, sys
subprocess.Popen([sys.executable, "-c",
    "import time\\nwhile True:\\n print('child', flush=True)\\n time.sleep(0.05)", "{marker}"])
print("parent done", flush=True)
"""
        started = time.monotonic()
        result = run(code, mode, python, timeout=20)
        assert not result.timed_out and result.exit_code == 0
        assert "parent done" in result.stdout
        assert time.monotonic() - started < 10
        assert_no_process_left(marker)

    @pytest.mark.parametrize(("mode", "python"), MODES)
    def test_thread_holding_the_output_pipe(self, mode, python, marker):
        code = """
import sys, threading, time
def spin():
    while True:
        print("thread", flush=True)
        time.sleep(0.05)
threading.Thread(target=spin).start()
sys.exit(0)
"""
        started = time.monotonic()
        result = run(code, mode, python, marker, timeout=3)
        assert result.timed_out and result.stdout.startswith("thread\n")
        assert time.monotonic() - started < 10
        assert_no_process_left(marker)

    @pytest.mark.parametrize(("mode", "python"), MODES)
    def test_200_mb_of_output_is_capped_fast_and_in_little_memory(self, mode, python):
        code = """
import sys
block = b"x" * (1 << 20)
for _ in range(200):
    sys.stdout.buffer.write(block)
sys.stdout.flush()
sys.stderr.buffer.write(b"e" * (3 << 20))
"""
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.monotonic()
        result = run(code, mode, python, timeout=60)
        elapsed = time.monotonic() - started
        assert result.exit_code == 0, result.stderr[:500]
        assert result.stdout_truncated and result.stdout_bytes == 200 << 20 and len(result.stdout) == 1 << 20
        assert result.stderr_truncated and result.stderr_bytes == 3 << 20 and set(result.stderr) == {"e"}
        assert "stdout cut after 1 MB (200 MB written)" in result.notes
        assert elapsed < 30
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 64 << 10  # kB

    @pytest.mark.parametrize(("mode", "python"), MODES)
    def test_small_output_cap_and_invalid_utf8(self, mode, python):
        code = "import sys; sys.stdout.buffer.write(b'ok \\xff\\xfe\\xc3( \\xe2\\x82 end' + b'z' * 100)"
        result = run(code, mode, python, timeout=30, output_cap=20)
        assert result.exit_code == 0
        assert result.stdout.startswith("ok \ufffd\ufffd\ufffd(") and result.stdout_truncated
        assert len(result.stdout.encode("utf-8", "surrogatepass")) >= 20

    @pytest.mark.parametrize(("mode", "python"), MODES)
    def test_cpu_limit(self, mode, python):
        result = run("while True: pass", mode, python, timeout=30, limits=Limits(cpu_seconds=1))
        details = (result.status, result.signal, result.cpu_seconds, result.wall_seconds, result.stderr[-300:])
        assert not result.timed_out and result.status == "signal", details
        assert result.signal in (signal.SIGXCPU, signal.SIGKILL), details  # PID 1 under bwrap ignores SIGXCPU
        assert 0.5 <= result.cpu_seconds < 5, details

    @pytest.mark.parametrize(("mode", "python"), MODES)
    def test_memory_bomb_is_stopped(self, mode, python):
        result = run("x = bytearray(4 << 30)", mode, python, timeout=30, limits=Limits(memory_mb=256))
        assert result.exit_code == 1 and "MemoryError" in result.stderr

    @pytest.mark.parametrize(("mode", "python"), MODES)
    def test_fork_bomb_is_bounded(self, mode, python, marker):
        code = """
import os, sys, time
while True:
    try:
        if os.fork() == 0:
            os.write(1, b"+")
    except OSError:
        time.sleep(0.01)
"""
        started = time.monotonic()
        result = run(code, mode, python, marker, timeout=4, limits=Limits(processes=16))
        assert result.timed_out
        assert 0 < result.stdout.count("+") < 16
        assert time.monotonic() - started < 15
        assert_no_process_left(marker)


class TestConfinement:
    @pytest.mark.parametrize(("mode", "python"), MODES)
    def test_secret_of_the_grader_environment_is_not_visible(self, mode, python, monkeypatch):
        secret = f"s3cret-{uuid.uuid4().hex}"
        monkeypatch.setenv("GAD_TEST_SECRET", secret)
        code = """
import os
print(sorted(os.environ.items()))
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            print(pid, open(f"/proc/{pid}/environ", "rb").read())
        except OSError as error:
            print(pid, type(error).__name__)
"""
        result = run(code, mode, python, timeout=30)
        assert result.exit_code == 0, result.stderr
        assert secret not in result.stdout + result.stderr
        assert "GAD_TEST_SECRET" not in result.stdout

    def test_secret_not_in_the_environment_of_the_weakest_mode(self, monkeypatch):
        secret = f"s3cret-{uuid.uuid4().hex}"
        monkeypatch.setenv("GAD_TEST_SECRET", secret)
        result = run("import os; print(dict(os.environ))", "fallback", VENV_PYTHON, timeout=30)
        assert result.exit_code == 0 and secret not in result.stdout

    def test_no_network(self):
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen()
            server.setblocking(False)
            port = server.getsockname()[1]
            code = f"""
import socket
for host in ("127.0.0.1", "10.255.255.1"):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect((host, {port}))
        print(host, "connected")
    except OSError as error:
        print(host, type(error).__name__)
"""
            result = run(code, "bwrap", VENV_PYTHON, timeout=30)
            with pytest.raises(BlockingIOError):
                server.accept()
        assert result.exit_code == 0, result.stderr
        assert "connected" not in result.stdout
        assert "127.0.0.1 ConnectionRefusedError" in result.stdout

    def test_fallback_report_names_the_network_and_filesystem(self):
        result = run("print('hi')", "fallback", SYSTEM_PYTHON, timeout=30)
        assert result.stdout == "hi\n"
        assert not result.isolation.isolated and result.isolation.mode == "fallback"
        assert {"network", "filesystem"} <= set(result.isolation.not_isolated)
        assert result.isolation.description.startswith("NOT ISOLATED: network, filesystem")

    def test_weakest_fallback_names_signals_too(self):
        result = run("print('hi')", "fallback", VENV_PYTHON, timeout=30)
        assert result.stdout == "hi\n"
        if os.geteuid() == 0:
            assert result.isolation.uid is None  # the venv's Python is not reachable by other users here
            assert set(result.isolation.not_isolated) == {"network", "filesystem", "signals", "process count"}

    @pytest.mark.parametrize(("mode", "python"), MODES)
    def test_canaries_outside_the_work_dir_are_untouched(self, mode, python, tmp_path):
        grader = tmp_path / "grader"
        other = tmp_path / "submissions" / "other_student"
        grader.mkdir()
        other.mkdir(parents=True)
        canary, solution = grader / "canary.txt", other / "solution.py"
        canary.write_text("canary")
        solution.write_text("ANSWER = 42")
        code = """
import os, shutil, sys
for path in sys.argv[1:]:
    for action in ("read", "write", "delete", "rmtree"):
        try:
            if action == "read":
                print("READ", open(path).read())
            elif action == "write":
                open(path, "w").write("pwned")
            elif action == "delete":
                os.remove(path)
            else:
                shutil.rmtree(os.path.dirname(path))
            print(action, path, "succeeded")
        except OSError as error:
            print(action, path, type(error).__name__)
"""
        result = run(code, mode, python, str(canary), str(solution), timeout=30)
        assert result.exit_code == 0, result.stderr
        assert "succeeded" not in result.stdout and "READ" not in result.stdout
        assert canary.read_text() == "canary" and solution.read_text() == "ANSWER = 42"

    @pytest.mark.parametrize(("mode", "python"), MODES)
    def test_killing_its_parent_and_everyone_leaves_the_grader_alive(self, mode, python):
        code = """
import os, signal, sys
for target in (os.getppid(), int(sys.argv[1])):
    try:
        os.kill(target, signal.SIGKILL)
        print("kill", target, "sent")
    except OSError as error:
        print("kill", target, type(error).__name__)
os.kill(-1, signal.SIGKILL)
"""
        result = run(code, mode, python, str(os.getpid()), timeout=30)
        assert f"kill {os.getpid()} sent" not in result.stdout
        assert not result.timed_out
        os.kill(os.getpid(), 0)  # still here

    def test_nothing_of_the_grader_home_or_other_submissions_is_visible(self, tmp_path):
        secrets_dir = tmp_path / "secrets"
        secrets_dir.mkdir()
        (secrets_dir / "token").write_text("top secret")
        code = f"""
import json, os
seen = {{}}
for path in ("/root", "/work", "/home", "/tmp", {str(tmp_path)!r}, {str(secrets_dir)!r}, "/etc"):
    try:
        seen[path] = sorted(os.listdir(path))
    except OSError as error:
        seen[path] = type(error).__name__
for path in ({sys.prefix!r} + "/probe", "/usr/probe", "/etc/probe"):
    try:
        open(path, "w").write("x")
        seen[path] = "written"
    except OSError as error:
        seen[path] = type(error).__name__
print(json.dumps(seen))
"""
        result = run(code, "bwrap", VENV_PYTHON, timeout=30)
        assert result.exit_code == 0, result.stderr
        seen = json.loads(result.stdout)
        bound = [Path(p).parts for p in default_ro_paths()]

        def bound_under(top: str) -> set[str]:
            """What the sandbox shows in ``/top``: the first folder of each bound path (the repo may be in /tmp)."""
            return {parts[2] for parts in bound if len(parts) > 2 and parts[1] == top}

        if Path(sys.base_prefix).is_relative_to("/root"):
            assert seen["/root"] == [".pyenv"]
        assert seen[str(tmp_path)] == "FileNotFoundError" and seen[str(secrets_dir)] == "FileNotFoundError"
        assert "student" in seen["/home"] and set(seen["/home"]) <= {"student"} | bound_under("home")
        assert set(seen["/tmp"]) <= bound_under("tmp") and Path(tmp_path).parts[2] not in seen["/tmp"]
        if "work" in {parts[1] for parts in bound}:
            assert set(seen["/work"]) <= bound_under("work")
        assert "shadow" not in seen["/etc"] and "passwd" in seen["/etc"]
        assert all(seen[p] in ("OSError", "PermissionError") for p in seen if p.endswith("/probe"))
        assert not Path(sys.prefix, "probe").exists()


class TestResultChannel:
    @pytest.mark.parametrize(("mode", "python"), MODES)
    def test_forged_result_file_and_early_exit_count_for_nothing(self, mode, python, tmp_path):
        code = (
            FRAME
            + """
os.write(fd, frame("started"))
forged = frame("op", {"op": "Linear", "status": "pass"}) + frame("done", {"ok": True})
for path in ("result.json", "/tmp/result.json", os.environ["HOME"] + "/../result.json"):
    try:
        open(path, "wb").write(forged)
    except OSError:
        pass
print(json.dumps({"status": "done", "ok": True}))
os._exit(0)
"""
        )
        result = run(code, mode, python, timeout=30)
        assert result.exit_code == 0
        assert [f.kind for f in result.frames] == ["started"] and result.protocol_error is None

    @pytest.mark.parametrize(("mode", "python"), MODES)
    def test_garbage_and_half_frames_on_the_pipe(self, mode, python):
        garbage = FRAME + "os.write(fd, frame('one')); os.write(fd, b'\\x00garbage' * 100); os.write(fd, frame('two'))"
        result = run(garbage, mode, python, timeout=30)
        assert [f.kind for f in result.frames] == ["one"] and "magic" in result.protocol_error
        half = FRAME + "os.write(fd, frame('one')); os.write(fd, frame('two')[:-3]); os._exit(0)"
        result = run(half, mode, python, timeout=30)
        assert [f.kind for f in result.frames] == ["one"] and "ends inside a frame" in result.protocol_error

    def test_result_cap(self):
        code = FRAME + "os.write(fd, frame('one')); os.write(fd, frame('x' * 150, 'y' * 5000))"
        result = run(code, "bwrap", VENV_PYTHON, timeout=30, result_cap=1000)
        assert [f.kind for f in result.frames] == ["one"] and "over" in result.protocol_error

    def test_real_protocol_module_with_arrays(self):
        code = """
import numpy as np
from graphviz_autodiff.cli.grade.protocol import open_channel
channel = open_channel()
channel.send("op", {"op": "Sum"}, {"grad": np.arange(6.0).reshape(2, 3)})
"""
        result = run(code, "bwrap", VENV_PYTHON, timeout=60)
        (frame,) = result.frames
        assert frame.arrays["grad"].tolist() == [[0, 1, 2], [3, 4, 5]]
        assert decode_stream(b"").frames == ()


class TestSetup:
    def test_bwrap_command_line(self):
        argv = bwrap_command(["python3", "w.py"], uid=61005, ro_paths=[Path("/opt/x/venv")], file_fds=[("w.py", 7)])
        joined = " ".join(argv)
        for flag in ("--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session", "--as-pid-1"):
            assert flag in argv
        assert "--ro-bind /usr /usr" in joined and "--ro-bind /opt/x/venv /opt/x/venv" in joined
        assert "--perms 0755 --dir /opt/x" in joined
        assert f"--file 7 {SANDBOX_HOME}/w.py" in joined
        assert "--reuid=61005" in argv and "--no-new-privs" in argv
        assert argv[-3:] == ["--", "python3", "w.py"]
        assert "--unshare-all" in bwrap_command(["x"], uid=None, ro_paths=[])

    def test_invalid_arguments(self, tmp_path):
        link = tmp_path / "link.py"
        link.symlink_to("/etc/hostname")
        for files in ({"../x.py": b""}, {"/abs.py": b""}, {"a//b.py": b""}, {"": b""}, {"x.py": link}):
            with pytest.raises(SandboxError):
                run_sandboxed([VENV_PYTHON, "-c", "pass"], files=files)
        with pytest.raises(SandboxError):
            run_sandboxed([], timeout=1)
        with pytest.raises(SandboxError):
            run_sandboxed(["true"], timeout=0)
        with pytest.raises(SandboxError):
            run_sandboxed(["true"], mode="docker")

    def test_auto_mode_falls_back_when_bwrap_is_missing(self, monkeypatch):
        monkeypatch.setenv("PATH", "/nonexistent")
        probe_bwrap.cache_clear()
        try:
            assert not probe_bwrap().ok and "not installed" in probe_bwrap().reason
            result = run("print('fine')", "auto", SYSTEM_PYTHON, timeout=30)
            assert result.stdout == "fine\n" and result.isolation.mode == "fallback"
            assert "not installed" in result.isolation.description
            with pytest.raises(SandboxError, match="cannot run"):
                run("pass", "bwrap", SYSTEM_PYTHON, timeout=30)
        finally:
            probe_bwrap.cache_clear()

    def test_signal_exit_is_reported(self):
        result = run("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", "fallback", SYSTEM_PYTHON, timeout=30)
        assert result.signal == signal.SIGSEGV and result.exit_code is None and result.status == "signal"
        result = run("import ctypes; ctypes.string_at(0)", "bwrap", VENV_PYTHON, timeout=30)
        assert result.signal == signal.SIGSEGV and result.status == "signal"

    def test_struct_frame_helper_matches_the_protocol(self):
        namespace: dict = {}
        exec(FRAME.replace("fd = int(", "fd = 0 and int("), namespace)
        (frame,) = decode_stream(namespace["frame"]("x", {"a": 1})).frames
        assert (frame.kind, frame.data) == ("x", {"a": 1})
        assert struct.calcsize(">4sIQ") == 16


def test_docstring_examples():
    import doctest

    from graphviz_autodiff.cli.grade import sandbox

    assert doctest.testmod(sandbox).failed == 0


def test_isolation_is_described_in_the_reports_language():
    from graphviz_autodiff.cli.grade.sandbox import Isolation

    fallback = Isolation("fallback", False, ("network", "filesystem", "signals", "process count"), None, reason="x")
    assert fallback.describe("en").startswith("NOT ISOLATED: network, filesystem, signals, process count.")
    russian = fallback.describe("ru")
    assert russian.startswith("НЕ ИЗОЛИРОВАНО: сеть, файловая система, сигналы, число процессов.")
    assert "пользователя проверяющего" in russian
    bwrap = Isolation("bwrap", True, (), 61000, "bubblewrap 0.8.0", limits=(1024, 61, 64, 64, 256))
    assert bwrap.description == (
        "bubblewrap 0.8.0: no network, read-only system, private writable /home/student (tmpfs), own PID namespace, "
        "runs as a dedicated unprivileged uid; limits: memory 1024 MB, CPU 61 s, 64 processes, files 64 MB, "
        "256 open files"
    )
    assert "61000" not in bwrap.describe("ru") and "без сети" in bwrap.describe("ru")
