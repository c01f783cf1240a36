"""Fixtures of the real-browser tests: Debian's Chromium driven by Playwright, Voila and JupyterLab servers.

* ``browser_context``: Chromium from ``/usr/bin/chromium`` (Playwright cannot download browsers here), headless,
  with a fresh profile. Without it the tests fail when the environment variable ``CI`` is set (CI installs it:
  ``make test`` runs ``scripts/ensure_system_deps.sh``), and are skipped with the reason otherwise.
* ``voila``: ``voila(notebook) -> url``, Voila serving that notebook on 127.0.0.1 and a free port, without a
  token, on a kernel that runs this interpreter (a temporary kernelspec); one server per notebook and module.
* ``jupyterlab``: ``jupyterlab(folder) -> url``, JupyterLab serving ``folder``, token-less, with
  ``window.jupyterapp`` exposed (``--LabApp.expose_app_in_browser``), its settings and workspaces in a
  temporary folder; stopped with ``POST /api/shutdown``.

Every server runs in its own process group and is stopped when the module's tests are done, whatever
happened (SIGINT, then SIGTERM, then SIGKILL to the group); its log is shown if it fails to start.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 120_000  # a loaded 2-core machine is slow, never wrong
START_SECONDS = 120.0


def require_chromium() -> None:
    """Skip (or, under CI, fail) when Debian's Chromium is not installed."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return
    message = (
        f"Chromium is not installed at {CHROMIUM}: install it with 'apt-get install -y chromium' "
        f"('make test' does it when run as root)"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{message}; the browser tests must run in CI.", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium (Playwright's sync API) with a fresh user-data directory."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    """A new tab, with generous timeouts."""
    tab = browser_context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    try:
        yield tab
    finally:
        tab.close()


# -- servers ----------------------------------------------------------------------------------------------------
def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def write_kernelspec(root: Path) -> Path:
    """A ``python3`` kernelspec under ``root/kernels`` that runs this interpreter; returns ``root``."""
    spec_dir = root / "kernels" / "python3"
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (browser tests)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return root


def stop(process: subprocess.Popen) -> None:
    """SIGINT to the server's process group (it then stops its kernels), SIGTERM and SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGINT, 15.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def server_env(workdir: Path) -> dict[str, str]:
    """The environment of a server: this checkout first on ``PYTHONPATH``, a kernelspec of this interpreter,
    and Jupyter's configuration and runtime files in ``workdir`` (nothing of the user's is read or written)."""
    env = dict(os.environ)
    jupyter_path = write_kernelspec(workdir / "jupyter")
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(jupyter_path), os.environ.get("JUPYTER_PATH")]))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env["JUPYTER_CONFIG_DIR"] = str(workdir / "config")
    env["JUPYTER_RUNTIME_DIR"] = str(workdir / "runtime")
    return env


@contextmanager
def serve(command: list[str], cwd: Path, workdir: Path, port: int, name: str) -> Iterator[subprocess.Popen]:
    """Run a server until it listens on ``port``; stop it (and its process group) on exit."""
    log_path = workdir / f"{name}.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, cwd=cwd, env=server_env(workdir), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + START_SECONDS
            while not listening(port):
                if process.poll() is not None:
                    pytest.fail(f"{name} exited with status {process.returncode}:\n{log_path.read_text()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"{name} did not open port {port} within {START_SECONDS:g} s:\n{log_path.read_text()}")
                time.sleep(0.2)
            yield process
        finally:
            stop(process)


@pytest.fixture(scope="module")
def voila(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Path], str]]:
    """``voila(notebook) -> "http://127.0.0.1:<port>/"``: Voila serving ``notebook`` (started once per notebook)."""
    require_chromium()  # no browser, no reason to start a server
    urls: dict[Path, str] = {}
    with ExitStack() as servers:

        def start(notebook: Path) -> str:
            notebook = Path(notebook).resolve()
            if notebook not in urls:
                workdir = tmp_path_factory.mktemp("voila")
                port = free_port()
                command = [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}"]
                command.append("--Voila.ip=127.0.0.1")
                servers.enter_context(serve(command, notebook.parent, workdir, port, "voila"))
                urls[notebook] = f"http://127.0.0.1:{port}/"
            return urls[notebook]

        yield start


def _shutdown(url: str, process: subprocess.Popen) -> None:
    """JupyterLab's own way out: ``POST /api/shutdown`` (it stops its kernels), then wait for it."""
    try:
        urllib.request.urlopen(urllib.request.Request(url + "api/shutdown", method="POST"), timeout=30).close()
        process.wait(timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        pass  # serve() stops the process group in any case


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Path], str]]:
    """``jupyterlab(folder) -> "http://127.0.0.1:<port>/"``: JupyterLab serving ``folder``, token-less."""
    require_chromium()
    with ExitStack() as servers:
        urls: dict[Path, str] = {}

        def start(folder: Path) -> str:
            folder = Path(folder).resolve()
            if folder not in urls:
                workdir = tmp_path_factory.mktemp("jupyterlab")
                port = free_port()
                command = [
                    sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
                    "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
                    "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={folder}",
                    "--LabApp.expose_app_in_browser=True", f"--LabApp.user_settings_dir={workdir / 'settings'}",
                    f"--LabApp.workspaces_dir={workdir / 'workspaces'}", "--LabApp.news_url=None",
                    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                ]  # fmt: skip
                if hasattr(os, "geteuid") and os.geteuid() == 0:
                    command.append("--allow-root")
                process = servers.enter_context(serve(command, folder, workdir, port, "jupyterlab"))
                url = f"http://127.0.0.1:{port}/"
                servers.callback(_shutdown, url, process)
                urls[folder] = url
            return urls[folder]

        yield start
