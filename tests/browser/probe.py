"""Drive and measure one viewer (``.gad-viewer``) in a Playwright page: the exported page, Voila, JupyterLab.

Every measurement is taken in the page (``performance.now()``, ``getScreenCTM()``, bounding boxes); the
tests assert behaviour and wait generously, so a loaded machine is slow but never wrong. The one timed
assertion the issue asks for, click-to-repaint, is measured in the page between the click event and the
first animation frame after the picture's DOM changed.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import TIMEOUT_MS

WINDOW = {"width": 1400, "height": 1000}
MIN_FONT_PX = {"lecture": 11.0, "mlp": 9.0}
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


def shape_text(shape: list[int]) -> str:
    """A shape as the hover card writes it: ``(5, 4)``, ``(5,)``."""
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def check_hover_card(probe: Probe, payload: dict[str, Any], node: int) -> str:
    """Hover ``node`` (at a step where its gradient is known); its card shows its shape and gradient."""
    info = next(n for n in payload["nodes"] if n["id"] == node)
    text = probe.hover_card(info["element"])
    assert shape_text(info["shape"]) in text, text
    grad = info["grad"]
    assert (grad["values"] or grad["min"]) in text, text
    return text


# The panel's and the text's luminance, and the picture's filter (a light drawing is inverted in a dark theme).
_LOOKS = """(root) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
  const panels = [root, root.querySelector(".gad-card"), root.querySelector(".gad-target")];
  return {
    panel: lum(rgb(getComputedStyle(root).backgroundColor)),
    text: lum(rgb(getComputedStyle(root).color)),
    filter: getComputedStyle(root.querySelector(".gad-canvas")).filter,
    brightest: Math.max(...panels.map((e) => lum(rgb(getComputedStyle(e).backgroundColor)))),
  };
}"""


def check_dark(probe: Probe) -> dict[str, Any]:
    """The viewer in a dark theme: dark panels with light words, no white panel, the drawing inverted."""
    looks = probe.root.evaluate(_LOOKS)
    assert looks["panel"] < 0.3 < looks["text"], looks
    assert looks["brightest"] < 0.3, looks  # no white panel: the viewer, its card, its menu
    assert "invert" in looks["filter"], looks
    return looks
