"""Maintain the catalogues with Babel: extract the template, update the catalogues, compile them.

A development tool (``make i18n``, ``python -m graphviz_autodiff.i18n``):
the package never imports this module at run time, and Babel is needed only
here (it is in the ``test`` extra).

The English catalogue is where the English texts are written (the message
ids are keys, not English sentences), so it is also the source of the
template:

1. :func:`extract` builds the template: every key of the English catalogue,
   plus every key that ``graphviz_autodiff/`` and ``viz/`` write out
   (:func:`code_keys` reads their syntax trees: ``tr("...")``, and key-shaped
   strings such as ``{"transpose": "msg.shape_transpose"}``), with the English
   text as a comment for translators and the files that use the key.
2. :func:`update` merges the template into every catalogue: a new key arrives
   untranslated, a key no longer in the template becomes obsolete (``#~``).
   No fuzzy matching: keys that look alike are different messages.
3. :func:`compile_catalogue` turns a ``.po`` into the ``.mo`` read at run
   time. The ``.mo`` does not record Babel's version, so the same ``.po``
   gives the same bytes whatever Babel compiled it.

Files are rewritten only when their messages change, so running the tool
twice changes nothing.

Examples
--------
>>> from graphviz_autodiff.i18n import tools
>>> sorted(tools.languages())
['en', 'ru']
>>> tools.compile_catalogue(tools.po_path("ru")) == tools.mo_path("ru").read_bytes()
True
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import re
import runpy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from . import DOMAIN, fields

__all__ = [
    "LOCALE_DIR",
    "ROOT",
    "SOURCES",
    "SOURCE_LANG",
    "CodeKeys",
    "check",
    "code_keys",
    "compile_catalogue",
    "extract",
    "import_table",
    "init",
    "languages",
    "mo_path",
    "po_path",
    "read",
    "run",
    "template_path",
    "untranslated",
    "update",
    "wrong_fields",
]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
"""The folder of the catalogues: ``<lang>/LC_MESSAGES/graphviz_autodiff.po`` and the template."""

ROOT = LOCALE_DIR.parents[2]
"""The project folder (the one holding ``graphviz_autodiff/`` and ``viz/``)."""

SOURCES = ("graphviz_autodiff", "viz")
"""The packages whose ``tr("...")`` calls are extracted."""

SOURCE_LANG = "en"
"""The catalogue in which the texts are first written (the template is made from its keys)."""

_HEADER = """\
# {title} of graphviz_autodiff and viz.
# Message ids are keys ("kind.wrong_gradient"); the English text of each is
# in the "#." comment above it. Fields in {{braces}} must be kept as they are.
# Regenerate with: python -m graphviz_autodiff.i18n (make i18n)."""


def template_path() -> Path:
    """The template, ``locale/graphviz_autodiff.pot``."""
    return LOCALE_DIR / f"{DOMAIN}.pot"


def po_path(lang: str) -> Path:
    """The editable catalogue of ``lang``, ``locale/<lang>/LC_MESSAGES/graphviz_autodiff.po``."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    """The compiled catalogue of ``lang`` read at run time (``.mo`` beside the ``.po``)."""
    return po_path(lang).with_suffix(".mo")


def languages() -> list[str]:
    """The languages that have a ``.po`` catalogue, sorted."""
    return sorted(d.name for d in LOCALE_DIR.iterdir() if po_path(d.name).is_file())


def read(path: Path) -> Catalog:
    """A ``.po`` or ``.pot`` file as a Babel :class:`~babel.messages.catalog.Catalog`."""
    with path.open("rb") as f:
        return read_po(f, domain=DOMAIN)


def _messages(catalog: Catalog) -> Iterator[Message]:
    """The messages of a catalogue without its header."""
    return (m for m in catalog if m.id)


def _key(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


_KEY = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+")
_FILE_SUFFIXES = frozenset({"csv", "dot", "html", "json", "md", "mo", "pdf", "png", "po", "pot", "py", "svg", "txt"})


@dataclass
class CodeKeys:
    """The message keys that the code of :data:`SOURCES` names.

    Attributes
    ----------
    literal : dict of str to list of str
        Keys written out in the code, each with the files naming it: the first
        argument of ``tr("...")`` (both branches of ``tr("a" if c else "b")``),
        and any other string shaped like a key of a known area
        (``{"transpose": "msg.shape_transpose"}[...]``).
    built : list of (str, int, str)
        Calls whose key is built at run time: file, line, and the key's fixed
        start (``"kind."`` for ``tr(f"kind.{kind}")``; ``""`` when the key is a variable).
    """

    literal: dict[str, list[str]] = field(default_factory=dict)
    built: list[tuple[str, int, str]] = field(default_factory=list)


def _is_tr(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Name) and func.id == "tr") or (isinstance(func, ast.Attribute) and func.attr == "tr")


def _key_parts(node: ast.expr) -> tuple[list[str], list[str]]:
    """The keys an argument of ``tr`` can be: ``(written-out keys, fixed starts of built keys)``.

    A string is written out; an f-string is built, and its start is its constant
    beginning (``"kind."`` of ``f"kind.{kind}"``); a conditional gives both of its
    branches; anything else (a variable) is built with the start ``""``.
    """
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value], []
    if isinstance(node, ast.IfExp):
        (a, b), (c, d) = _key_parts(node.body), _key_parts(node.orelse)
        return a + c, b + d
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return [], [first.value]
    return [], [""]


def code_keys(root: Path = ROOT, areas: frozenset[str] | None = None) -> CodeKeys:
    """Scan the Python files of :data:`SOURCES` for the message keys they use.

    Parameters
    ----------
    root : Path
        The project folder.
    areas : frozenset of str, optional
        The areas (``"msg"``, ``"legend"``) whose key-shaped strings count
        outside ``tr()`` calls; default the areas of the English catalogue.
    """
    if areas is None:
        areas = frozenset(_key(m).split(".", 1)[0] for m in _messages(read(po_path(SOURCE_LANG))))
    found = CodeKeys()
    literal: dict[str, set[str]] = {}
    for package in SOURCES:
        for path in sorted((root / package).rglob("*.py")):
            name = path.relative_to(root).as_posix()
            if name.startswith("graphviz_autodiff/i18n/"):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=name)
            skip = {id(n) for f in ast.walk(tree) if isinstance(f, ast.JoinedStr) for n in ast.walk(f)}
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and _is_tr(node) and node.args:
                    keys, starts = _key_parts(node.args[0])
                    skip.update(id(n) for n in ast.walk(node.args[0]))
                    found.built += [(name, node.lineno, start) for start in starts]
                    for key in keys:
                        literal.setdefault(key, set()).add(name)
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                    text = node.value
                    area, _, rest = text.partition(".")
                    if _KEY.fullmatch(text) and area in areas and rest.rsplit(".", 1)[-1] not in _FILE_SUFFIXES:
                        literal.setdefault(text, set()).add(name)
    found.literal = {key: sorted(files) for key, files in sorted(literal.items())}
    return found


def extract(root: Path = ROOT) -> Catalog:
    """The template: the keys of the English catalogue and of the code, with the English text as a comment.

    The keys keep the order of the English catalogue; a key found only in the
    code joins the other keys of its area (``cli.``, ``msg.``...).
    """
    source = read(po_path(SOURCE_LANG))
    used = code_keys(root).literal
    entries: list[tuple[Any, list[str]]] = []
    for message in _messages(source):
        english = message.string if isinstance(message.string, str) else " | ".join(message.string)
        entries.append((message.id, [english] if english else []))
    known = {_key(m) for m in _messages(source)}
    entries += [(key, []) for key in used if key not in known]
    areas: dict[str, int] = {}
    for message_id, _ in entries:
        areas.setdefault(_area(message_id), len(areas))
    entries.sort(key=lambda entry: areas[_area(entry[0])])  # stable: the order within an area is kept
    template = Catalog(domain=DOMAIN, project=DOMAIN, version="", header_comment=_HEADER.format(title="Template"))
    for message_id, comments in entries:
        files = used.get(message_id if isinstance(message_id, str) else message_id[0], [])
        template.add(message_id, auto_comments=comments, locations=[(f, None) for f in files])
    return template


def _area(message_id: str | tuple[str, ...]) -> str:
    key = message_id if isinstance(message_id, str) else message_id[0]
    return key.split(".", 1)[0]


def update(catalog: Catalog, template: Catalog, lang: str) -> Catalog:
    """``catalog`` merged with ``template`` (new keys untranslated, removed keys obsolete).

    Parameters
    ----------
    catalog : Catalog
        A language's catalogue, changed in place.
    template : Catalog
        The template (:func:`extract`).
    lang : str
        The catalogue's language; the English one gets no translator comments.

    Returns
    -------
    Catalog
        ``catalog``.
    """
    catalog.update(template, no_fuzzy_matching=True, keep_user_comments=True)
    if lang == SOURCE_LANG:  # the English text is the message itself: no comment repeating it
        for message in _messages(catalog):
            message.auto_comments = []
    return catalog


def compile_catalogue(po: Path) -> bytes:
    """The ``.mo`` bytes of the ``.po`` file ``po`` (fuzzy and untranslated messages left out).

    The header keeps every field of the ``.po`` except ``Generated-By``, so the
    bytes depend on the ``.po`` only, not on the version of Babel.

    Parameters
    ----------
    po : Path
        A catalogue.

    Returns
    -------
    bytes
        What :func:`gettext.GNUTranslations` reads.
    """
    catalog = read(po)
    buffer = io.BytesIO()
    write_mo(buffer, cast(Catalog, _WithoutTool(catalog)))
    return buffer.getvalue()


class _WithoutTool:
    """What :func:`babel.messages.mofile.write_mo` reads of a catalogue, minus the ``Generated-By`` header."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.charset = catalog.charset

    def __iter__(self) -> Iterator[Message]:
        header, *messages = list(self.catalog)
        lines = [line for line in header.string.splitlines() if not line.startswith("Generated-By:")]
        yield Message("", "\n".join(lines) + "\n", flags=header.flags)
        yield from messages


def _render(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=120, include_lineno=False)
    return buffer.getvalue()


def _up_to_date(path: Path, catalog: Catalog, *, template: bool) -> bool:
    """Whether ``path`` already holds ``catalog`` (the dates of its header aside); copies those dates over."""
    if not path.is_file():
        return False
    old = read(path)
    catalog.creation_date = old.creation_date
    if not template:
        catalog.revision_date = old.revision_date
    return _render(catalog) == path.read_bytes()


def _save(path: Path, catalog: Catalog, *, template: bool) -> bool:
    """Write ``catalog`` to ``path`` unless its messages are those already there; ``True`` if written.

    The dates of the header are kept from the file on disk when nothing else
    changed, and set to now otherwise.
    """
    if _up_to_date(path, catalog, template=template):
        return False
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    if template:
        catalog.creation_date = now
    else:
        catalog.revision_date = now
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_render(catalog))
    return True


def _texts(message: Message) -> tuple[str, ...]:
    """The text of a message, as a tuple of its plural forms (one element for a plain message)."""
    string = message.string
    return (string,) if isinstance(string, str) else tuple(string or ())


def untranslated(lang: str, template: Catalog | None = None) -> list[str]:
    """The keys of the template that ``lang``'s catalogue lacks, leaves empty, marks fuzzy or gets wrong.

    Parameters
    ----------
    lang : str
        A language with a catalogue.
    template : Catalog, optional
        Default: the committed template.

    Returns
    -------
    list of str
        ``"key: reason"`` with the reason ``missing``, ``empty``, ``fuzzy``,
        ``plural`` (the template has plural forms and the catalogue has not, or
        the reverse) or ``forms`` (not as many plural forms as the language
        has); empty when every message is translated.
    """
    template = template or read(template_path())
    catalog = read(po_path(lang))
    problems = []
    for wanted in _messages(template):
        key = _key(wanted)
        message = catalog.get(key)
        if message is None:
            problems.append(f"{key}: missing")
        elif message.fuzzy:
            problems.append(f"{key}: fuzzy")
        elif isinstance(wanted.id, str) != isinstance(message.id, str):
            problems.append(f"{key}: plural")
        elif not all(_texts(message)) or not _texts(message):
            problems.append(f"{key}: empty")
        elif not isinstance(message.id, str) and len(_texts(message)) != catalog.num_plurals:
            problems.append(f"{key}: forms")
    return problems


def wrong_fields(lang: str) -> dict[str, tuple[list[str], list[str]]]:
    """The keys whose ``{fields}`` in ``lang`` differ from the English ones.

    For a message with plural forms, the fields of all its forms together count;
    untranslated messages are left to :func:`untranslated`.

    Parameters
    ----------
    lang : str
        A language with a catalogue.

    Returns
    -------
    dict of str to (list of str, list of str)
        ``{key: (English fields, fields in lang)}``; empty when all agree.
    """
    english = {_key(m): m for m in _messages(read(po_path(SOURCE_LANG)))}
    different = {}
    for message in _messages(read(po_path(lang))):
        key = _key(message)
        if key not in english or not all(_texts(message)):
            continue
        want = sorted(set().union(*(fields(t) for t in _texts(english[key]))))
        got = sorted(set().union(*(fields(t) for t in _texts(message))))
        if want != got:
            different[key] = (want, got)
    return different


def _show(path: Path) -> str:
    """``path`` relative to the project folder when it is inside it."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def _ids(catalog: Catalog) -> list[tuple[str, bool]]:
    """The keys of a catalogue in order, each with whether it has plural forms."""
    return [(_key(m), not isinstance(m.id, str)) for m in _messages(catalog)]


def check(root: Path = ROOT) -> list[str]:
    """Every reason to run the tool or to translate something (``--check``; an empty list when all is well).

    Reported: a template whose keys are not those :func:`extract` finds now
    (comments and file names aside, which only help translators), a catalogue
    that the update would change, a ``.mo`` that is not its compiled ``.po``,
    every untranslated message (:func:`untranslated`) and every message whose
    fields differ from the English ones (:func:`wrong_fields`).
    """
    problems = []
    hint = "run python -m graphviz_autodiff.i18n (make i18n)"
    if not template_path().is_file() or _ids(read(template_path())) != _ids(extract(root)):
        problems.append(
            f"{_show(template_path())} does not hold the keys of the code and of the English catalogue: {hint}"
        )
    template = read(template_path()) if template_path().is_file() else extract(root)
    for lang in languages():
        po = po_path(lang)
        if _ids(update(read(po), template, lang)) != _ids(read(po)):
            problems.append(f"{_show(po)} does not hold the keys of the template: {hint}")
        if not mo_path(lang).is_file() or mo_path(lang).read_bytes() != compile_catalogue(po):
            problems.append(f"{_show(mo_path(lang))} is not the compiled {po.name}: {hint}")
        problems += [f"{_show(po)}: {p}" for p in untranslated(lang, template)]
        for key, (english, got) in wrong_fields(lang).items():
            problems.append(f"{_show(po)}: {key}: fields {got}, English {english}")
    return problems


def init(lang: str, template: Catalog | None = None) -> Path:
    """Start the catalogue of a new language from the template (every message untranslated).

    Parameters
    ----------
    lang : str
        A language code (``"de"``, ``"uk"``); its plural rule comes from Babel's CLDR data.
    template : Catalog, optional
        Default: the committed template.

    Returns
    -------
    Path
        The new ``.po`` file.

    Raises
    ------
    FileExistsError
        The language already has a catalogue.
    """
    path = po_path(lang)
    if path.exists():
        raise FileExistsError(f"{path} already exists; edit it, or run the update")
    template = template or read(template_path())
    catalog = Catalog(locale=lang, domain=DOMAIN, project=DOMAIN, version="", header_comment=_HEADER.format(title=lang))
    _save(path, update(catalog, template, lang), template=False)
    return path


def import_table(path: Path, *, overwrite: bool = False) -> dict[str, list[str]]:
    """Copy messages from an old Python table into the catalogues (to merge work done on the old tables).

    Parameters
    ----------
    path : Path
        A Python file defining ``{lang: {key: text}}`` as ``MESSAGES`` or
        ``STRINGS``, or one dictionary per language named ``EN``, ``RU``...
        (the tables that :mod:`graphviz_autodiff.i18n` replaced).
    overwrite : bool, default False
        Replace texts that a catalogue already has.

    Returns
    -------
    dict of str to list of str
        The keys added per language. Run :func:`run` afterwards.
    """
    namespace = runpy.run_path(str(path))
    tables: Mapping[str, Mapping[str, Any]] = namespace.get("MESSAGES") or namespace.get("STRINGS") or {}
    if not tables:
        tables = {name.lower(): value for name, value in namespace.items() if name.isupper() and len(name) == 2}
    added: dict[str, list[str]] = {}
    for lang, table in tables.items():
        if not po_path(lang).is_file():
            continue
        catalog = read(po_path(lang))
        for key, text in table.items():
            if key in catalog and catalog[key].string and not overwrite:
                continue
            catalog.add(key, str(text))
            added.setdefault(lang, []).append(key)
        if added.get(lang):
            _save(po_path(lang), catalog, template=False)
    return added


def run(*, template: bool = True, catalogues: bool = True, compiled: bool = True, root: Path = ROOT) -> list[Path]:
    """Regenerate the template, update every catalogue, compile every ``.mo`` (``make i18n``).

    Parameters
    ----------
    template, catalogues, compiled : bool, default True
        Which steps to run: :func:`extract` the template, :func:`update` the
        catalogues, compile the ``.mo`` files.
    root : Path
        The project folder whose code is scanned for keys.

    Returns
    -------
    list of Path
        The files written (none when everything was up to date).
    """
    written = []
    if template:
        fresh = extract(root)
        if _save(template_path(), fresh, template=True):
            written.append(template_path())
    if catalogues:
        reference = read(template_path())
        for lang in languages():
            if _save(po_path(lang), update(read(po_path(lang)), reference, lang), template=False):
                written.append(po_path(lang))
    if compiled:
        for lang in languages():
            data = compile_catalogue(po_path(lang))
            if not mo_path(lang).is_file() or mo_path(lang).read_bytes() != data:
                mo_path(lang).write_bytes(data)
                written.append(mo_path(lang))
    return written
