"""Fixtures of the real-browser tests: Debian's Chromium driven by Playwright, and a Voila server.

* ``browser_context``: Chromium from ``/usr/bin/chromium`` (Playwright cannot download browsers here), headless,
  with a fresh profile. Without it the tests fail when the environment variable ``CI`` is set (CI installs it:
  ``make test`` runs ``scripts/ensure_system_deps.sh``), and are skipped with the reason otherwise.
* ``voila_url``: ``voila notebooks/02_step_through_backprop.ipynb`` on 127.0.0.1 and a free port, without a
  token, in its own process group, on a kernel that runs this interpreter; stopped (SIGINT, then SIGKILL) when
  the tests are done, whatever happened. Its log is printed if it fails to start.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "02_step_through_backprop.ipynb"
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
TIMEOUT_MS = 60_000
START_SECONDS = 60.0


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
    """A new tab, with generous timeouts (a loaded machine is slow, never wrong)."""
    tab = browser_context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    try:
        yield tab
    finally:
        tab.close()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _kernelspec(root: Path) -> Path:
    """A ``python3`` kernelspec that runs this interpreter (the one with the package installed)."""
    spec_dir = root / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (browser tests)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return root


def _stop(process: subprocess.Popen) -> None:
    """SIGINT to the server's process group (Voila then stops its kernel), SIGKILL if it does not exit."""
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


@pytest.fixture(scope="module")
def voila_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``http://127.0.0.1:<port>/``: Voila serving the stepper notebook, stopped afterwards."""
    require_chromium()  # no browser, no reason to start a server
    workdir = tmp_path_factory.mktemp("voila")
    jupyter_path = _kernelspec(workdir / "jupyter")
    env = dict(os.environ)
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(jupyter_path), os.environ.get("JUPYTER_PATH")]))
    env.setdefault("PYTHONPATH", str(ROOT))
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "voila",
        str(NOTEBOOK),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
    ]
    log_path = workdir / "voila.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + START_SECONDS
            while not _listening(port):
                if process.poll() is not None:
                    pytest.fail(f"Voila exited with status {process.returncode}:\n{log_path.read_text()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"Voila did not open port {port} within {START_SECONDS:g} s:\n{log_path.read_text()}")
                time.sleep(0.2)
            yield f"http://127.0.0.1:{port}/"
        finally:
            _stop(process)
