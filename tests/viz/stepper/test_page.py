"""Stepper.to_html: the viewer's self-contained page (the widget's front end), opened at the stepper's step."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff.ops import Identity, Squared, Sum
from tests.viz.conftest import lecture5
from viz.viewer import build_payload
from viz.viewer.assets import esm

pytestmark = pytest.mark.dot


def embedded_payload(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="gad-payload">(.*?)</script>', page, flags=re.DOTALL)
    assert found, "no payload in the page"
    return json.loads(found.group(1))


def test_the_page_is_the_viewer_of_the_walk(tmp_path):
    stepper = viz.Stepper(lecture5())
    stepper.goto(2)
    path = stepper.to_html(tmp_path / "walk" / "lecture5.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "default-src 'none'" in page
    assert "<script src" not in page and esm() in page  # the widget's own front end, inlined
    payload = embedded_payload(page)
    assert payload == json.loads(json.dumps(build_payload(stepper)))  # the widget's payload, at step 2
    assert payload["start"] == 2 and 'data-step="2"' in page
    assert payload["title"] == "Backpropagation step by step"
    assert "<template" not in page  # the old page (one template per frame) is gone


def test_the_same_walk_gives_the_same_page(tmp_path):
    pages = [viz.Stepper(lecture5()).to_html(tmp_path / f"{i}.html").read_bytes() for i in range(2)]
    assert pages[0] == pages[1]


def test_russian_page_escaped_names_and_options(tmp_path):
    x = gad.Tensor(np.array([1.0, 2.0]), name="<script>alert(1)</script>")
    L = Sum()(Squared()(Identity()(x), np.zeros(2)))
    page = viz.Stepper(L, lang="ru").to_html(tmp_path / "ru.html", title="Лекция 5", min_font_px=9)
    text = page.read_text(encoding="utf-8")
    assert '<html lang="ru">' in text and "<title>Лекция 5</title>" in text
    assert "<script>alert" not in text  # in the SVG escaped by Graphviz, in the JSON as \u003c
    payload = embedded_payload(text)
    assert payload["view"]["min_font_px"] == 9.0 and payload["strings"]["button.next"] == "вперёд ▶"
    assert {n["name"] for n in payload["nodes"]} >= {"<script>alert(1)</script>", "μ", "s", "L"}
