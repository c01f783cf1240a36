"""viz.viewer.strings: every word of the viewer from the catalogue, in en and ru, templates kept, plain text."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from graphviz_autodiff.i18n import UnknownLanguageError
from viz.viewer.strings import FIELDS, KEYS, LANGS, strings

# viz.viewer re-exports the function strings(), which hides the module of the same name.
VIEWER_JS = Path(importlib.import_module("viz.viewer.strings").__file__).with_name("static") / "viewer.js"


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_is_translated_and_only_known_fields_are_left(lang):
    words = strings(lang)
    assert list(words) == list(KEYS) and len(set(KEYS)) == len(KEYS)
    for key, text in words.items():
        assert text and text != key, (lang, key)
        assert set(re.findall(r"\{(\w+)\}", text)) <= set(FIELDS), (lang, key, text)
        assert not re.search(r"[<>&]", text), (lang, key, text)  # plain text, never markup


def test_exact_words_in_both_languages():
    en, ru = strings("en"), strings("ru")
    assert (en["status.counter"], ru["button.next"]) == ("step {k} of {n}", "вперёд ▶")
    different = [k for k in KEYS if en[k] != ru[k]]
    assert len(different) > len(KEYS) * 3 // 4


def test_every_template_field_survives():
    used = {f for lang in LANGS for text in strings(lang).values() for f in re.findall(r"\{(\w+)\}", text)}
    assert used == set(FIELDS)


def test_every_word_the_front_end_reads_literally_is_in_keys():
    source = VIEWER_JS.read_text(encoding="utf-8")
    literal = set(re.findall(r'this\.s\["([^"]+)"\]', source))
    assert literal and literal <= set(KEYS), literal - set(KEYS)
    for prefix in re.findall(r"this\.s\[`(\w+)\.\$\{", source):
        assert any(key.startswith(prefix + ".") for key in KEYS), prefix


def test_an_unknown_language_is_refused():
    with pytest.raises(UnknownLanguageError, match=r"viz\.viewer: lang must be one of 'en', 'ru', got 'de'"):
        strings("de")
    assert issubclass(UnknownLanguageError, ValueError)
