"""The message tables: same keys and fields in every language, clear errors."""

from __future__ import annotations

import re

import pytest

from graphviz_autodiff.debug import DIAGNOSES, KINDS
from graphviz_autodiff.i18n import (
    LANGS,
    MESSAGES,
    I18nError,
    MissingFieldError,
    UnknownLanguageError,
    UnknownMessageError,
    fields,
    tr,
)

CYRILLIC = re.compile("[а-яА-ЯёЁ]")


def test_english_and_russian_exist():
    assert set(LANGS) == {"en", "ru"}


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_every_language_has_the_same_keys(lang):
    assert set(MESSAGES[lang]) == set(MESSAGES["en"]), (
        f"only in en: {sorted(set(MESSAGES['en']) - set(MESSAGES[lang]))}; "
        f"only in {lang}: {sorted(set(MESSAGES[lang]) - set(MESSAGES['en']))}"
    )


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_every_message_has_the_same_fields(lang):
    different = {
        key: (sorted(fields(MESSAGES["en"][key])), sorted(fields(MESSAGES[lang][key])))
        for key in MESSAGES["en"]
        if fields(MESSAGES["en"][key]) != fields(MESSAGES[lang][key])
    }
    assert different == {}


def test_russian_messages_are_translated():
    # every Russian message with words has Russian words (code such as upstream_grad may stay)
    untranslated = [k for k, v in MESSAGES["ru"].items() if any(c.isalpha() for c in v) and not CYRILLIC.search(v)]
    assert untranslated == []


def test_every_kind_and_diagnosis_has_a_name():
    for kind in KINDS:
        assert tr(f"kind.{kind}", "en") and tr(f"kind.{kind}", "ru")
    for diagnosis in DIAGNOSES:
        assert tr(f"diag.{diagnosis}", "en") and tr(f"diag.{diagnosis}", "ru")


def test_tr_formats_fields_and_ignores_extra_ones():
    assert tr("msg.factor", "en", arg="θ", factor="0.5", unused=1) == (
        "∂L/∂θ is off by a constant factor: backward returns 0.5 × the correct gradient"
    )
    assert tr("report.all_ok", "ru", n=7) == "все узлы (7) в порядке"


def test_unknown_language_is_a_key_error_with_the_choices():
    with pytest.raises(UnknownLanguageError) as info:
        tr("kind.ok", "de")
    assert isinstance(info.value, KeyError) and isinstance(info.value, I18nError)
    assert str(info.value) == "unknown language 'de'; available: en, ru"


def test_unknown_key_is_a_key_error_naming_nearby_keys():
    with pytest.raises(UnknownMessageError) as info:
        tr("kind.wrong", "en")
    assert isinstance(info.value, KeyError)
    message = str(info.value)
    assert message.startswith("no message 'kind.wrong' in language 'en'")
    assert "kind.exception" in message and "kind.ok" in message  # the first keys of the area, sorted


def test_missing_field_says_which_fields_to_pass():
    with pytest.raises(MissingFieldError) as info:
        tr("msg.factor", "en", arg="x")
    assert isinstance(info.value, KeyError)
    assert "needs the field 'factor'" in str(info.value)
    assert "arg=..., factor=..." in str(info.value)


def test_fields_lists_format_fields():
    assert fields("{a} and {b:.2f} but not {{c}}") == frozenset({"a", "b"})
