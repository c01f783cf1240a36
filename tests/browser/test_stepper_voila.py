"""End to end: the stepper notebook served by Voila, driven in Chromium; the page must agree with the Python model."""

from __future__ import annotations

from typing import Any

import nbformat
import pytest

from .conftest import ARTIFACTS, NOTEBOOK, TIMEOUT_MS

pytestmark = pytest.mark.browser


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


def test_next_moves_the_highlight_and_the_text(page: Any, voila_url: str) -> None:
    from playwright.sync_api import expect

    model = notebook_stepper()
    assert model.n_steps == 4
    page.goto(voila_url, wait_until="domcontentloaded")
    widget = page.locator(".gad-stepper").first
    next_button = widget.locator("button.gad-next")
    next_button.wait_for(state="visible", timeout=TIMEOUT_MS)
    status = widget.locator(".gad-stepper-status")
    picture = widget.locator(".gad-stepper-picture")
    text = widget.locator(".gad-stepper-text")
    expect(status).to_have_text("step 0 of 4")
    picture.locator("svg g.node").first.wait_for(state="attached")
    assert picture.locator("svg g.node").count() == 7
    assert picture.locator("svg g.node.current").count() == 0
    highlighted = [None]
    for k in (1, 2, 3):
        next_button.click()
        expect(status).to_have_text(f"step {k} of 4")
        current = picture.locator("svg g.node.current")
        expect(current).to_have_count(1)
        expected_id = f"node{model.steps[k - 1].node}"
        expect(current).to_have_attribute("id", expected_id)
        assert expected_id != highlighted[-1]
        highlighted.append(expected_id)
        expect(text).to_contain_text(f"Step {k} of 4")
        assert lines(text.inner_text()) == lines(model.describe(k))
    assert highlighted[1:] == ["node6", "node5", "node3"]  # Sum, Squared, Identity
    ARTIFACTS.mkdir(exist_ok=True)
    widget.screenshot(path=str(ARTIFACTS / "stepper_voila.png"))
