"""The exported page (``Stepper.to_html``) in Chromium: stepping, speed, readable text, pan and zoom, keys, hover
card, the verdicts of a check, fallback frames, offline. :class:`~tests.browser.probe.Probe` drives the viewer."""

from __future__ import annotations

import re
import statistics
from pathlib import Path
from typing import Any

import pytest

import viz
from graphviz_autodiff.i18n import tr
from tests.viz.stepper.graphs import big_graph, inherited_graph
from tests.viz.viewer.broken import broken_loss
from tests.viz.viewer.graphs import lecture_loss, mlp_loss
from viz.viewer import build_payload

from .conftest import ARTIFACTS
from .probe import CLICKS, MIN_FONT_PX, REPAINT_BUDGET_MS, WINDOW, Probe, check_dark, check_hover_card, console_errors

pytestmark = pytest.mark.browser

GRAPHS = {"lecture": lecture_loss, "mlp": mlp_loss}


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Any, dict[str, Any]]]:
    """The exported pages of both graphs: ``{name: (path, model, payload)}``."""
    folder = tmp_path_factory.mktemp("viewer-pages")
    out = {}
    for name, make in GRAPHS.items():
        stepper = viz.StepperModel(make())
        path = stepper.to_html(folder / f"{name}.html")
        out[name] = (path, stepper, build_payload(stepper))
    return out


@pytest.mark.parametrize("name", list(GRAPHS))
def test_exported_page(page: Any, pages: dict[str, Any], name: str) -> None:
    from playwright.sync_api import expect

    path, model, payload = pages[name]
    min_px = MIN_FONT_PX[name]
    page.set_viewport_size(WINDOW)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    errors = console_errors(page)
    page.goto(path.as_uri())
    probe = Probe(page, page.locator(".gad-viewer"), model.n_steps)
    probe.ready()
    assert probe.step() == 0

    font = probe.font_px(payload["view"]["text_size"])
    assert font["count"] > 0
    assert font["min"] >= min_px, f"value text is {font['min']:.2f} px on screen, below {min_px} px"
    assert probe.current_inside() is None  # step 0: nothing is current yet

    probe.walk_keeps_current_in_view()
    times = probe.repaint_ms()
    median = statistics.median(times)
    print(f"{name}: click-to-repaint median {median:.2f} ms over {len(times)} clicks, font {font['min']:.2f} px")
    assert len(times) == CLICKS
    assert median <= REPAINT_BUDGET_MS, f"click-to-repaint median {median:.1f} ms > {REPAINT_BUDGET_MS} ms: {times}"

    probe.keys_step()
    probe.zoom_and_pan_change_the_transform()
    page.locator("input.gad-speed").fill("200")
    assert page.locator(".gad-speed-label").inner_text() == "200 ms/step"
    assert page.evaluate("gadViewerModel.get('speed')") == 200
    probe.click("last")
    probe.wait_step(model.n_steps)
    last = model.steps[-1].node
    text = check_hover_card(probe, payload, last)
    assert next(n for n in payload["nodes"] if n["id"] == last)["chain"][0] in text
    expect(page.locator(".gad-legend")).to_contain_text("current")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"viewer_page_{name}_light.png"))
    page.mouse.move(0, 0)
    page.emulate_media(color_scheme="dark")
    probe.frames()
    check_dark(probe)
    page.screenshot(path=str(ARTIFACTS / f"viewer_page_{name}_dark.png"))
    assert requests == [path.as_uri()], f"the page made requests besides itself: {requests}"
    assert errors == []


def test_page_text_follows_the_steps_and_the_language(page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    model = viz.StepperModel(lecture_loss(), lang="ru")
    model.goto(2)
    path = model.to_html(tmp_path / "ru.html")
    errors = console_errors(page)
    page.goto(path.as_uri())
    probe = Probe(page, page.locator(".gad-viewer"), model.n_steps)
    probe.ready()
    assert probe.step() == 2
    text = page.locator(".gad-text")
    assert [line.strip() for line in text.inner_text().splitlines()] == [line.strip() for line in model.lines(2)]
    expect(page.locator("button.gad-next")).to_have_text("вперёд ▶")
    expect(page.locator(".gad-counter")).to_have_text("шаг 2 из 4")
    page.locator(".gad-steps button[data-step='4']").click()
    probe.wait_step(4)
    assert [line.strip() for line in text.inner_text().splitlines()] == [line.strip() for line in model.lines(4)]
    page.locator("select.gad-target").select_option(str(model.steps[1].node))
    probe.click("run-to")
    probe.wait_step(2)
    expect(page.locator(".gad-message")).to_contain_text("Шаг 2")
    probe.click("problem")
    expect(page.locator(".gad-message")).to_have_text("После шага 2 проблем нет.")
    page.evaluate("gadViewerModel.set('step', 1)")  # the model interface moves the view
    probe.wait_step(1)
    words = " ".join(page.locator(".gad-toolbar, .gad-status, .gad-steps-title").all_inner_texts())
    assert not any(word in words for word in ("first", "back", "next", "last", "play", "step", "Steps")), words
    assert errors == []


def test_next_problem_stops_at_each_problem(page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    model = viz.StepperModel(broken_loss())
    path = model.to_html(tmp_path / "broken.html")
    errors = console_errors(page)
    page.goto(path.as_uri())
    probe = Probe(page, page.locator(".gad-viewer"), model.n_steps)
    probe.ready()
    expect(page.locator(".gad-step.gad-has-problem")).to_have_count(2)
    message = page.locator(".gad-message")
    probe.click("problem")
    probe.wait_step(3)
    expect(message).to_have_text("Stopped at step 3: NaN / Inf.")
    expect(message).to_have_class(re.compile(r"\bgad-error\b"))
    probe.click("problem")
    probe.wait_step(4)
    expect(message).to_have_text("Stopped at step 4: backward raised an exception, NaN / Inf.")
    expect(page.locator(".gad-text .gad-line.gad-error")).to_have_count(3)
    probe.click("problem")
    expect(message).to_have_text("No problem after step 4.")
    assert probe.step() == 4
    assert errors == []


def test_a_checked_walk_shows_the_culprit_and_whom_it_misleads(page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    model = viz.StepperModel(inherited_graph())
    path = model.to_html(tmp_path / "inherited.html")  # the page runs the check (a small walk) first
    payload = build_payload(model)
    errors = console_errors(page)
    page.set_viewport_size(WINDOW)
    page.goto(path.as_uri())
    probe = Probe(page, page.locator(".gad-viewer"), model.n_steps)
    probe.ready()
    legend = page.locator(".gad-legend")
    expect(legend.locator(".gad-state-inherited")).to_have_text(tr("state.inherited", "en"))
    expect(legend.locator(".gad-state-failed")).to_be_visible()
    probe.click("problem")
    probe.wait_step(3)  # the culprit, MissingHalf, not the nodes after it
    expect(page.locator(".gad-message")).to_have_text("Stopped at step 3: wrong gradient.")
    probe.click("problem")
    expect(page.locator(".gad-message")).to_have_text("No problem after step 3.")
    probe.click("last")
    probe.wait_step(model.n_steps)
    classes = page.locator("svg.gad-svg g.node#node1").get_attribute("class")
    assert classes.split()[1] == "inherited", classes  # θ: orange, never a green "done"
    text = check_hover_card(probe, payload, 1)
    assert "receives a wrong gradient from MissingHalf (v)" in text, text
    page.mouse.move(0, 0)
    text = check_hover_card(probe, payload, 6)  # a right node downstream of nothing wrong: no such line
    assert "receives a wrong gradient" not in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "viewer_page_inherited.png"))
    assert errors == []


def test_fallback_frames_step_without_node_groups(page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    model = viz.StepperModel(big_graph(400), timeout=0.001)  # the layout cannot finish: the fallback picture
    path = model.to_html(tmp_path / "fallback.html")
    assert model.frames.fallback is not None
    errors = console_errors(page)
    page.set_viewport_size(WINDOW)
    page.goto(path.as_uri())
    probe = Probe(page, page.locator(".gad-viewer"), model.n_steps)
    probe.ready()
    expect(probe.root).to_have_class(re.compile(r"\bgad-fallback\b"))
    assert page.locator("svg.gad-svg g.node[id^='node']").count() == 0
    for key in ("ArrowRight", "ArrowRight", "End"):
        probe.root.focus()
        page.keyboard.press(key)
    probe.wait_step(model.n_steps)
    expect(page.locator(".gad-text")).to_contain_text(model.lines(model.n_steps)[0])
    probe.click("first")
    probe.wait_step(0)
    page.locator("select.gad-target").select_option(str(model.steps[5].node))
    probe.click("run-to")
    probe.wait_step(6)
    assert errors == []


def test_without_graphviz_the_page_says_so_and_still_steps(
    page: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect

    model = viz.StepperModel(lecture_loss())
    monkeypatch.setenv("PATH", "/nonexistent")  # no Graphviz: no picture can be drawn
    path = model.to_html(tmp_path / "no-graphviz.html")
    monkeypatch.undo()
    errors = console_errors(page)
    page.set_viewport_size(WINDOW)
    page.goto(path.as_uri())
    root = page.locator(".gad-viewer")
    expect(root.locator(".gad-picture-error")).to_contain_text("The picture could not be drawn: GraphvizNotFoundError")
    root.locator("button.gad-next").click()
    expect(root).to_have_attribute("data-step", "1")
    expect(root.locator(".gad-text")).to_contain_text(model.lines(1)[0])
    root.locator("button.gad-zoom-in").click()  # nothing to zoom: no error either
    assert errors == []
