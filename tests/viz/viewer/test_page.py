"""viz.viewer.page: one self-contained page; nothing to fetch, every user string escaped, both languages."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff.ops import Squared, Sum
from viz.viewer import build_payload, page_html, strings, to_html
from viz.viewer.assets import esm, page_adapter

from .graphs import lecture_loss

# XML namespace names: identifiers the SVG and svg-pan-zoom write, never fetched.
NAMESPACES = {
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/1999/xlink",
    "http://www.w3.org/2000/xmlns/",
    "http://www.w3.org/2001/xml-events",
    "http://www.w3.org/XML/1998/namespace",
}
EVIL = '<img src=x onerror="alert(1)"></script><!-- &amp;'


class Page(HTMLParser):
    """The tags, attributes, scripts and visible text of a page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self._script: dict[str, str | None] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self.scripts.append((self._script, data))
        else:
            self.text.append(data)


def evil_loss() -> gad.Tensor:
    x = gad.Tensor(np.array([1.0, 2.0]), name=EVIL)
    s = Squared()(x, np.zeros(2))
    s.name = "a&b<c>"
    return Sum()(s)


@pytest.fixture(scope="module")
def lecture_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    payload = build_payload(viz.StepperModel(lecture_loss()))
    return to_html(payload, tmp_path_factory.mktemp("page") / "sub" / "walk.html"), payload


def test_nothing_is_fetched(lecture_page: tuple[Path, dict[str, Any]]) -> None:
    path, _ = lecture_page
    text = path.read_text(encoding="utf-8")
    page = Page(text)
    for tag, attrs in page.tags:
        assert "src" not in attrs, f"<{tag}> loads {attrs['src']}"
        if "href" in attrs:
            assert attrs["href"].startswith("data:"), f"<{tag}> links to {attrs['href']}"
    assert not re.search(r"url\(\s*['\"]?(?!data:)", text), "a CSS url() to a file"
    urls = set(re.findall(r"https?://[^\s\\\"'<>)]+", text))
    assert urls <= NAMESPACES, f"URLs in the page: {sorted(urls - NAMESPACES)}"
    csp = next(a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp


def test_one_payload_and_one_module(lecture_page: tuple[Path, dict[str, Any]]) -> None:
    path, payload = lecture_page
    page = Page(path.read_text(encoding="utf-8"))
    kinds = [attrs.get("type") for attrs, _ in page.scripts]
    assert kinds == ["application/json", "module"]
    assert json.loads(page.scripts[0][1]) == payload
    module = page.scripts[1][1]
    assert esm() in module and page_adapter() in module
    assert "export default viewer" in module and "const svgPanZoom" in module
    assert page.tags[0] == ("html", {"lang": "en"})


def test_user_strings_are_escaped(tmp_path: Path) -> None:
    model = viz.StepperModel(evil_loss())
    payload = build_payload(model, title=EVIL)
    text = page_html(payload)
    page = Page(text)
    assert [tag for tag, _ in page.tags if tag == "img"] == []  # the name never becomes markup
    assert text.count("</script>") == 2  # the payload's own "</script>" is \u003c/script\u003e
    assert "<!--" not in text
    assert json.loads(page.scripts[0][1]) == payload
    assert EVIL in "".join(page.text)  # the title, as text
    # In the SVG the user's names are escaped by Graphviz; the hover card gets them as data (textContent).
    for _, variants in payload["svg"]["elements"]:
        for variant in variants:
            assert "<img" not in variant and "<c>" not in variant
    assert {n["label"] for n in payload["nodes"]} >= {EVIL}


def test_russian_page_has_russian_words(tmp_path: Path) -> None:
    payload = build_payload(viz.StepperModel(lecture_loss(), lang="ru"))
    page = Page(to_html(payload, tmp_path / "ru.html").read_text(encoding="utf-8"))
    assert page.tags[0] == ("html", {"lang": "ru"})
    data = json.loads(page.scripts[0][1])
    assert data["strings"] == strings("ru") and data["title"] == "Обратное распространение ошибки по шагам"
    assert "Обратное распространение ошибки по шагам" in "".join(page.text)


def test_the_page_is_deterministic(tmp_path: Path) -> None:
    pages = [to_html(build_payload(viz.StepperModel(lecture_loss())), tmp_path / f"{i}.html") for i in range(2)]
    assert pages[0].read_bytes() == pages[1].read_bytes()


def test_bad_payloads() -> None:
    with pytest.raises(ValueError, match="build_payload"):
        page_html({"svg": {}})
    payload = build_payload(viz.StepperModel(lecture_loss()))
    payload["nodes"][0]["value"]["min"] = float("nan")
    with pytest.raises(ValueError):
        page_html(payload)
