"""The viewer widget (anywidget) on a real Voila server and kernel, driven in Chromium.

The notebook is generated here: its setup cell is ``tests/viz/viewer/graphs.py`` itself (the lecture's
graph and a two-layer network), then one :class:`viz.viewer.Viewer` per graph, each linked to its
``StepperModel``. Next to each viewer, a Label shows the model's ``step_index`` as the kernel sees it
(so a click's trip to Python is visible), and a Button calls ``model.goto(2)`` in Python (so the trip back
is visible too).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

import viz
from tests.viz.viewer.graphs import lecture_loss, mlp_loss
from viz.viewer import build_payload

from .conftest import (
    ARTIFACTS,
    ROOT,
    START_SECONDS,
    TIMEOUT_MS,
    _kernelspec,
    _listening,
    _stop,
    free_port,
    require_chromium,
)
from .test_viewer_page import CLICKS, REPAINT_BUDGET_MS, WINDOW, Probe, console_errors

pytestmark = pytest.mark.browser

GRAPHS = {"lecture": (lecture_loss, 11.0), "mlp": (mlp_loss, 9.0)}
# Voila's page template asks a CDN for font-awesome (offline here, and not ours): its request and console error.
VOILA_OWN = ("font-awesome", "fontawesome")

_SHOW = """\
import ipywidgets as widgets
from IPython.display import display

import viz
from viz.viewer import Viewer

models = {}
for name, make in (("lecture", lecture_loss), ("mlp", mlp_loss)):
    model = models[name] = viz.StepperModel(make())
    viewer = Viewer.from_model(model)
    viewer.add_class(f"gad-test-{name}")
    echo = widgets.Label(value=f"python step {model.step_index}")
    echo.add_class(f"gad-echo-{name}")
    model.observe(lambda change, echo=echo: setattr(echo, "value", f"python step {change['new']}"), names="step_index")
    goto = widgets.Button(description="python: goto(2)")
    goto.add_class(f"gad-goto-{name}")
    goto.on_click(lambda _, model=model: model.goto(2))
    display(widgets.HBox([echo, goto]), viewer)
"""


def write_notebook(folder: Path) -> Path:
    """The Voila notebook: the graphs (this package's ``graphs.py``), then the viewers."""
    setup = (Path(__file__).parents[1] / "viz" / "viewer" / "graphs.py").read_text(encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(setup), nbformat.v4.new_code_cell(_SHOW)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "viewer.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def voila_viewer_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``http://127.0.0.1:<port>/``: Voila serving the generated viewer notebook, stopped afterwards."""
    require_chromium()
    workdir = tmp_path_factory.mktemp("voila-viewer")
    notebook = write_notebook(workdir)
    env = dict(os.environ)
    jupyter_path = _kernelspec(workdir / "jupyter")
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(jupyter_path), os.environ.get("JUPYTER_PATH")]))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    port = free_port()
    command = [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"]
    log_path = workdir / "voila.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
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


def test_viewer_widgets_in_voila(page: Any, voila_viewer_url: str) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size(WINDOW)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    errors = console_errors(page, ignore=VOILA_OWN)
    page.goto(voila_viewer_url, wait_until="domcontentloaded")
    for name, (make, min_px) in GRAPHS.items():
        model = viz.StepperModel(make())  # the same graph as the kernel's, for the expected texts
        payload = build_payload(model)
        probe = Probe(page, page.locator(f".gad-test-{name} .gad-viewer"), model.n_steps)
        probe.root.wait_for(state="visible", timeout=TIMEOUT_MS)
        probe.ready()
        echo = page.locator(f".gad-echo-{name}")
        expect(echo).to_have_text("python step 0")

        font = probe.font_px(payload["view"]["text_size"])
        assert font["count"] > 0
        assert font["min"] >= min_px, f"{name}: value text is {font['min']:.2f} px on screen, below {min_px} px"

        # A click moves the picture at once; the kernel's model follows.
        probe.click("next")
        probe.wait_step(1)
        expect(echo).to_have_text("python step 1")
        probe.click("next")
        probe.click("next")
        probe.wait_step(3)
        expect(echo).to_have_text("python step 3")
        # Python moves the picture.
        page.locator(f".gad-goto-{name} button, button.gad-goto-{name}").first.click()
        probe.wait_step(2)
        expect(echo).to_have_text("python step 2")
        expect(probe.root.locator(".gad-text")).to_contain_text(model.lines(2)[0])

        probe.walk_keeps_current_in_view()
        times = probe.repaint_ms()
        median = statistics.median(times)
        print(f"voila {name}: click-to-repaint median {median:.2f} ms over {CLICKS} clicks, font {font['min']:.2f} px")
        assert len(times) == CLICKS
        assert median <= REPAINT_BUDGET_MS, f"{name}: click-to-repaint median {median:.1f} ms: {times}"
        probe.keys_step()
        expect(echo).to_have_text(f"python step {model.n_steps}")
        probe.zoom_and_pan_change_the_transform()

        last = model.steps[-1].node
        text = probe.hover_card(f"node{last}")
        info = next(n for n in payload["nodes"] if n["id"] == last)
        shape = "(" + ", ".join(map(str, info["shape"])) + ("," if len(info["shape"]) == 1 else "") + ")"
        assert shape in text
        assert (info["grad"]["values"] or info["grad"]["min"]) in text, text
        page.mouse.move(0, 0)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "viewer_voila_light.png"), full_page=True)
    ours = [url for url in requests if not any(part in url for part in VOILA_OWN)]
    foreign = [url for url in ours if not url.startswith((voila_viewer_url, "data:", "blob:"))]
    assert foreign == [], f"requests outside the local server: {foreign}"
    assert errors == []


def test_viewer_follows_the_dark_theme(page: Any, voila_viewer_url: str) -> None:
    page.set_viewport_size(WINDOW)
    errors = console_errors(page, ignore=VOILA_OWN)
    page.goto(voila_viewer_url + "?theme=dark", wait_until="domcontentloaded")
    probe = Probe(page, page.locator(".gad-test-lecture .gad-viewer"), 4)
    probe.root.wait_for(state="visible", timeout=TIMEOUT_MS)
    probe.ready()
    assert page.locator("body").get_attribute("data-jp-theme-light") == "false"
    looks = probe.root.evaluate(
        """(root) => {
          const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
          const lum = ([r, g, b]) => (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
          return {
            panel: lum(rgb(getComputedStyle(root).backgroundColor)),
            text: lum(rgb(getComputedStyle(root).color)),
            filter: getComputedStyle(root.querySelector(".gad-canvas")).filter,
          };
        }"""
    )
    assert looks["panel"] < 0.3 < looks["text"], looks  # a dark panel with light words, not a white panel
    assert "invert" in looks["filter"], looks  # the light drawing is shown inverted
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "viewer_voila_dark.png"))
    assert errors == []
