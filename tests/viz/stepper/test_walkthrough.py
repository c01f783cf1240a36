"""The exported walk-through: one self-contained, well-formed HTML page; one frame file per step."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff.ops import Identity, Squared, Sum
from tests.viz.conftest import lecture5
from viz.stepper.walkthrough import frame_names, save_frames, text_html, to_html

VOID = {"meta", "link", "input", "br", "img", "hr", "source", "wbr", "area", "base", "col", "embed", "track"}


class Structure(HTMLParser):
    """Checks that every element is closed in order, and collects templates, scripts and URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.templates: dict[str, list[str]] = {}
        self.urls: list[str] = []
        self.scripts: list[dict] = []
        self._template: tuple[str, int] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href", "action", "xlink:href"):
            if name in attrs:
                self.urls.append(attrs[name])
        if tag == "script":
            self.scripts.append(attrs)
        if tag == "template":
            self._template = (attrs.get("class", ""), self.getpos())
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "xlink:href"):
                self.urls.append(value)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> at {self.getpos()} closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()


def templates(page: str, kind: str) -> list[str]:
    return re.findall(rf'<template class="gad-{kind}">(.*?)</template>', page, flags=re.DOTALL)


@pytest.mark.dot
def test_html_is_one_self_contained_well_formed_page(tmp_path):
    stepper = viz.Stepper(lecture5())
    stepper.goto(2)
    path = stepper.to_html(tmp_path / "walk" / "lecture5.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    checker = Structure()
    checker.feed(page)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    assert checker.urls == ["data:,"]  # the empty favicon, so the browser asks for no /favicon.ico
    assert checker.scripts == [{}]  # one inline script, no src
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        'xmlns:xlink="http://www.w3.org/1999/xlink"', ""
    )
    assert "default-src 'none'" in page  # the page may not fetch anything
    frames = templates(page, "frame")
    texts = templates(page, "text")
    assert len(frames) == len(texts) == stepper.n_steps + 1 == 5
    for k, frame in enumerate(frames):
        assert frame == stepper.svg(k)
        ET.fromstring(frame)  # each frame is valid SVG on its own
    for k, text in enumerate(texts):
        lines = [html.unescape(line) for line in re.findall(r'<div class="gad-line[^"]*"[^>]*>(.*?)</div>', text)]
        assert lines == stepper.describe(k).splitlines()
    assert 'data-start="2"' in page  # it opens at the step the stepper was on
    for key in ("first", "back", "next", "last", "slider", "counter", "fit", "picture", "text"):
        assert f'id="gad-{key}"' in page


@pytest.mark.dot
def test_russian_page_and_escaped_names(tmp_path):
    x = gad.Tensor(np.array([1.0, 2.0]), name="<script>alert(1)</script>")
    L = Sum()(Squared()(Identity()(x), np.zeros(2)))
    page = viz.Stepper(L, lang="ru").to_html(tmp_path / "ru.html").read_text(encoding="utf-8")
    assert '<html lang="ru">' in page and "вперёд ▶" in page and "Обратное распространение ошибки по шагам" in page
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script>") == 1


def test_to_html_checks_its_arguments(tmp_path):
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><g id="node0" class="node"/></svg>'
    with pytest.raises(ValueError, match="at least one frame"):
        to_html([], [], tmp_path / "a.html")
    with pytest.raises(ValueError, match="2 frames but 1 texts"):
        to_html([svg, svg], ["a"], tmp_path / "a.html")
    with pytest.raises(ValueError, match="<svg>"):
        to_html(["<p>no picture</p>"], ["a"], tmp_path / "a.html")
    with pytest.raises(ValueError, match="start must be a step between 0 and 0"):
        to_html([svg], ["a"], tmp_path / "a.html", start=3)
    page = to_html(["<?xml version='1.0'?>\n" + svg], ["✗ broken\nfine"], tmp_path / "a.html").read_text("utf-8")
    assert "<?xml" not in page  # the prolog is dropped when inlined
    assert text_html(["✗ broken", "fine"]) in page


@pytest.mark.dot
def test_save_frames_writes_one_file_per_step(tmp_path):
    stepper = viz.Stepper(lecture5())
    paths = stepper.save_frames(tmp_path / "svg")
    assert [p.name for p in paths] == [f"step_{k:03d}.svg" for k in range(stepper.n_steps + 1)]
    for k, path in enumerate(paths):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<?xml") and text.endswith(stepper.svg(k))
        ET.fromstring(text.encode("utf-8"))
    pdfs = stepper.save_frames(tmp_path / "pdf", "pdf")
    assert len(pdfs) == 5 and all(p.read_bytes().startswith(b"%PDF") for p in pdfs)
    pngs = stepper.save_frames(tmp_path / "png", "png", dpi=50)
    assert len(pngs) == 5 and all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    assert len({p.read_bytes() for p in pngs}) == 5  # every step looks different


def test_save_frames_checks_its_arguments(tmp_path):
    svg = '<svg xmlns="http://www.w3.org/2000/svg"/>'
    with pytest.raises(ValueError, match="fmt must be one of 'svg', 'pdf', 'png'"):
        save_frames([svg], tmp_path, "gif")
    with pytest.raises(ValueError, match="dpi applies to PNG only"):
        save_frames([svg], tmp_path, "svg", dpi=100)
    with pytest.raises(ValueError, match=r"pass stepper\.frames"):
        save_frames([svg], tmp_path, "pdf")
    assert [p.name for p in save_frames([svg, svg], tmp_path)] == ["step_000.svg", "step_001.svg"]


def test_frame_names_keep_their_order():
    assert frame_names(2, "svg") == ["step_000.svg", "step_001.svg"]
    names = frame_names(1001, "png")
    assert names[0] == "step_0000.png" and names[-1] == "step_1000.png" and sorted(names) == names
