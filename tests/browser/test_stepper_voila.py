"""End to end: notebook 02 (the stepper's) served by Voila, driven in Chromium; the viewers agree with Python."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

from .conftest import ARTIFACTS, NOTEBOOKS, TIMEOUT_MS
from .probe import WINDOW, Probe, console_errors

pytestmark = pytest.mark.browser

NOTEBOOK = NOTEBOOKS / "02_step_through_backprop.ipynb"
VOILA_OWN = ("font-awesome", "fontawesome")
# The notebook's viewers, in the order of its cells: the lecture's walk, the forward walk in Russian, the
# two-layer network, the student's raising op, the student's wrong gradient.
VIEWERS = 5


def notebook_stepper() -> Any:
    """The stepper of the notebook's setup cell (tagged ``stepper-setup``), built here from the same code."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = [cell for cell in nb.cells if "stepper-setup" in cell.metadata.get("tags", [])]
    assert len(cells) == 1, "the notebook needs exactly one code cell tagged 'stepper-setup'"
    namespace: dict[str, Any] = {}
    exec(compile(cells[0].source, str(NOTEBOOK), "exec"), namespace)
    return namespace["stepper"]


def lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.strip().splitlines()]


def test_the_notebooks_viewers_step_as_the_model_does(page: Any, voila: Callable[[Path], str]) -> None:
    from playwright.sync_api import expect

    model = notebook_stepper()
    assert model.n_steps == 4
    page.set_viewport_size(WINDOW)
    errors = console_errors(page, ignore=VOILA_OWN)
    page.goto(voila(NOTEBOOK), wait_until="domcontentloaded")
    viewers = page.locator(".gad-viewer")
    viewers.nth(VIEWERS - 1).wait_for(state="visible", timeout=TIMEOUT_MS)
    assert viewers.count() == VIEWERS
    probe = Probe(page, viewers.first, model.n_steps)
    probe.ready()
    text = probe.root.locator(".gad-text")
    expect(probe.root.locator(".gad-counter")).to_have_text("step 0 of 4")
    assert probe.root.locator("svg.gad-svg g.node").count() == 7
    assert probe.root.locator("svg.gad-svg g.node.current").count() == 0
    for k in (1, 2, 3, 4):
        probe.click("next")
        probe.wait_step(k)
        current = probe.root.locator("svg.gad-svg g.node.current")
        expect(current).to_have_count(1)
        expect(current).to_have_attribute("id", f"node{model.steps[k - 1].node}")
        assert lines(text.inner_text()) == lines(model.describe(k))
        assert probe.current_inside()["inside"]
    ARTIFACTS.mkdir(exist_ok=True)
    probe.root.screenshot(path=str(ARTIFACTS / "stepper_voila_lecture.png"))

    # The Russian forward walk: no English on its controls.
    russian = viewers.nth(1)
    expect(russian.locator("button.gad-next")).to_have_text("вперёд ▶")

    # The student's wrong gradient: next problem stops at the culprit, whose victims are orange.
    checked = Probe(page, viewers.nth(VIEWERS - 1), 5)
    checked.root.scroll_into_view_if_needed()
    checked.ready()
    checked.click("first")
    checked.wait_step(0)
    checked.click("problem")
    checked.wait_step(3)
    expect(checked.root.locator(".gad-message")).to_have_text("Stopped at step 3: wrong gradient.")
    checked.click("last")
    checked.wait_step(5)
    assert checked.root.locator("svg.gad-svg g.node.inherited").count() == 3  # Identity, Linear, θ
    assert checked.root.locator("svg.gad-svg g.node.failed").count() == 1  # Halve
    card = checked.hover_card(checked.root.locator("svg.gad-svg g.node.inherited").first.get_attribute("id"))
    assert "receives a wrong gradient from Halve" in card, card
    page.mouse.move(0, 0)
    checked.root.screenshot(path=str(ARTIFACTS / "stepper_voila_inherited.png"))
    assert errors == []
