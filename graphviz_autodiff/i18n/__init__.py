"""Every user-facing text of graphviz_autodiff and viz, in every language: one gettext catalogue.

The texts live in GNU gettext catalogues, one per language, shipped with the
package::

    graphviz_autodiff/i18n/locale/
        graphviz_autodiff.pot                   the template: every message id
        en/LC_MESSAGES/graphviz_autodiff.po     English texts (edited by hand)
        en/LC_MESSAGES/graphviz_autodiff.mo     compiled (committed, read at run time)
        ru/LC_MESSAGES/graphviz_autodiff.po     Russian texts
        ru/LC_MESSAGES/graphviz_autodiff.mo

At run time only the standard library's :mod:`gettext` reads the compiled
``.mo`` files; Babel, which extracts the template and compiles the
catalogues (``python -m graphviz_autodiff.i18n``, ``make i18n``), is a
development tool. :data:`LANGS` is the set of catalogues present, so adding a
language is adding a catalogue.

Message ids are keys, dotted by area (``kind.wrong_gradient``,
``step.head``, ``legend.title``, ``plot.epoch``); a message is a
:meth:`str.format` template whose ``{fields}`` are filled by :func:`tr`.
A message with plural forms (``msgid_plural`` in the catalogue) is chosen by
the integer field ``n``, with the language's own plural rule (Russian has
three forms: 1 градиент, 2 градиента, 5 градиентов).

Areas: ``kind.`` ``diag.`` ``msg.`` ``why.`` ``what.`` ``col.`` ``report.``
(the debugger), ``count.`` (counts inside messages), ``cli.`` (the ``check``
command), ``button.`` ``tooltip.`` ``label.`` ``status.`` ``dir.`` ``step.``
``note.`` ``problem.`` ``html.`` (the stepper and its HTML page), ``legend.``
``node.`` ``state.`` ``overlay.`` (drawings), ``plot.`` (figures), ``exc.`` (the errors and warnings
the engine raises: kept as a :class:`Message` by the error, said in any language by ``error.message(lang)``;
``str(error)`` is said in :func:`message_lang`).

To add a message, call ``tr("area.new_key", lang, field=...)`` in the code and
run ``make i18n``: the key arrives, empty, in every catalogue; write its text
in ``en/.../graphviz_autodiff.po`` and its translations in the others (a
count? give it ``msgid_plural`` and one ``msgstr[i]`` per plural form), and run
``make i18n`` again to compile. To add a language, run
``python -m graphviz_autodiff.i18n --init de``, translate
``de/LC_MESSAGES/graphviz_autodiff.po`` and run ``make i18n``; ``"de"`` is then
in :data:`LANGS`. The tests fail while a message is untranslated, has other
fields than in English, or a ``.mo`` is not its compiled ``.po``.

Examples
--------
>>> from graphviz_autodiff.i18n import tr
>>> tr("kind.wrong_gradient", "ru")
'неверный градиент'
>>> tr("report.all_ok", n=3)
'all 3 nodes pass'
>>> [tr("count.gradients", "ru", n=n) for n in (1, 2, 5)]
['1 градиент', '2 градиента', '5 градиентов']
"""

from __future__ import annotations

import contextlib
import functools
import gettext
import io
import numbers
import os
import string
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

__all__ = [
    "DOMAIN",
    "LANGS",
    "LANG_VARIABLE",
    "I18nError",
    "Message",
    "MissingFieldError",
    "UnknownLanguageError",
    "UnknownMessageError",
    "check_lang",
    "fields",
    "message_lang",
    "messages_in",
    "set_message_lang",
    "tr",
]

DOMAIN = "graphviz_autodiff"
"""The gettext domain: the file name of every catalogue (``graphviz_autodiff.po`` / ``.mo``)."""

_LOCALE = resources.files(__name__) / "locale"


class I18nError(KeyError):
    """A text could not be produced (unknown language, unknown key, missing field).

    Derives from :class:`KeyError` (it is a failed lookup) but prints its
    message plainly instead of ``KeyError``'s quoted ``repr``.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnknownLanguageError(I18nError, ValueError):
    """``lang`` is not one of :data:`LANGS` (also a :class:`ValueError`: a bad argument value)."""


class UnknownMessageError(I18nError):
    """No message has this key (or the catalogue of this language lacks it)."""


class MissingFieldError(I18nError):
    """The message needs a ``{field}`` (or, for a plural message, the count ``n``) that the call did not pass."""


class _Catalogue(gettext.GNUTranslations):
    """One compiled catalogue, which also says whether a key is there and whether it has plural forms."""

    def has_plural(self, key: str) -> bool | None:
        """``True`` for a message with plural forms, ``False`` for a plain one, ``None`` when absent."""
        if key in self._catalog:
            return False
        if (key, 0) in self._catalog:
            return True
        return None

    def message_keys(self) -> list[str]:
        """Every message key of the catalogue (the header excluded), sorted."""
        found = {k[0] if isinstance(k, tuple) else k for k in self._catalog}
        return sorted(k for k in found if k)


def _discover() -> tuple[str, ...]:
    """The languages whose compiled catalogue is present, sorted."""
    mo = f"{DOMAIN}.mo"
    return tuple(sorted(d.name for d in _LOCALE.iterdir() if (d / "LC_MESSAGES" / mo).is_file()))


LANGS: tuple[str, ...] = _discover()
"""The languages with a catalogue (``("en", "ru")``), found from the ``.mo`` files present."""


def check_lang(lang: Any, where: str | None = None) -> str:
    """``lang`` itself if it is one of :data:`LANGS`, else an :class:`UnknownLanguageError`.

    Parameters
    ----------
    lang : str
        The language to check.
    where : str, optional
        Who asks (``"Stepper"``), put in front of the message.

    Returns
    -------
    str
        ``lang``.

    Raises
    ------
    UnknownLanguageError
        A :class:`KeyError` and a :class:`ValueError` naming the languages available.

    Examples
    --------
    >>> check_lang("ru")
    'ru'
    >>> check_lang("de", "Stepper")
    Traceback (most recent call last):
    ...
    graphviz_autodiff.i18n.UnknownLanguageError: Stepper: lang must be one of 'en', 'ru', got 'de'
    """
    if isinstance(lang, str) and lang in LANGS:
        return lang
    prefix = f"{where}: " if where else ""
    raise UnknownLanguageError(f"{prefix}lang must be one of {', '.join(map(repr, LANGS))}, got {lang!r}")


@functools.cache
def _catalogue(lang: str) -> _Catalogue:
    check_lang(lang)
    data = (_LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.mo").read_bytes()
    return _Catalogue(io.BytesIO(data))


def fields(template: str) -> frozenset[str]:
    """The names of the ``{fields}`` of a :meth:`str.format` template.

    Examples
    --------
    >>> sorted(fields("∂L/∂{arg} is off by {factor:.2g}, not {{this}}"))
    ['arg', 'factor']
    """
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def tr(key: str, lang: str = "en", *, default: str | None = None, **values: Any) -> str:
    """The message ``key`` in language ``lang``, formatted with ``values`` (plain text, not escaped).

    Parameters
    ----------
    key : str
        A message id of the catalogue (``"kind.shape"``, ``"step.head"``, ``"legend.title"``...).
    lang : str, default "en"
        One of :data:`LANGS`.
    default : str, optional
        Returned as is when the catalogue has no message ``key`` (for keys made
        from values that come from outside, such as the verdict kind of a
        report built by hand); without it an unknown key is an error.
    **values
        Values of the message's ``{fields}``; extra values are ignored. A
        message with plural forms needs the integer count ``n``, which picks
        the form by the language's plural rule.

    Returns
    -------
    str

    Raises
    ------
    UnknownLanguageError
        ``lang`` has no catalogue (also a :class:`ValueError`).
    UnknownMessageError
        No message ``key`` in this language; the message lists keys of the same area.
    MissingFieldError
        A field of the message (or the count ``n`` of a plural message) is not in ``values``.
    TypeError
        ``n`` of a plural message is not an integer.

    Examples
    --------
    >>> tr("msg.factor", "en", arg="θ", factor=2)
    '∂L/∂θ is off by a constant factor: backward returns 2 × the correct gradient'
    >>> tr("label.params", "ru", n=3, count="3")
    '3 параметра'
    >>> tr("kind.made_up", "ru", default="made_up")
    'made_up'
    """
    catalogue = _catalogue(lang)
    plural = catalogue.has_plural(key)
    if plural is None:
        if default is not None:
            return default
        area = key.split(".", 1)[0] + "."
        keys = [k for k in catalogue.message_keys() if k.startswith(area)]
        near = sorted(keys, key=lambda k: (not k.startswith(key), k))[:8]  # the keys the typo starts first
        hint = f"; keys starting with {area!r}: {', '.join(near)}" if near else ""
        raise UnknownMessageError(f"no message {key!r} in language {lang!r}{hint}")
    if plural:
        if "n" not in values:
            raise MissingFieldError(f"message {key!r} has plural forms: pass the count, tr({key!r}, {lang!r}, n=...)")
        n = values["n"]
        if not isinstance(n, numbers.Integral) or isinstance(n, bool):
            raise TypeError(f"message {key!r}: the count n must be an integer, got {n!r}")
        template = catalogue.ngettext(key, key, int(n))
    else:
        template = catalogue.gettext(key)
    try:
        return template.format(**values)
    except KeyError as error:
        raise MissingFieldError(
            f"message {key!r} needs the field {error.args[0]!r}; pass tr({key!r}, {lang!r}, "
            f"{', '.join(f'{name}=...' for name in sorted(fields(template)))})"
        ) from None


@dataclass(frozen=True)
class Message:
    """A text to be said later, in any language: a catalogue key and its fields.

    Errors and notes are made before anyone knows in which language they will
    be read (a Russian stepper, an English notebook, a grader's ``--lang``):
    they keep a :class:`Message` and say it with :meth:`text`.

    Attributes
    ----------
    key : str
        A message id of the catalogue (``"exc.shape"``, ``"note.converted"``).
    fields : Mapping
        The template's fields. A field may itself be a :class:`Message` (said
        in the same language), or a tuple of them (said and joined with ", ").

    Examples
    --------
    >>> Message("exc.what_gradient", {"argument": Message("exc.argument_named", {"position": 1, "name": "y"})}).text()
    'the gradient for argument 1 (y)'
    >>> Message("count.nonfinite", {"n": 5, "what": Message("count.nan", {"n": 2})}).text("ru")
    '2 NaN из 5 значений'
    """

    key: str
    fields: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        """The message in ``lang`` (one of :data:`LANGS`)."""
        values = {}
        for name, value in self.fields.items():
            if isinstance(value, Message):
                value = value.text(lang)
            elif isinstance(value, tuple) and value and all(isinstance(v, Message) for v in value):
                value = ", ".join(v.text(lang) for v in value)
            values[name] = value
        return tr(self.key, lang, **values)

    def __str__(self) -> str:
        return self.text(message_lang())


#: The environment variable that sets :func:`message_lang` for a whole session (``GRAPHVIZ_AUTODIFF_LANG=ru``).
LANG_VARIABLE = "GRAPHVIZ_AUTODIFF_LANG"
_message_lang: str | None = None
_scoped_lang: ContextVar[str | None] = ContextVar("graphviz_autodiff.message_lang", default=None)


def set_message_lang(lang: str | None) -> None:
    """Say the library's errors and warnings in ``lang`` from now on (``None``: back to the default).

    The default is the environment variable ``GRAPHVIZ_AUTODIFF_LANG`` when it
    names a catalogue, else English. Drawings, the stepper and reports take
    their own ``lang=``; this is the language of ``str(error)`` for what the
    engine raises (a shape rule broken, a missing gradient...), for a course
    held in Russian: ``graphviz_autodiff.set_message_lang("ru")`` at the top of
    the notebook.

    Parameters
    ----------
    lang : str or None
        One of :data:`LANGS`, or ``None``.

    Examples
    --------
    >>> set_message_lang("ru"); message_lang()
    'ru'
    >>> set_message_lang(None); message_lang()
    'en'
    """
    global _message_lang
    _message_lang = None if lang is None else check_lang(lang, "set_message_lang")


@contextlib.contextmanager
def messages_in(lang: str) -> Iterator[str]:
    """Say errors and warnings in ``lang`` inside the ``with`` block (what a Russian stepper or report does).

    Examples
    --------
    >>> with messages_in("ru"):
    ...     message_lang()
    'ru'
    """
    token = _scoped_lang.set(check_lang(lang, "messages_in"))
    try:
        yield lang
    finally:
        _scoped_lang.reset(token)


def message_lang() -> str:
    """The language errors and warnings are said in: a :func:`messages_in` block's, else :func:`set_message_lang`'s."""
    scoped = _scoped_lang.get()
    if scoped is not None:
        return scoped
    if _message_lang is not None:
        return _message_lang
    lang = os.environ.get(LANG_VARIABLE, "")
    return lang if lang in LANGS else "en"
