"""The viewer's exported page in Chromium: stepping, speed, readable text, pan and zoom, keys, hover card, offline.

:class:`Probe` drives one ``.gad-viewer`` and measures it in the page; the Voila test uses it too.
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path
from typing import Any

import pytest

import viz
from tests.viz.viewer.broken import broken_loss
from tests.viz.viewer.graphs import lecture_loss, mlp_loss
from viz.viewer import build_payload, to_html

from .conftest import ARTIFACTS, TIMEOUT_MS

pytestmark = pytest.mark.browser

WINDOW = {"width": 1400, "height": 1000}
GRAPHS = {"lecture": (lecture_loss, 11.0), "mlp": (mlp_loss, 9.0)}
REPAINT_BUDGET_MS = 16.0
CLICKS = 20

# Frames to wait for: svg-pan-zoom writes its transform on the next animation frame.
_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"

# The on-screen size of the value text: font size (user units) times the text's scale on screen.
_FONT_PX = """(root) => {
  const size = root.dataset.textSize;
  const texts = [...root.querySelectorAll("svg.gad-svg g.node text")].filter(
    (t) => parseFloat(t.getAttribute("font-size")) === parseFloat(size));
  const px = texts.map((t) => {
    const m = t.getScreenCTM();
    return parseFloat(t.getAttribute("font-size")) * Math.hypot(m.a, m.b);
  });
  return { count: texts.length, min: Math.min(...px), max: Math.max(...px) };
}"""

# Is the current node's box inside the canvas (1 px of slack for rounding)?
_CURRENT_INSIDE = """(root) => {
  const node = root.querySelector("svg.gad-svg g.node.current");
  if (!node) return null;
  const a = node.getBoundingClientRect();
  const c = root.querySelector(".gad-canvas").getBoundingClientRect();
  const inside = a.left >= c.left - 1 && a.right <= c.right + 1 && a.top >= c.top - 1 && a.bottom <= c.bottom + 1;
  return { inside, node: [a.left, a.top, a.right, a.bottom], canvas: [c.left, c.top, c.right, c.bottom] };
}"""

# Click-to-repaint: performance.now() at the click event (capture phase) to the first animation frame after
# the picture's DOM changed. One entry per click in root.__gadRepaints.
_INSTALL_REPAINT = """(root) => {
  const svg = root.querySelector("svg.gad-svg");
  root.__gadRepaints = [];
  let start = null;
  root.addEventListener("click", () => { start = performance.now(); }, true);
  new MutationObserver(() => {
    if (start === null) return;
    const t0 = start;
    start = null;
    requestAnimationFrame(() => root.__gadRepaints.push(performance.now() - t0));
  }).observe(svg, { childList: true, subtree: true });
}"""


def _scale(transform: str) -> float:
    """The zoom of a ``matrix(a,b,c,d,e,f)`` transform."""
    return float(transform.split("(")[1].split(",")[0])


class Probe:
    """One viewer (``.gad-viewer``) in a Playwright page: drive it and measure it."""

    def __init__(self, page: Any, root: Any, n_steps: int) -> None:
        self.page = page
        self.root = root
        self.n = n_steps

    def ready(self) -> None:
        """Wait until the picture is mounted and svg-pan-zoom has set its transform."""
        self.root.locator("svg.gad-svg .svg-pan-zoom_viewport").wait_for(state="attached", timeout=TIMEOUT_MS)
        self.page.wait_for_function(
            "(root) => /^matrix/.test(root.querySelector('.svg-pan-zoom_viewport').getAttribute('transform'))",
            arg=self.root.element_handle(),
            timeout=TIMEOUT_MS,
        )
        self.frames()

    def frames(self) -> None:
        self.page.evaluate(_FRAMES)

    def step(self) -> int:
        return int(self.root.get_attribute("data-step"))

    def wait_step(self, k: int) -> None:
        from playwright.sync_api import expect

        expect(self.root).to_have_attribute("data-step", str(k), timeout=TIMEOUT_MS)
        self.frames()

    def click(self, name: str) -> None:
        self.root.locator(f"button.gad-{name}").click()

    def transform(self) -> str:
        return self.root.locator(".svg-pan-zoom_viewport").get_attribute("transform")

    def font_px(self, text_size: float) -> dict[str, float]:
        self.root.evaluate("(root, size) => { root.dataset.textSize = String(size); }", text_size)
        return self.root.evaluate(_FONT_PX)

    def current_inside(self) -> dict[str, Any] | None:
        return self.root.evaluate(_CURRENT_INSIDE)

    def repaint_ms(self, clicks: int = CLICKS) -> list[float]:
        """Click next to the end, back to the start, and so on: ``clicks`` clicks, each one a new frame."""
        self.root.evaluate(_INSTALL_REPAINT)
        self.click("first")
        self.wait_step(0)
        self.root.evaluate("(root) => { root.__gadRepaints = []; }")
        direction = "next"
        for i in range(clicks):
            k = self.step()
            if (direction == "next" and k == self.n) or (direction == "back" and k == 0):
                direction = "back" if direction == "next" else "next"
            self.click(direction)
            self.page.wait_for_function(
                "([root, n]) => root.__gadRepaints.length >= n", arg=[self.root.element_handle(), i + 1]
            )
        return self.root.evaluate("(root) => root.__gadRepaints")

    def walk_keeps_current_in_view(self) -> None:
        """At every step, the current node's box lies inside the picture."""
        self.click("first")
        self.wait_step(0)
        for k in range(1, self.n + 1):
            self.click("next")
            self.wait_step(k)
            where = self.current_inside()
            assert where is not None, f"step {k}: no current node"
            assert where["inside"], f"step {k}: the current node is outside the picture: {where}"

    def zoom_and_pan_change_the_transform(self) -> None:
        before = self.transform()
        self.click("zoom-in")
        self.frames()
        zoomed = self.transform()
        assert zoomed != before, "zoom in did not change the picture's transform"
        box = self.root.locator(".gad-canvas").bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        self.page.mouse.move(x - 120, y - 30, steps=5)
        self.page.mouse.up()
        self.frames()
        panned = self.transform()
        assert panned != zoomed, "dragging did not pan the picture"
        self.click("fit")
        self.frames()
        fitted = self.transform()
        assert fitted != panned and _scale(fitted) < _scale(zoomed), "fit did not zoom out to the whole graph"
        self.click("reset")
        self.frames()
        assert _scale(self.transform()) == pytest.approx(_scale(before), rel=1e-3)  # back to the readable zoom

    def keys_step(self) -> None:
        """Keys step when the pointer is over the viewer (focus elsewhere), and when it has the focus."""
        self.click("first")
        self.wait_step(0)
        self.page.evaluate("() => document.activeElement && document.activeElement.blur()")
        self.root.locator(".gad-canvas").hover(position={"x": 12, "y": 12})
        self.page.keyboard.press("ArrowRight")
        self.wait_step(1)
        self.page.keyboard.press("ArrowLeft")
        self.wait_step(0)
        self.root.focus()
        self.page.keyboard.press("ArrowRight")
        self.wait_step(1)
        self.page.keyboard.press("End")
        self.wait_step(self.n)
        self.page.keyboard.press("ArrowLeft")
        self.wait_step(self.n - 1)
        self.page.keyboard.press("Home")
        self.wait_step(0)
        self.page.keyboard.press(" ")  # play
        from playwright.sync_api import expect

        playing = re.compile(r"\bgad-is-playing\b")
        expect(self.root).to_have_class(playing)
        self.wait_step(self.n)  # plays to the end, then stops
        expect(self.root).not_to_have_class(playing)

    def hover_card(self, element: str) -> str:
        """Hover a node; return the hover card's text."""
        from playwright.sync_api import expect

        node = self.root.locator(f"svg.gad-svg g.node#{element}")
        node.hover()
        card = self.root.locator(".gad-card")
        expect(card).to_be_visible()
        return card.inner_text()


def console_errors(page: Any, ignore: tuple[str, ...] = ()) -> list[str]:
    """Start collecting the page's console errors and uncaught exceptions (except URLs in ``ignore``)."""
    errors: list[str] = []

    def on_console(message: Any) -> None:
        url = (message.location or {}).get("url", "")
        if message.type == "error" and not any(part in url or part in message.text for part in ignore):
            errors.append(f"{message.text} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return errors


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Any, dict[str, Any]]]:
    """The exported pages of both graphs: ``{name: (path, model, payload)}``."""
    folder = tmp_path_factory.mktemp("viewer-pages")
    out = {}
    for name, (make, _) in GRAPHS.items():
        model = viz.StepperModel(make())
        payload = build_payload(model)
        out[name] = (to_html(payload, folder / f"{name}.html"), model, payload)
    return out


@pytest.mark.parametrize("name", list(GRAPHS))
def test_exported_page(page: Any, pages: dict[str, Any], name: str) -> None:
    path, model, payload = pages[name]
    min_px = GRAPHS[name][1]
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
    text = probe.hover_card(f"node{last}")
    info = next(n for n in payload["nodes"] if n["id"] == last)
    shape = "(" + ", ".join(map(str, info["shape"])) + ("," if len(info["shape"]) == 1 else "") + ")"
    assert shape in text
    grad = info["grad"]
    assert (grad["values"] or grad["min"]) in text, text
    assert info["chain"][0] in text

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"viewer_page_{name}_light.png"))
    page.emulate_media(color_scheme="dark")
    probe.frames()
    page.screenshot(path=str(ARTIFACTS / f"viewer_page_{name}_dark.png"))
    assert requests == [path.as_uri()], f"the page made requests besides itself: {requests}"
    assert errors == []


def test_page_text_follows_the_steps_and_the_language(page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    model = viz.StepperModel(lecture_loss(), lang="ru")
    model.goto(2)
    path = to_html(build_payload(model), tmp_path / "ru.html")
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
    path = to_html(build_payload(model), tmp_path / "broken.html")
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
