"""Run one untrusted command (a Python worker for one submission) under bubblewrap, with limits.

:func:`run_sandboxed` starts ``command`` in a fresh sandbox holding a *copy* of
the submission's files, waits at most ``timeout`` seconds, kills everything the
command started, and returns a :class:`SandboxResult`: exit status, timing,
captured (capped) output and the frames the worker sent on its result channel
(:mod:`.protocol`). Nothing the command does can stop the grader: output is read
concurrently and capped, the wall clock is the grader's, and the sandbox is torn
down as a whole.

Typical use by the grader (the worker module is the other engineer's)::

    result = run_sandboxed(
        [sys.executable, "-m", "graphviz_autodiff.cli.grade.worker", "student.py"],
        files={"student.py": script_bytes, "helpers/util.py": Path("/staging/util.py")},
        timeout=60, limits=Limits(memory_mb=1024),
    )
    frames = result.frames            # raw numbers; the grader computes the verdicts
    if not result.isolation.isolated:
        warn(result.isolation.description)

Inside the sandbox
==================
With bubblewrap (``bwrap``, Debian package ``bubblewrap``), the command sees:

- ``/usr`` (and the ``/bin``, ``/lib*`` links), a few files of ``/etc``
  (``ld.so.cache``, ``alternatives``, ``localtime``) and generated ``/etc/passwd``,
  ``/etc/group``, ``/etc/hosts``, all **read-only**;
- the Python prefixes (``sys.prefix``, ``sys.base_prefix``: the venv and the
  interpreter) and the package directories ``graphviz_autodiff`` and ``viz``,
  read-only, at their host paths; nothing else of ``/root``, ``/work`` or ``/home``;
- :data:`SANDBOX_HOME` (``/home/student``): a private size-limited tmpfs holding
  the copy of the submission, the working directory and ``HOME``; ``/tmp``: another
  private tmpfs;
- its own PID, network (loopback only: nothing outside is reachable), IPC and UTS
  namespaces, a new session (``--new-session``), ``--die-with-parent``;
- when the grader runs as root: a dedicated unprivileged uid (one of
  61000-62022, one per concurrent run, held with a file lock so that two graders
  on one machine never share one; each grader process starts its search at its
  own place in the range), no capabilities and ``no_new_privs`` (via
  ``setpriv``), so that the process limit applies (the kernel does not count
  root's processes). Reports say "a dedicated unprivileged uid", not which one,
  so that they do not depend on the order the runs happened to start in.

The command is PID 1 of its namespace (``--as-pid-1``, no bwrap init in
between), so that its CPU time reaches the grader through ``wait4``; as for any
PID 1, signals sent from inside the sandbox without a handler do not kill it
(``os.kill(os.getpid(), SIGKILL)`` is ignored, SIGXCPU too: the CPU hard limit
then kills it one second later) and orphans it adopts stay zombies until it
exits. Neither matters to a worker.

The exact command line is built by :func:`bwrap_command`. The environment is
:func:`sandbox_environment`: ``PATH``, ``HOME``, ``TMPDIR``, ``LANG=C.UTF-8``,
``PYTHONHASHSEED=0``, ``PYTHONPATH`` (the package), single-threaded BLAS and the
result descriptor's number (:data:`.protocol.RESULT_FD_ENV`); nothing of the
grader's environment is passed on.

Limits (:class:`Limits`) are set with ``setrlimit`` in the child before ``exec``:
address space, CPU seconds, processes, file size, open files, no core dumps.
stdout and stderr are captured up to ``output_cap`` bytes each (1 MB by default)
and drained past it, so that a flood neither blocks the worker nor fills the
grader's memory; a note says when and how much was cut. Bytes are decoded as
UTF-8 with replacement (invalid bytes never raise).

At the end (normal exit or timeout) the grader kills bwrap's child, PID 1 of the
sandbox's namespace, which takes every process of the namespace with it, then
bwrap's process group and every process of the sandbox's uid: a daemon forked
by the submission, or a process holding the output pipe, does not survive.

Fallback
========
When ``bwrap`` is missing or cannot create namespaces (some containers), the
command runs directly with the same limits, the same clean environment, a new
session and process group, a private copy of the files in a temporary folder
(mode 0700) and, as root, a dedicated uid when the interpreter is reachable by
other users. :attr:`Isolation.not_isolated` lists what is then *not* isolated
(``"network"``, ``"filesystem"``, and ``"signals"``/``"process count"`` when it
has to run as the grader's own user) and :attr:`Isolation.description` says so
in a sentence meant for every report. :func:`probe_bwrap` decides once per
process (cached); ``mode="fallback"`` forces the fallback (tests use it).
"""

from __future__ import annotations

import math
import os
import resource
import secrets
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

from graphviz_autodiff.i18n import tr

from .protocol import RESULT_FD_ENV, DecodedStream, Frame, FrameLimits, decode_stream

__all__ = [
    "DEFAULT_OUTPUT_CAP",
    "DEFAULT_RESULT_CAP",
    "SANDBOX_HOME",
    "UID_BASE",
    "BwrapProbe",
    "Isolation",
    "Limits",
    "SandboxError",
    "SandboxResult",
    "bwrap_command",
    "default_ro_paths",
    "package_root",
    "probe_bwrap",
    "run_sandboxed",
    "sandbox_environment",
]

#: Working directory and HOME inside the bubblewrap sandbox.
SANDBOX_HOME = "/home/student"
#: Bytes of stdout (and, separately, of stderr) kept by default.
DEFAULT_OUTPUT_CAP = 1 << 20
#: Bytes of the result channel read at most by default.
DEFAULT_RESULT_CAP = 64 << 20
#: First uid used for sandboxed processes when the grader runs as root (one uid per concurrent run).
UID_BASE = 61000
_UID_SLOTS = 1024
_DRAIN_SECONDS = 1.0  # after the command exits, how long escaped writers may keep the pipes open
_KILL_WAIT_SECONDS = 5.0  # after a kill, how long to wait for bwrap before killing it too
_GIVE_UP_SECONDS = 30.0  # after the deadline, how long to wait for a process that does not die
_MAX_FILES = 2000
_TOKEN_ENV = "GAD_SANDBOX_TOKEN"  # fallback: marks the run's processes, found in /proc/*/environ when they escape
_ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime")


class SandboxError(RuntimeError):
    """The sandbox could not be set up (bad arguments, bwrap requested but unusable, unreadable file)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one run (``setrlimit`` in the child before ``exec``).

    Parameters
    ----------
    memory_mb
        Address space (``RLIMIT_AS``) in MiB; NumPy needs about 300.
    cpu_seconds
        CPU time per process (``RLIMIT_CPU``); ``None``: the timeout plus one second.
    processes
        Processes and threads of the sandbox's uid (``RLIMIT_NPROC``); when the
        command must run as the grader's own non-root user, the user's current
        count is added.
    file_size_mb
        Largest file the command may write (``RLIMIT_FSIZE``), in MiB.
    open_files
        Open descriptors (``RLIMIT_NOFILE``).
    work_dir_mb
        Size of the private tmpfs at :data:`SANDBOX_HOME` (and of ``/tmp``), in MiB
        (bubblewrap only).
    """

    memory_mb: int = 1024
    cpu_seconds: float | None = None
    processes: int = 64
    file_size_mb: int = 64
    open_files: int = 256
    work_dir_mb: int = 256


@dataclass(frozen=True)
class Isolation:
    """How a run was confined.

    Attributes
    ----------
    mode
        ``"bwrap"`` or ``"fallback"``.
    isolated
        True when the filesystem and network are isolated (bubblewrap).
    not_isolated
        What is *not* isolated, from ``("network", "filesystem", "signals",
        "process count")``: empty under bubblewrap.
    uid
        The uid the command ran as, ``None`` when it ran as the grader's user.
    tool
        bubblewrap's version string (``"bubblewrap 0.8.0"``).
    reason
        Why bubblewrap could not be used (fallback mode), as the system said it.
    limits
        ``(memory MB, CPU s, processes, file size MB, open files)``.

    Examples
    --------
    >>> iso = Isolation("fallback", False, ("network", "filesystem"), reason="no bwrap", limits=(1024, 61, 64, 64, 256))
    >>> iso.description[:38]
    'NOT ISOLATED: network, filesystem. bub'
    >>> iso.describe("ru")[:41]
    'НЕ ИЗОЛИРОВАНО: сеть, файловая система. b'
    """

    mode: str
    isolated: bool
    not_isolated: tuple[str, ...]
    uid: int | None = None
    tool: str = "bubblewrap"
    reason: str = ""
    limits: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)

    def describe(self, lang: str = "en") -> str:
        """One sentence for reports in ``lang``; in fallback mode it starts with "NOT ISOLATED" (en)."""
        memory, cpu, processes, files, open_files = self.limits
        limits = tr(
            "grade.isolation.limits",
            lang,
            memory=memory,
            cpu=cpu,
            processes=processes,
            files=files,
            open_files=open_files,
        )
        if self.uid is not None:
            who = tr("grade.isolation.own_uid", lang)
        else:
            who = tr("grade.isolation.grader_user", lang)
        if self.isolated:
            return tr("grade.isolation.bwrap", lang, tool=self.tool, home=SANDBOX_HOME, who=who, limits=limits)
        parts = [part.replace(" ", "_") for part in self.not_isolated]
        missing = ", ".join(tr(f"grade.isolation.missing_{part}", lang) for part in parts)
        return tr("grade.isolation.fallback", lang, missing=missing, reason=self.reason, who=who, limits=limits)

    @property
    def description(self) -> str:
        """:meth:`describe` in English."""
        return self.describe("en")


@dataclass(frozen=True)
class SandboxResult:
    """Everything the grader learns from one run.

    Attributes
    ----------
    exit_code
        The command's exit status, ``None`` when it was killed on timeout. Under
        bubblewrap a command ended by signal N exits with 128 + N, as in a shell.
    signal
        The signal that ended the command when known (exactly in fallback mode,
        decoded from 128 + N under bubblewrap), else ``None``.
    timed_out
        The wall-clock timeout fired.
    wall_seconds
        Time from start to exit (or to the kill).
    cpu_seconds
        User + system CPU time of the command and the children it waited for.
    stdout, stderr
        The captured output, decoded as UTF-8 with replacement, at most the cap.
    stdout_truncated, stderr_truncated
        More was written than the cap.
    stdout_bytes, stderr_bytes
        How many bytes the command wrote in total (read and drained).
    frames
        Valid frames of the result channel, in order.
    protocol_error
        Why the rest of the result channel was dropped (malformed, cut, over the cap), or ``None``.
    isolation
        How the run was confined.
    notes
        English sentences for the report ("stdout cut after 1 MB (200 MB written)").
    """

    exit_code: int | None
    signal: int | None
    timed_out: bool
    wall_seconds: float
    cpu_seconds: float
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    stdout_bytes: int
    stderr_bytes: int
    frames: tuple[Frame, ...]
    protocol_error: str | None
    isolation: Isolation
    notes: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        """``"timeout"``, ``"signal"`` (killed: memory, CPU limit...), or ``"exit"``."""
        if self.timed_out:
            return "timeout"
        return "signal" if self.signal is not None else "exit"


@dataclass(frozen=True)
class BwrapProbe:
    """Whether bubblewrap can run here.

    Attributes
    ----------
    ok
        A trivial sandbox with the grader's namespace flags ran.
    version
        ``bwrap --version`` output (``"bubblewrap 0.8.0"``), or ``None``.
    reason
        Why not, when ``ok`` is false.
    """

    ok: bool
    version: str | None = None
    reason: str | None = None


# -- what the sandbox sees ---------------------------------------------------------------------------
def package_root() -> Path:
    """The directory holding the ``graphviz_autodiff`` package (put on the sandbox's ``PYTHONPATH``)."""
    return Path(__file__).resolve().parents[3]


def default_ro_paths() -> tuple[Path, ...]:
    """Host directories bound read-only at their own paths: Python prefixes and the project's packages.

    Paths already visible through ``/usr`` and paths inside another listed path are left out.
    """
    candidates = [Path(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}]
    root = package_root()
    candidates += [root / "graphviz_autodiff"]
    if (root / "viz" / "__init__.py").is_file():
        candidates.append(root / "viz")
    return _outermost(p.resolve() for p in candidates)


def _outermost(paths: Iterator[Path] | Sequence[Path]) -> tuple[Path, ...]:
    unique = sorted({p for p in paths if p.exists() and not _is_within(p, Path("/usr"))}, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for path in unique:
        if path != Path("/") and not any(_is_within(path, k) for k in kept):
            kept.append(path)
    return tuple(sorted(kept))


def _is_within(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def sandbox_environment(home: str, tmp: str, result_fd: int, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The complete environment of a sandboxed command (nothing is inherited from the grader).

    Parameters
    ----------
    home
        Working directory and ``HOME``.
    tmp
        ``TMPDIR``.
    result_fd
        Descriptor number of the result channel, put in :data:`.protocol.RESULT_FD_ENV`.
    extra
        More variables chosen by the grader (never secrets: the submission can read them).
    """
    path = os.pathsep.join(dict.fromkeys([str(Path(sys.prefix) / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]))
    env = {
        "PATH": path,
        "HOME": home,
        "TMPDIR": tmp,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONPATH": str(package_root()),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        RESULT_FD_ENV: str(result_fd),
        "GAD_WORK_DIR": home,
    }
    env.update(extra or {})
    return env


def bwrap_command(
    command: Sequence[str],
    *,
    uid: int | None,
    ro_paths: Sequence[Path],
    work_dir_mb: int = 256,
    data_fds: Mapping[str, int] | None = None,
    file_fds: Sequence[tuple[str, int]] = (),
    dirs: Sequence[str] = (),
) -> list[str]:
    """The ``bwrap`` command line that runs ``command`` in the sandbox described in the module docstring.

    Parameters
    ----------
    command
        The command as seen inside the sandbox.
    uid
        Run as this uid (the grader is root: namespaces without a user namespace,
        ``setpriv`` drops to ``uid``), or ``None`` (unprivileged grader: ``--unshare-all``
        with a user namespace).
    ro_paths
        Host directories bound read-only at their own paths.
    work_dir_mb
        Size of the tmpfs at :data:`SANDBOX_HOME` and of ``/tmp``.
    data_fds
        Sandbox path to a descriptor whose content becomes a read-only file there (``/etc/passwd``...).
    file_fds
        ``(path relative to SANDBOX_HOME, descriptor)`` pairs copied into the work dir (writable copies).
    dirs
        Directories (relative to SANDBOX_HOME) to create first.
    """
    argv = ["bwrap"]
    if uid is None:
        argv += ["--unshare-all"]
    else:
        argv += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    argv += ["--as-pid-1", "--hostname", "sandbox", "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        top = Path("/") / name
        if top.is_symlink():
            argv += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            argv += ["--ro-bind", str(top), str(top)]
    argv += ["--perms", "0755", "--dir", "/etc"]
    for path in _ETC_FILES:
        argv += ["--ro-bind-try", path, path]
    for dest, fd in sorted((data_fds or {}).items()):
        argv += ["--perms", "0644", "--ro-bind-data", str(fd), dest]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    size = str(work_dir_mb << 20)
    argv += ["--perms", "1777", "--size", size, "--tmpfs", "/tmp"]
    created = {"/", "/etc", "/tmp", "/proc", "/dev", "/usr"}
    for path in ro_paths:
        for parent in reversed(path.parents):
            if str(parent) not in created:
                created.add(str(parent))
                argv += ["--perms", "0755", "--dir", str(parent)]
        argv += ["--ro-bind", str(path), str(path)]
        created.add(str(path))
    for parent in reversed(PurePosixPath(SANDBOX_HOME).parents):
        if str(parent) not in created:
            created.add(str(parent))
            argv += ["--perms", "0755", "--dir", str(parent)]
    argv += ["--perms", "0777", "--size", size, "--tmpfs", SANDBOX_HOME]
    for rel in dirs:
        argv += ["--perms", "0777", "--dir", f"{SANDBOX_HOME}/{rel}"]
    for rel, fd in file_fds:
        argv += ["--perms", "0666", "--file", str(fd), f"{SANDBOX_HOME}/{rel}"]
    argv += ["--chdir", SANDBOX_HOME]
    if uid is not None:
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--", _setpriv(), f"--reuid={uid}"]
        argv += [f"--regid={uid}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
    argv += ["--", *command]
    return argv


def _setpriv() -> str:
    return shutil.which("setpriv", path="/usr/bin:/bin") or "/usr/bin/setpriv"


# -- the probe ---------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def probe_bwrap() -> BwrapProbe:
    """Check once (cached for the process) that bubblewrap can create the grader's sandbox here.

    Returns
    -------
    BwrapProbe
        ``ok`` when ``bwrap`` (and, as root, ``setpriv``) ran ``true`` in the same
        namespaces as a real run; else the reason (missing binary, "Operation not
        permitted" in an unprivileged container...).
    """
    if shutil.which("bwrap") is None:
        return BwrapProbe(False, None, "bwrap is not installed (Debian: apt-get install bubblewrap)")
    try:
        version = subprocess.run(["bwrap", "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError) as error:
        return BwrapProbe(False, None, f"bwrap --version failed: {error}")
    name = version.stdout.strip() or None
    uid = UID_BASE + _UID_SLOTS - 1 if os.geteuid() == 0 else None
    if uid is not None and not Path(_setpriv()).exists():
        return BwrapProbe(False, name, "setpriv (util-linux) is missing, needed to drop root inside bwrap")
    argv = bwrap_command(["/usr/bin/true"], uid=uid, ro_paths=(), work_dir_mb=1)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False, env={"PATH": "/usr/bin"})
    except (OSError, subprocess.SubprocessError) as error:
        return BwrapProbe(False, name, f"bwrap could not run: {error}")
    if done.returncode != 0:
        return BwrapProbe(False, name, (done.stderr.strip() or f"exit status {done.returncode}")[:300])
    return BwrapProbe(True, name)


# -- uids and processes --------------------------------------------------------------------------------
class _UidPool:
    """Distinct uids for concurrent runs, across every grader process of the machine.

    Each uid in use is held with an exclusive ``flock`` on ``<lock dir>/<uid>.lock``
    (:func:`_uid_lock_dir`, owned by root, mode 0700) for the whole run: a
    second grader on the same machine (two TAs, two test suites) skips the uids
    the first one holds, so that neither kills the other's sandboxes when it
    cleans up "its" uid.
    """

    def __init__(self, base: int, size: int) -> None:
        self._lock = threading.Lock()
        self._base, self._size = base, size
        self._held: dict[int, int] = {}  # uid -> descriptor holding its flock

    def acquire(self) -> int:
        with self._lock:
            folder = _uid_lock_dir()
            start = (os.getpid() * 7919) % self._size  # graders on one machine start apart: fewer lock contests
            for slot in range(self._size):
                uid = self._base + (start + slot) % self._size
                if uid in self._held:
                    continue
                fd = _try_flock(folder / f"{uid}.lock")
                if fd is not None:
                    self._held[uid] = fd
                    break
            else:
                raise SandboxError(f"more than {self._size} concurrent sandboxes")
        _kill_uid(uid)  # leftovers of a grader that died
        return uid

    def release(self, uid: int) -> None:
        _kill_uid(uid)
        with self._lock:
            fd = self._held.pop(uid, None)
        if fd is not None:
            os.close(fd)  # releases the flock


def _uid_lock_dir() -> Path:
    """A folder for the uid locks that only this (root) user can write: ``/run/lock/...``, else ``/tmp/...``."""
    for candidate in (Path("/run/lock/graphviz_autodiff-uids"), Path(tempfile.gettempdir()) / "graphviz_autodiff-uids"):
        with suppress(OSError):
            candidate.mkdir(mode=0o700, exist_ok=True)
            info = candidate.lstat()
            if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o077:
                return candidate
    raise SandboxError("no private folder for the sandbox uid locks (/run/lock or the temporary folder)")


def _try_flock(path: Path) -> int | None:
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


_UIDS = _UidPool(UID_BASE, _UID_SLOTS - 1)  # the last uid is the probe's


@dataclass(frozen=True)
class _Proc:
    pid: int
    ppid: int
    pgrp: int
    session: int
    state: str
    uid: int


def _processes() -> Iterator[_Proc]:
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat_line = handle.read().decode("ascii", "replace")
            with open(f"/proc/{entry.name}/status", "rb") as handle:
                status = handle.read().decode("ascii", "replace")
        except OSError:
            continue
        fields = stat_line[stat_line.rfind(")") + 2 :].split()
        uid_line = next((line for line in status.splitlines() if line.startswith("Uid:")), "Uid:\t-1")
        yield _Proc(
            int(entry.name), int(fields[1]), int(fields[2]), int(fields[3]), fields[0], int(uid_line.split()[1])
        )


def _kill(pid: int, sig: int = signal.SIGKILL) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _killpg(pgid: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _live_pids_of_uid(uid: int) -> list[int]:
    """Live processes whose real uid is ``uid`` (one read of ``/proc/PID/status`` each: this runs thrice a run)."""
    found = []
    wanted = b"\nUid:\t%d\t" % uid
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", "rb") as handle:
                status = handle.read(2048)
        except OSError:
            continue
        at = status.find(b"\nState:\t")
        if wanted in status and at >= 0 and status[at + 8 : at + 9] not in (b"Z", b"X"):
            found.append(int(entry.name))
    return found


def _kill_uid(uid: int, rounds: int = 200) -> None:
    """SIGKILL every live process whose real uid is ``uid``, until none is left (a fork bomb refills)."""
    for _ in range(rounds):
        victims = _live_pids_of_uid(uid)
        if not victims:
            return
        for pid in victims:
            _kill(pid)
        time.sleep(0.005)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return [p.pid for p in _processes() if p.ppid == pid]


# -- files ---------------------------------------------------------------------------------------------
def _normalise_files(files: Mapping[str, bytes | os.PathLike[str]] | None) -> list[tuple[str, bytes | Path]]:
    entries = []
    for name, content in sorted((files or {}).items()):
        rel = PurePosixPath(name)
        if (
            not name
            or "\0" in name
            or rel.is_absolute()
            or any(part in ("", ".", "..") for part in name.split("/"))
            or any(len(part.encode()) > 255 for part in rel.parts)
        ):
            raise SandboxError(f"invalid file name for the sandbox: {name[:100]!r}")
        if not isinstance(content, bytes | bytearray):
            content = Path(content)
        entries.append((str(rel), bytes(content) if isinstance(content, bytearray) else content))
    if len(entries) > _MAX_FILES:
        raise SandboxError(f"{len(entries)} files, more than {_MAX_FILES}")
    return entries


def _parent_dirs(names: Sequence[str]) -> list[str]:
    dirs = {str(parent) for name in names for parent in PurePosixPath(name).parents if str(parent) != "."}
    return sorted(dirs, key=lambda d: (d.count("/"), d))


class _Descriptors:
    """The descriptors one run opened, each closed exactly once.

    Closing a number twice could close a descriptor that another thread (another
    run) has just been given, so every close goes through here.
    """

    def __init__(self) -> None:
        self._open: set[int] = set()

    def own(self, fd: int) -> int:
        self._open.add(fd)
        return fd

    def close(self, fd: int) -> None:
        if fd in self._open:
            self._open.discard(fd)
            with suppress(OSError):
                os.close(fd)

    def close_all(self) -> None:
        for fd in sorted(self._open):
            self.close(fd)


def _open_content(content: bytes | Path, fds: _Descriptors) -> int:
    """A descriptor reading ``content`` from its start (memfd for bytes; a regular file, never a symlink)."""
    if isinstance(content, bytes):
        fd = fds.own(os.memfd_create("gad-file", os.MFD_CLOEXEC))
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
        return fd
    try:
        fd = fds.own(os.open(content, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC))
    except OSError as error:
        raise SandboxError(f"cannot read {content}: {error.strerror}") from error
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        raise SandboxError(f"not a regular file: {content}")
    return fd


def _system_files(uid: int | None) -> dict[str, bytes]:
    user = uid if uid is not None else os.getuid()
    passwd = f"root:x:0:0:root:/root:/bin/sh\nstudent:x:{user}:{user}:student:{SANDBOX_HOME}:/bin/sh\n"
    return {
        "/etc/passwd": passwd.encode(),
        "/etc/group": f"root:x:0:\nstudent:x:{user}:\n".encode(),
        "/etc/hosts": b"127.0.0.1 localhost sandbox\n::1 localhost\n",
    }


def _others_can_run(path: str) -> bool:
    """Whether a user other than the owner (and not in its group) can execute ``path`` and reach it."""
    resolved = shutil.which(path) if "/" not in path else path
    if resolved is None:
        return False
    real = Path(os.path.realpath(resolved))
    try:
        if not os.stat(real).st_mode & stat.S_IXOTH:
            return False
        return all(os.stat(parent).st_mode & stat.S_IXOTH for parent in real.parents)
    except OSError:
        return False


def _others_can_read_tree(path: Path) -> bool:
    try:
        return all(os.stat(p).st_mode & stat.S_IXOTH for p in [path, *path.parents])
    except OSError:
        return False


# -- output capture ------------------------------------------------------------------------------------
class _Capture:
    """Keep the first ``cap`` bytes of a stream, count the rest."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        room = self.cap - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        self.total += len(chunk)

    @property
    def truncated(self) -> bool:
        return self.total > self.cap


def _human(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


def _grow_pipe(fd: int) -> None:
    import fcntl

    with suppress(OSError, AttributeError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)


# -- limits --------------------------------------------------------------------------------------------
def _rlimits(limits: Limits, timeout: float, uid: int | None) -> list[tuple[int, tuple[int, int]]]:
    cpu = math.ceil(limits.cpu_seconds if limits.cpu_seconds is not None else timeout + 1)
    processes = limits.processes
    if uid is None and os.geteuid() != 0:  # the grader's own user: its processes count too
        processes += sum(1 for p in _processes() if p.uid == os.getuid())
    memory = limits.memory_mb << 20
    return [
        (resource.RLIMIT_AS, (memory, memory)),
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_NPROC, (processes, processes)),
        (resource.RLIMIT_FSIZE, (limits.file_size_mb << 20, limits.file_size_mb << 20)),
        (resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files)),
        (resource.RLIMIT_CORE, (0, 0)),
    ]


def _preexec(rlimits: list[tuple[int, tuple[int, int]]], drop_to: int | None) -> Callable[[], None]:
    """The function run in the child between fork and exec: limits, then (fallback as root) the uid."""

    def preexec() -> None:
        for which, value in rlimits:
            resource.setrlimit(which, value)
        if drop_to is not None:
            os.setgroups([])
            os.setgid(drop_to)
            os.setuid(drop_to)

    return preexec


# -- the run -------------------------------------------------------------------------------------------
def run_sandboxed(
    command: Sequence[str],
    *,
    files: Mapping[str, bytes | os.PathLike[str]] | None = None,
    timeout: float = 60.0,
    limits: Limits | None = None,
    mode: str = "auto",
    output_cap: int = DEFAULT_OUTPUT_CAP,
    result_cap: int = DEFAULT_RESULT_CAP,
    frame_limits: FrameLimits | None = None,
    env: Mapping[str, str] | None = None,
    ro_paths: Sequence[os.PathLike[str] | str] | None = None,
) -> SandboxResult:
    """Run ``command`` for one submission in a sandbox and return what happened.

    Parameters
    ----------
    command
        Program and arguments as seen inside the sandbox (``sys.executable`` is
        valid there: the Python prefixes are bound at their host paths). Relative
        paths are relative to the work dir holding ``files``.
    files
        Relative path in the work dir to content: ``bytes`` or a host path of a
        regular file (symlinks are refused). They are copies: the command may
        change or delete them, never the originals.
    timeout
        Wall-clock seconds before everything is killed.
    limits
        Resource limits (default :class:`Limits`).
    mode
        ``"auto"`` (bubblewrap when :func:`probe_bwrap` succeeds, else the
        fallback), ``"bwrap"`` (raise :class:`SandboxError` when unusable) or
        ``"fallback"``.
    output_cap
        Bytes kept of stdout and of stderr each.
    result_cap
        Bytes read at most from the result channel.
    frame_limits
        Limits of each frame (default :class:`.protocol.FrameLimits`).
    env
        Extra environment variables (the submission can read them).
    ro_paths
        Host directories bound read-only (default :func:`default_ro_paths`);
        bubblewrap only.

    Returns
    -------
    SandboxResult

    Raises
    ------
    SandboxError
        Invalid arguments or file names, an unreadable input file, or ``mode="bwrap"`` where bwrap cannot run.
    """
    if not command or not all(isinstance(part, str) for part in command):
        raise SandboxError("command must be a non-empty list of strings")
    if not timeout > 0:
        raise SandboxError("timeout must be positive")
    if mode not in ("auto", "bwrap", "fallback"):
        raise SandboxError(f"mode must be 'auto', 'bwrap' or 'fallback', not {mode!r}")
    limits = limits or Limits()
    entries = _normalise_files(files)
    probe = probe_bwrap() if mode != "fallback" else BwrapProbe(False, None, "fallback requested")
    if mode == "bwrap" and not probe.ok:
        raise SandboxError(f"bubblewrap cannot run here: {probe.reason}")
    use_bwrap = probe.ok
    paths = _outermost([Path(p).resolve() for p in ro_paths]) if ro_paths is not None else default_ro_paths()
    root = os.geteuid() == 0
    drop = root and (use_bwrap or (_others_can_run(command[0]) and _others_can_read_tree(package_root())))
    uid = _UIDS.acquire() if drop else None
    isolation = _isolation(use_bwrap, probe, uid, limits, timeout)
    try:
        with ExitStack() as stack:
            fds = _Descriptors()
            stack.callback(fds.close_all)
            if use_bwrap:
                launch = _prepare_bwrap(command, entries, uid, paths, limits, env, fds)
            else:
                launch = _prepare_fallback(command, entries, uid, env, fds, stack)
            return _launch_and_supervise(launch, limits, timeout, uid, output_cap, result_cap, frame_limits, isolation)
    finally:
        if uid is not None:
            _UIDS.release(uid)


@dataclass
class _Launch:
    argv: list[str]
    env: dict[str, str]
    cwd: str | None
    pass_fds: list[int]
    result_read: int
    result_write: int
    drop_to: int | None
    bwrap: bool
    fds: _Descriptors
    token: str = ""


def _result_pipe(fds: _Descriptors) -> tuple[int, int]:
    read, write = os.pipe2(os.O_CLOEXEC)
    fds.own(read)
    fds.own(write)
    _grow_pipe(read)
    return read, write


def _prepare_bwrap(
    command: Sequence[str],
    entries: list[tuple[str, bytes | Path]],
    uid: int | None,
    paths: Sequence[Path],
    limits: Limits,
    env: Mapping[str, str] | None,
    fds: _Descriptors,
) -> _Launch:
    read, write = _result_pipe(fds)
    file_fds = [(name, _open_content(content, fds)) for name, content in entries]
    data_fds = {dest: _open_content(content, fds) for dest, content in _system_files(uid).items()}
    argv = bwrap_command(
        command,
        uid=uid,
        ro_paths=paths,
        work_dir_mb=limits.work_dir_mb,
        data_fds=data_fds,
        file_fds=file_fds,
        dirs=_parent_dirs([name for name, _ in entries]),
    )
    argv[0] = shutil.which("bwrap") or "bwrap"
    environment = sandbox_environment(SANDBOX_HOME, "/tmp", write, env)
    passed = [write, *(fd for _, fd in file_fds), *data_fds.values()]
    return _Launch(argv, environment, None, passed, read, write, None, True, fds)


def _prepare_fallback(
    command: Sequence[str],
    entries: list[tuple[str, bytes | Path]],
    uid: int | None,
    env: Mapping[str, str] | None,
    fds: _Descriptors,
    stack: ExitStack,
) -> _Launch:
    read, write = _result_pipe(fds)
    work = Path(tempfile.mkdtemp(prefix="gad-sandbox-"))
    stack.callback(_remove_tree, work)
    tmp = work / ".tmp"
    tmp.mkdir()
    for name, content in entries:
        target = work / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            fd = _open_content(content, fds)
            with open(target, "wb") as out, os.fdopen(os.dup(fd), "rb") as source:
                shutil.copyfileobj(source, out)
    if uid is not None:
        for path in [work, *work.rglob("*")]:
            os.lchown(path, uid, uid)
    os.chmod(work, 0o700)
    token = secrets.token_hex(16)
    environment = sandbox_environment(str(work), str(tmp), write, env)
    environment[_TOKEN_ENV] = token
    return _Launch(list(command), environment, str(work), [write], read, write, uid, False, fds, token)


def _remove_tree(path: Path) -> None:
    def unlock(function: Callable[..., object], failed: str, _info: object) -> None:
        with suppress(OSError):
            os.chmod(os.path.dirname(failed), 0o700)
            os.chmod(failed, 0o700)
            function(failed)

    shutil.rmtree(path, onerror=unlock)


def _isolation(use_bwrap: bool, probe: BwrapProbe, uid: int | None, limits: Limits, timeout: float) -> Isolation:
    cpu = limits.cpu_seconds if limits.cpu_seconds is not None else timeout + 1
    numbers = (limits.memory_mb, math.ceil(cpu), limits.processes, limits.file_size_mb, limits.open_files)
    if use_bwrap:
        return Isolation("bwrap", True, (), uid, probe.version or "bubblewrap", "", numbers)
    missing = ["network", "filesystem"]
    if uid is None:
        missing.append("signals")
        if os.geteuid() == 0:
            missing.append("process count")
    return Isolation("fallback", False, tuple(missing), uid, "bubblewrap", probe.reason or "", numbers)


def _launch_and_supervise(
    launch: _Launch,
    limits: Limits,
    timeout: float,
    uid: int | None,
    output_cap: int,
    result_cap: int,
    frame_limits: FrameLimits | None,
    isolation: Isolation,
) -> SandboxResult:
    rlimits = _rlimits(limits, timeout, uid)
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            launch.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=launch.cwd,
            env=launch.env,
            pass_fds=launch.pass_fds,
            start_new_session=True,
            preexec_fn=_preexec(rlimits, launch.drop_to),  # minimal: setrlimit and setuid only
        )
    except OSError as error:
        raise SandboxError(f"cannot start {launch.argv[0]}: {error}") from error
    for fd in launch.pass_fds:  # the child has them now
        launch.fds.close(fd)
    stdout, stderr = proc.stdout, proc.stderr
    if stdout is None or stderr is None:  # pragma: no cover - PIPE was requested
        raise SandboxError("no pipes to the command")
    out, err, res = _Capture(output_cap), _Capture(output_cap), _Capture(result_cap)
    captures = {stdout.fileno(): out, stderr.fileno(): err, launch.result_read: res}
    try:
        timed_out, ended = _supervise(launch, proc, captures, start + timeout, uid)
        status, usage = _reap(launch, proc, uid)
    finally:
        stdout.close()
        stderr.close()
    wall = (ended if not timed_out else start + timeout) - start
    return _result(status, usage, timed_out, wall, out, err, res, launch.bwrap, frame_limits, isolation)


def _supervise(
    launch: _Launch, proc: subprocess.Popen[bytes], captures: dict[int, _Capture], deadline: float, uid: int | None
) -> tuple[bool, float]:
    """Read all pipes until the command ended and they closed; kill on the deadline. Return (timed_out, end time)."""
    selector = selectors.DefaultSelector()
    for fd in captures:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    pidfd = None
    with suppress(OSError, AttributeError):
        pidfd = os.pidfd_open(proc.pid)
        selector.register(pidfd, selectors.EVENT_READ)
    open_fds = set(captures)
    timed_out, ended, killed_at = False, None, None
    try:
        while True:
            now = time.monotonic()
            if ended is None and timed_out and now >= deadline + _GIVE_UP_SECONDS:
                return timed_out, now  # unkillable (a process stuck in the kernel): stop waiting for it
            if ended is None and _has_exited(proc.pid):
                ended = now
                _kill_sandbox(launch, proc.pid, uid)
            if ended is None and not timed_out and now >= deadline:
                timed_out, killed_at = True, now
                _kill_sandbox(launch, proc.pid, uid)
            if ended is None and killed_at is not None and now >= killed_at + _KILL_WAIT_SECONDS:
                _killpg(proc.pid)
                _kill(proc.pid)
                killed_at = now
            if ended is not None and (not open_fds or now >= ended + _DRAIN_SECONDS):
                return timed_out, ended
            if ended is not None:
                wait = ended + _DRAIN_SECONDS - now
            elif timed_out:
                wait = 0.05
            else:
                wait = deadline - now
            wait = max(0.0, min(wait, 0.05 if pidfd is None else 0.5))
            for key, _ in selector.select(wait):
                if key.fd == pidfd:
                    selector.unregister(pidfd)
                    continue
                _read_some(key.fd, captures[key.fd], selector, open_fds)
    finally:
        selector.close()
        if pidfd is not None:
            os.close(pidfd)


def _read_some(fd: int, capture: _Capture, selector: selectors.BaseSelector, open_fds: set[int]) -> None:
    try:
        chunk = os.read(fd, 1 << 20)
    except BlockingIOError:
        return
    except OSError:
        chunk = b""
    if chunk:
        capture.add(chunk)
    else:
        selector.unregister(fd)
        open_fds.discard(fd)


def _has_exited(pid: int) -> bool:
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _kill_sandbox(launch: _Launch, pid: int, uid: int | None) -> None:
    """Kill everything the run started. ``pid`` is not reaped yet, so neither it nor its group can be reused.

    Under bubblewrap, killing bwrap's child (PID 1 of the namespace) ends every process in it. In the
    fallback, the session and group of the command are killed, then every process whose environment
    still holds the run's token (a daemon that called ``setsid``).
    """
    if launch.bwrap:
        for child in _children(pid):
            _kill(child)
    else:
        marker = f"{_TOKEN_ENV}={launch.token}".encode()
        for process in _processes():
            if process.session == pid or process.pgrp == pid or _environ_has(process.pid, marker):
                _kill(process.pid)
    _killpg(pid)
    if uid is not None:
        _kill_uid(uid)


def _environ_has(pid: int, marker: bytes) -> bool:
    if pid == os.getpid():
        return False
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            return marker in handle.read().split(b"\0")
    except OSError:
        return False


def _reap(launch: _Launch, proc: subprocess.Popen[bytes], uid: int | None) -> tuple[int, resource.struct_rusage | None]:
    """Collect the exit status and resource usage; kill again now and then; give up on an unkillable process."""
    start = time.monotonic()
    next_kill = start + _KILL_WAIT_SECONDS
    while True:
        try:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        except ChildProcessError:
            proc.returncode = proc.returncode if proc.returncode is not None else -signal.SIGKILL
            return _status_from_code(proc.returncode), None
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return status, usage
        now = time.monotonic()
        if now >= start + _GIVE_UP_SECONDS:
            return _status_from_code(-signal.SIGKILL), None  # Popen reaps it later, when it finally dies
        if now >= next_kill:
            _kill_sandbox(launch, proc.pid, uid)
            _kill(proc.pid)
            next_kill = now + _KILL_WAIT_SECONDS
        time.sleep(0.01)


def _status_from_code(code: int) -> int:
    return (-code) & 0x7F if code < 0 else (code & 0xFF) << 8


def _result(
    status: int,
    usage: resource.struct_rusage | None,
    timed_out: bool,
    wall: float,
    out: _Capture,
    err: _Capture,
    res: _Capture,
    bwrap: bool,
    frame_limits: FrameLimits | None,
    isolation: Isolation,
) -> SandboxResult:
    exit_code: int | None
    signal_number: int | None = None
    if os.WIFSIGNALED(status):
        exit_code, signal_number = None, os.WTERMSIG(status)
    else:
        exit_code = os.WEXITSTATUS(status)
        if bwrap and exit_code > 128 and exit_code - 128 < signal.NSIG:
            signal_number = exit_code - 128
    if timed_out:
        exit_code, signal_number = None, None
    stream = decode_stream(bytes(res.data), limits=frame_limits) if res.data else DecodedStream(())
    protocol_error = stream.error
    if res.truncated:
        protocol_error = f"result channel over {_human(res.cap)}; the rest was dropped"
    notes = []
    for name, capture in (("stdout", out), ("stderr", err)):
        if capture.truncated:
            notes.append(f"{name} cut after {_human(capture.cap)} ({_human(capture.total)} written)")
    if timed_out:
        notes.append(f"stopped after {wall:.3g} s (timeout)")
    cpu = usage.ru_utime + usage.ru_stime if usage is not None else 0.0
    return SandboxResult(
        exit_code=exit_code,
        signal=signal_number,
        timed_out=timed_out,
        wall_seconds=wall,
        cpu_seconds=cpu,
        stdout=bytes(out.data).decode("utf-8", errors="replace"),
        stderr=bytes(err.data).decode("utf-8", errors="replace"),
        stdout_truncated=out.truncated,
        stderr_truncated=err.truncated,
        stdout_bytes=out.total,
        stderr_bytes=err.total,
        frames=stream.frames,
        protocol_error=protocol_error,
        isolation=isolation,
        notes=tuple(notes),
    )
