"""The exported walk-through in Chromium: buttons, arrow keys and the slider change frames; no network request."""

from __future__ import annotations

from typing import Any

import pytest

import viz
from tests.viz.conftest import lecture5

pytestmark = pytest.mark.browser


def lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.strip().splitlines()]


def test_buttons_keys_and_slider_change_frames_offline(page: Any, tmp_path: Any) -> None:
    from playwright.sync_api import expect

    stepper = viz.Stepper(lecture5())
    path = stepper.to_html(tmp_path / "walkthrough.html")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    body = page.locator("body")
    current = page.locator("#gad-picture svg g.node.current")
    text = page.locator("#gad-text")

    def at(k: int) -> None:
        expect(body).to_have_attribute("data-step", str(k))
        expect(page.locator("#gad-counter")).to_have_text(f"step {k} of 4")
        if k == 0:
            expect(current).to_have_count(0)
        else:
            expect(current).to_have_attribute("id", f"node{stepper.steps[k - 1].node}")
        assert lines(text.inner_text()) == lines(stepper.describe(k))
        assert page.locator("#gad-slider").input_value() == str(k)

    at(0)
    assert page.locator("#gad-picture svg g.node").count() == 7
    page.click("#gad-next")
    at(1)
    page.keyboard.press("ArrowRight")
    at(2)
    page.keyboard.press("ArrowRight")
    at(3)
    page.keyboard.press("ArrowLeft")
    at(2)
    page.keyboard.press("End")
    at(4)
    page.keyboard.press("ArrowRight")  # stays at the end
    at(4)
    page.click("#gad-back")
    at(3)
    page.click("#gad-first")
    at(0)
    page.click("#gad-last")
    at(4)
    page.keyboard.press("Home")
    at(0)
    page.locator("#gad-slider").fill("3")
    at(3)
    expect(page.locator("#gad-picture")).to_have_class("gad-picture gad-fit")
    page.locator("#gad-fit").uncheck()
    expect(page.locator("#gad-picture")).to_have_class("gad-picture")
    at(3)
    assert requests == [path.as_uri()], f"the page made requests besides itself: {requests}"
