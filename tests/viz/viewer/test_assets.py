"""viz.viewer.assets and strings: the vendored library is the released file; the words come from the catalogue."""

from __future__ import annotations

import hashlib
import re

from graphviz_autodiff.i18n import fields
from viz.viewer import KEYS, LANGS, strings
from viz.viewer.assets import LIBRARY_VERSION, css, esm, page_adapter, read

# svg-pan-zoom 3.6.2, dist/svg-pan-zoom.min.js from `npm pack svg-pan-zoom@3.6.2` (see static/vendor/README.md).
LIBRARY_SHA256 = "9c8fc41b3359e699990766dd7a943595d234a80c880a90dfc14b920a273b99d8"


def test_the_vendored_library_is_unmodified() -> None:
    data = read("vendor/svg-pan-zoom.min.js").encode("utf-8")
    assert hashlib.sha256(data).hexdigest() == LIBRARY_SHA256
    assert LIBRARY_VERSION in read("vendor/README.md")
    assert "Redistribution and use in source and binary forms" in read("vendor/svg-pan-zoom.LICENSE")


def test_the_module_holds_the_library_its_licence_and_the_viewer() -> None:
    module = esm()
    assert module.index("Copyright 2009-2010 Andrea Leofreddi") < module.index("const svgPanZoom")
    assert module.index("const svgPanZoom") < module.index("export default viewer")
    assert "https://" not in module.replace("http://www.w3.org/", "")
    assert "github.com" not in module
    assert "innerHTML" not in re.sub(r"//.*", "", read("viewer.js")).replace(
        "holder.innerHTML = this.frames.text", ""
    ).replace("this.parser.innerHTML = this.frames.variants", ""), "innerHTML only for our own SVG"
    assert ".gad-viewer" in css() and "--jp-layout-color0" in css()
    assert "viewer.render({ model, el })" in page_adapter()


def test_both_languages_have_the_same_words_and_fields() -> None:
    assert LANGS == ("en", "ru")
    english_words, russian_words = strings("en"), strings("ru")
    assert list(english_words) == list(russian_words) == list(KEYS)
    for key, text in english_words.items():
        assert fields(text) == fields(russian_words[key]), key
    assert english_words["status.counter"] == "step {k} of {n}"  # the fields stay for the front end
    english = re.compile(r"\b(?:step|first|back|next|last|play|pause|run|problem|zoom|node|value|gradient)\b")
    for key, text in russian_words.items():
        assert not english.search(re.sub(r"\{\w+\}", "", text)), f"English in the Russian {key}: {text}"


def test_every_word_the_front_end_uses_is_in_the_table() -> None:
    code = read("viewer.js")
    used = set(re.findall(r'this\.s\["([\w.]+)"\]', code)) | set(re.findall(r't\["([\w.]+)"\]', code))
    used |= {f"button.{key}" for key in re.findall(r'this\.button\("(\w+)"', code)}
    used |= {f"card.kind.{kind}" for kind in ("op", "input", "parameter", "constant")}
    assert used <= set(KEYS), sorted(used - set(KEYS))
