"""``viz.Stepper`` in a real JupyterLab (token-less, ``window.jupyterapp`` exposed), driven in Chromium.

The notebook of :func:`tests.browser.notebooks.viewer_notebook` is opened at a 1400 × 1000 window with
JupyterLab's default layout (the file browser open) and run with ``notebook:run-all-cells``; nothing is
touched before the measurements: the value text of the lecture's graph is at least 11 px on screen and
the two-layer network's at least 9 px, clicks repaint within 16 ms (median of 20, measured in the page),
the current node stays in view, keys step, the hover card tells shape and gradient; then JupyterLab's
dark theme shows a dark viewer. Nothing is fetched from outside the server; no console error.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import viz
from tests.viz.viewer.graphs import lecture_loss, mlp_loss
from viz.viewer import build_payload

from .conftest import ARTIFACTS, TIMEOUT_MS
from .notebooks import viewer_notebook
from .probe import (
    CLICKS,
    MIN_FONT_PX,
    REPAINT_BUDGET_MS,
    WINDOW,
    Probe,
    check_dark,
    check_hover_card,
    console_errors,
)

pytestmark = pytest.mark.browser

GRAPHS = {"lecture": lecture_loss, "mlp": mlp_loss}

_KERNEL_IDLE = """() => {
  const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = widget && widget.sessionContext && widget.sessionContext.session
    && widget.sessionContext.session.kernel;
  return Boolean(kernel) && kernel.status === "idle";
}"""


@pytest.fixture(scope="module")
def lab(jupyterlab: Callable[[Path], str], tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("lab")
    viewer_notebook(folder)
    return jupyterlab(folder)


def open_and_run(page: Any, url: str) -> None:
    """Open the notebook, wait for its kernel, run every cell, wait for both viewers."""
    page.goto(url + "lab/tree/viewer.ipynb", wait_until="domcontentloaded")
    page.wait_for_function("() => Boolean(window.jupyterapp && document.querySelector('.jp-Notebook'))")
    page.wait_for_function(_KERNEL_IDLE)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    for name in GRAPHS:
        page.locator(f".gad-test-{name} .gad-viewer svg.gad-svg").wait_for(state="attached", timeout=TIMEOUT_MS)


def test_the_stepper_widget_in_jupyterlab(page: Any, lab: str) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size(WINDOW)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    errors = console_errors(page)
    open_and_run(page, lab)
    for name, make in GRAPHS.items():
        model = viz.StepperModel(make())
        payload = build_payload(model)
        probe = Probe(page, page.locator(f".gad-test-{name} .gad-viewer"), model.n_steps)
        probe.root.scroll_into_view_if_needed()
        probe.ready()
        font = probe.font_px(payload["view"]["text_size"])  # as it opens: nothing touched
        print(f"jupyterlab {name}: value text {font['min']:.2f} px on screen (minimum)")
        assert font["count"] > 0
        assert font["min"] >= MIN_FONT_PX[name], f"{name}: value text is {font['min']:.2f} px on screen"

        echo = page.locator(f".gad-echo-{name}")
        expect(echo).to_have_text("python step 0")
        probe.click("next")
        probe.wait_step(1)
        expect(echo).to_have_text("python step 1")  # the kernel's model follows the click
        page.locator(f".gad-goto-{name} button, button.gad-goto-{name}").first.click()
        probe.wait_step(2)  # and Python moves the picture

        probe.walk_keeps_current_in_view()
        times = probe.repaint_ms()
        median = statistics.median(times)
        print(f"jupyterlab {name}: click-to-repaint median {median:.2f} ms over {CLICKS} clicks")
        assert len(times) == CLICKS
        assert median <= REPAINT_BUDGET_MS, f"{name}: click-to-repaint median {median:.1f} ms: {times}"
        probe.keys_step()
        expect(echo).to_have_text(f"python step {model.n_steps}")
        probe.zoom_and_pan_change_the_transform()
        check_hover_card(probe, payload, model.steps[-1].node)
        page.mouse.move(0, 0)
        probe.click("reset")

    ARTIFACTS.mkdir(exist_ok=True)
    lecture = page.locator(".gad-test-lecture .gad-viewer")
    lecture.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "viewer_jupyterlab_light.png"))

    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', { theme: 'JupyterLab Dark' })")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    probe = Probe(page, lecture, 4)
    probe.frames()
    looks = check_dark(probe)
    print(f"jupyterlab dark: panel luminance {looks['panel']:.2f}, text {looks['text']:.2f}")
    lecture.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "viewer_jupyterlab_dark.png"))

    foreign = [u for u in requests if not u.startswith((lab, "data:", "blob:"))]
    assert foreign == [], f"requests outside the local server: {foreign}"
    assert errors == []
