"""graphviz_autodiff.i18n.tr: lookup in the compiled catalogues, plural forms, clear errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

from graphviz_autodiff.i18n import (
    LANGS,
    I18nError,
    MissingFieldError,
    UnknownLanguageError,
    UnknownMessageError,
    check_lang,
    fields,
    tr,
)
from graphviz_autodiff.i18n.tools import LOCALE_DIR, languages


def test_languages_are_the_catalogues_present():
    assert LANGS == ("en", "ru")
    assert list(LANGS) == languages()
    assert sorted(d.name for d in LOCALE_DIR.iterdir() if d.is_dir()) == list(LANGS)


def test_tr_formats_fields_and_ignores_extra_ones():
    assert tr("msg.factor", "en", arg="θ", factor="0.5", unused=1) == (
        "∂L/∂θ is off by a constant factor: backward returns 0.5 × the correct gradient"
    )
    assert tr("report.all_ok", "ru", n=7) == "все узлы (7) в порядке"
    assert tr("button.next", "ru") == "вперёд ▶"
    assert tr("legend.title", "ru") == "Легенда"
    assert tr("plot.r2", "en", r2=0.98765) == "objects (R² = 0.988)"


def test_lang_defaults_to_english():
    assert tr("kind.wrong_gradient") == "wrong gradient"


@pytest.mark.parametrize(
    ("n", "en", "ru"),
    [
        (1, "1 gradient", "1 градиент"),
        (2, "2 gradients", "2 градиента"),
        (4, "4 gradients", "4 градиента"),
        (5, "5 gradients", "5 градиентов"),
        (11, "11 gradients", "11 градиентов"),
        (12, "12 gradients", "12 градиентов"),
        (21, "21 gradients", "21 градиент"),
        (22, "22 gradients", "22 градиента"),
        (0, "0 gradients", "0 градиентов"),
    ],
)
def test_plural_forms_follow_each_language(n, en, ru):
    assert tr("count.gradients", "en", n=n) == en
    assert tr("count.gradients", "ru", n=n) == ru


def test_plural_message_shows_any_field_and_picks_the_form_by_n():
    assert tr("label.params", "en", n=1, count="1") == "1 param"
    assert tr("label.params", "en", n=1200, count="1 200") == "1 200 params"
    assert tr("label.params", "ru", n=1200, count="1 200") == "1 200 параметров"


def test_plural_message_needs_an_integer_count():
    expected = "has plural forms: pass the count, tr('count.gradients', 'ru', n=...)"
    with pytest.raises(MissingFieldError, match=re.escape(expected)):
        tr("count.gradients", "ru")
    with pytest.raises(TypeError, match=re.escape("the count n must be an integer, got 2.5")):
        tr("count.gradients", "ru", n=2.5)
    with pytest.raises(TypeError, match="got True"):
        tr("count.gradients", "ru", n=True)


def test_numpy_integers_are_counts():
    assert tr("count.gradients", "ru", n=np.int64(3)) == "3 градиента"


def test_unknown_language_is_a_key_error_and_a_value_error_with_the_choices():
    with pytest.raises(UnknownLanguageError) as info:
        tr("kind.ok", "de")
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)
    assert isinstance(info.value, I18nError)
    assert str(info.value) == "lang must be one of 'en', 'ru', got 'de'"


def test_check_lang_names_the_caller():
    assert check_lang("ru") == "ru"
    with pytest.raises(UnknownLanguageError, match=r"^Stepper: lang must be one of 'en', 'ru', got 'fr'$"):
        check_lang("fr", "Stepper")
    with pytest.raises(UnknownLanguageError, match="got None"):
        check_lang(None)


def test_unknown_key_is_a_key_error_naming_nearby_keys():
    with pytest.raises(UnknownMessageError) as info:
        tr("kind.wrong", "en")
    assert isinstance(info.value, KeyError)
    message = str(info.value)
    assert message.startswith("no message 'kind.wrong' in language 'en'")
    assert "kind.wrong_gradient" in message
    with pytest.raises(UnknownMessageError, match=r"^no message 'nowhere' in language 'ru'$"):
        tr("nowhere", "ru")


def test_default_replaces_an_unknown_key_only():
    assert tr("kind.made_up", "ru", default="made_up") == "made_up"
    assert tr("kind.shape", "ru", default="shape") == "правило формы"
    with pytest.raises(UnknownLanguageError):
        tr("kind.made_up", "xx", default="made_up")


def test_missing_field_says_which_fields_to_pass():
    with pytest.raises(MissingFieldError) as info:
        tr("msg.factor", "en", arg="x")
    assert isinstance(info.value, KeyError)
    assert "needs the field 'factor'" in str(info.value)
    assert "arg=..., factor=..." in str(info.value)


def test_fields_lists_format_fields():
    assert fields("{a} and {b:.2f} but not {{c}}") == frozenset({"a", "b"})
