"""``viz.Stepper`` on a real Voila server and kernel, driven in Chromium: the widget is the viewer.

The notebook (:func:`tests.browser.notebooks.viewer_notebook`) shows one stepper per test graph, as a
student would (the stepper as the last expression of a cell), with a Label echoing the kernel's
``step_index`` and a Button that calls ``stepper.goto(2)`` in Python.
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
# Voila's page template asks a CDN for font-awesome (offline here, and not ours): its request and console error.
VOILA_OWN = ("font-awesome", "fontawesome")


@pytest.fixture(scope="module")
def url(voila: Callable[[Path], str], tmp_path_factory: pytest.TempPathFactory) -> str:
    return voila(viewer_notebook(tmp_path_factory.mktemp("viewer-notebook")))


def test_the_stepper_widget_in_voila(page: Any, url: str) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size(WINDOW)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    errors = console_errors(page, ignore=VOILA_OWN)
    page.goto(url, wait_until="domcontentloaded")
    for name, make in GRAPHS.items():
        model = viz.StepperModel(make())  # the same graph as the kernel's, for the expected texts
        payload = build_payload(model)
        probe = Probe(page, page.locator(f".gad-test-{name} .gad-viewer"), model.n_steps)
        probe.root.wait_for(state="visible", timeout=TIMEOUT_MS)
        probe.ready()
        echo = page.locator(f".gad-echo-{name}")
        expect(echo).to_have_text("python step 0")

        font = probe.font_px(payload["view"]["text_size"])
        assert font["count"] > 0
        assert font["min"] >= MIN_FONT_PX[name], f"{name}: value text is {font['min']:.2f} px on screen"

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
        check_hover_card(probe, payload, model.steps[-1].node)
        page.mouse.move(0, 0)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "viewer_voila_light.png"))
    ours = [u for u in requests if not any(part in u for part in VOILA_OWN)]
    foreign = [u for u in ours if not u.startswith((url, "data:", "blob:"))]
    assert foreign == [], f"requests outside the local server: {foreign}"
    assert errors == []


def test_the_stepper_widget_follows_voilas_dark_theme(page: Any, url: str) -> None:
    page.set_viewport_size(WINDOW)
    errors = console_errors(page, ignore=VOILA_OWN)
    page.goto(url + "?theme=dark", wait_until="domcontentloaded")
    probe = Probe(page, page.locator(".gad-test-lecture .gad-viewer"), 4)
    probe.root.wait_for(state="visible", timeout=TIMEOUT_MS)
    probe.ready()
    assert page.locator("body").get_attribute("data-jp-theme-light") == "false"
    probe.click("last")
    probe.wait_step(4)
    check_dark(probe)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "viewer_voila_dark.png"))
    assert errors == []
