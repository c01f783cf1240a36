r"""Find one submission per student in a course export, and prepare each one's files for the sandbox.

:func:`collect` lists a folder and returns a :class:`Collection` of
:class:`Submission` entries (cheap: nothing is read or extracted yet).
:func:`prepare` then turns one submission into a :class:`Prepared`: the files
to copy into the sandbox (relative path to bytes), the script to run, and for a
notebook the map from script lines back to "cell 5, line 3". Every problem of a
student's files (broken zip, zip bomb, broken notebook, a ``.py`` that is not
UTF-8, no code at all) raises :class:`SubmissionError`, whose message names the
problem for the report; nothing a student submits makes these functions crash.

Layouts
=======
Each entry of the folder is classified on its own, so a folder may mix them.

Plain
    One entry per student: ``NAME.py``, ``NAME.ipynb``, ``NAME.zip`` or a
    folder ``NAME/``; the student is ``NAME`` (the entry's name without extension).
Moodle ("Download all submissions")
    Folders ``Full Name_PARTICIPANT_assignsubmission_file_`` (and
    ``..._assignsubmission_onlinetext_``), or, without "download in folders",
    files ``Full Name_PARTICIPANT_assignsubmission_file_ORIGINAL``. Entries of
    the same ``Full Name_PARTICIPANT`` form one submission; the student is
    ``Full Name_PARTICIPANT`` (display name ``Full Name``), files keep their
    original names.
Canvas ("Download submissions")
    Files ``NAME_USERID_ATTACHMENTID_ORIGINAL`` where ``NAME`` is the student's
    name in lower case without spaces (``petrovivan``), the ids are numbers and
    ``ORIGINAL`` the uploaded name, with ``-N`` appended before the extension for
    a re-submission (``hw5-1.ipynb``). A late submission has ``late`` after the
    name (``petrovivan_late_12345_678901_hw5.ipynb``, any case) or before it
    (``late_petrovivan_...``). Files of the same ``NAME_USERID`` form one
    submission; the student is ``NAME_USERID`` (display name ``NAME``), each file
    gets its original name back (``-N`` removed).
Gradescope "Export submissions"
    A folder (possibly one level down) holding ``submission_metadata.yml`` and
    one folder ``submission_ID`` per submission. The metadata maps each
    ``submission_ID`` to ``:submitters:`` with ``:name:``, ``:sid:`` and
    ``:email:``; the student is ``NAME_SID`` (display name: the submitters'
    names, comma-separated). Folders without metadata keep their folder name.
Gradescope autograder
    ``/autograder/submission`` holds the files of **one** student:
    :func:`collect_gradescope_submission`, with the name from
    ``/autograder/submission_metadata.json`` (``users[].name``).

Hidden entries (``.``), ``__MACOSX``, ``__pycache__``, ``.ipynb_checkpoints``
and ``*.pyc`` are skipped everywhere; other top-level files (a PDF, a CSV) are
listed in :attr:`Collection.ignored`. Student ids are made filesystem-safe and
unique by :func:`safe_id` (``-2``, ``-3``... on collisions, deterministically).

Inside a submission
===================
Folders are copied with their structure (symlinks skipped); ``.zip`` files
(the entry itself or a zip at the top of a student's folder) are extracted
into the root. A single top-level folder common to all files is removed
(``hw5/ops.py`` becomes ``ops.py``). Zips are checked before extracting: no
absolute or ``..`` paths, no encrypted members, at most
:attr:`CollectLimits.max_files` files, :attr:`CollectLimits.max_file_bytes` per
file and :attr:`CollectLimits.max_total_bytes` in all, and no member
compressed more than :attr:`CollectLimits.max_ratio` times (zip bombs are
rejected with a ``zip_bomb`` error). Zips inside zips stay files.

The main file (:func:`choose_main`), among the ``.py`` and ``.ipynb`` files:

1. the first name (case-insensitive file name) of ``main_names`` that exists
   (an assignment may name its file);
2. else the files defining the most of the ``required`` classes
   (``class Linear`` at the start of a line; default the lecture's ``Linear``,
   ``Identity``, ``Squared``, ``Sum``);
3. ties: the fewest folders deep, then notebooks before scripts (a ``.py``
   beside a notebook is usually its export), then the path in alphabetical order.

A notebook becomes a script (:func:`notebook_to_script`) written beside it as
``STEM.py`` (``STEM_notebook.py`` if that name is taken): its code cells in
order, each after a ``# %% cell N`` line, IPython syntax neutralised without
changing the number of lines: line magics (``%time``), shell lines
(``!pip install``, ``x = !ls``), help (``obj?``, ``??obj``) and ``get_ipython()``
calls become ``pass  # [ipython] ...`` (indentation kept, so blocks stay valid);
a cell magic (``%%bash``...) comments out its whole cell, except ``%%time``,
``%%timeit``, ``%%capture`` and ``%%prun``, whose body runs, and
``%%writefile NAME``, whose body becomes the file ``NAME`` in the sandbox (as in
Jupyter, where the cell writes the file). Lines inside multi-line strings are
never changed. nbformat 4 and 3 notebooks are read (3: the worksheets' cells);
in a ``.py`` main file only ``get_ipython()`` lines (exported notebooks) are
neutralised.

Examples
--------
>>> script = notebook_to_script(
...     '{"nbformat": 4, "cells": [{"cell_type": "markdown", "source": "# HW"},'
...     ' {"cell_type": "code", "source": ["%matplotlib inline\\n", "x = 1"]}]}'
... )
>>> print(script.text.splitlines()[2:5])
['# %% cell 2', 'pass  # [ipython] %matplotlib inline', 'x = 1']
>>> script.line_map.describe(5)
'cell 2, line 2'
>>> safe_id("Иван Петров_12345")
'Иван_Петров_12345'
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import stat
import tokenize
import unicodedata
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from graphviz_autodiff.i18n import Message, tr

__all__ = [
    "ERROR_CODES",
    "LECTURE_OPS",
    "RESERVED_NAMES",
    "CellLine",
    "CollectLimits",
    "Collection",
    "LineMap",
    "Prepared",
    "Script",
    "Source",
    "Submission",
    "SubmissionError",
    "choose_main",
    "collect",
    "collect_gradescope_submission",
    "is_safe_id",
    "notebook_to_script",
    "prepare",
    "safe_id",
]

#: The ``code`` of every :class:`SubmissionError` (its message is the catalogue's ``error.<code>``).
ERROR_CODES = (
    "unreadable",
    "encoding",
    "notebook_json",
    "notebook_format",
    "notebook_empty",
    "no_code",
    "zip_bad",
    "zip_encrypted",
    "zip_unsafe",
    "zip_bomb",
    "too_many_files",
    "too_large",
)
#: Classes that make a file the main one (rule 2 of :func:`choose_main`).
LECTURE_OPS = ("Linear", "Identity", "Squared", "Sum")
#: Names a student id may not take (case-insensitive): the class report's own files.
RESERVED_NAMES = frozenset({"index.html", "summary.csv", "junit.xml", "results.json", "report.json", "assets"})
_WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10))}) | frozenset(
    f"lpt{i}" for i in range(1, 10)
)
_JUNK = frozenset({"__macosx", "__pycache__", ".ipynb_checkpoints", ".git", ".ds_store", "thumbs.db"})
_CODE_SUFFIXES = (".py", ".ipynb")
_KEEP_BODY_MAGICS = frozenset({"%%time", "%%timeit", "%%capture", "%%prun"})


class SubmissionError(Exception):
    """A problem with a student's files, reported as that student's error.

    Attributes
    ----------
    code
        ``unreadable``, ``encoding``, ``notebook_json``, ``notebook_format``,
        ``notebook_empty``, ``no_code``, ``zip_bad``, ``zip_encrypted``,
        ``zip_unsafe``, ``zip_bomb``, ``too_many_files`` or ``too_large``.
    fields
        The message's fields (``path``, ``detail``, ``limit``).
    """

    def __init__(self, code: str, **fields: Any) -> None:
        self.code = code
        self.fields = fields
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        """The explanation in ``lang``."""
        return tr(f"error.{self.code}", lang, **self.fields)


@dataclass(frozen=True)
class CollectLimits:
    """Caps on what one submission may hold (checked before anything is extracted)."""

    max_files: int = 200
    max_file_bytes: int = 20 << 20
    max_total_bytes: int = 50 << 20
    max_ratio: int = 100
    max_depth: int = 12


@dataclass(frozen=True)
class Source:
    """One piece of a submission.

    Attributes
    ----------
    path
        A file, folder or zip on disk.
    name
        Its name in the work folder (a file's original name); ``""`` for a folder
        or zip, whose content goes to the root.
    """

    path: Path
    name: str = ""


@dataclass(frozen=True)
class Submission:
    """One student's entry, as found by :func:`collect` (nothing read yet).

    Attributes
    ----------
    student
        Unique, filesystem-safe id (:func:`safe_id`), used for ``OUT/<student>/``.
    display_name
        The name as the export spells it (may hold any character: escape it when showing it).
    layout
        ``"plain"``, ``"moodle"``, ``"canvas"`` or ``"gradescope"``.
    sources
        What the submission is made of.
    late
        Canvas marked it late.
    metadata
        Extra facts of the export (``participant``, ``user_id``, ``sid``, ``email``, ``submission``).
    """

    student: str
    display_name: str
    layout: str
    sources: tuple[Source, ...]
    late: bool = False
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Collection:
    """The result of :func:`collect`.

    Attributes
    ----------
    submissions
        One per student, sorted by id.
    ignored
        ``(entry name, reason)`` for top-level entries that are not submissions.
    layout
        The layout of most entries (``"plain"`` for an empty folder).
    """

    submissions: tuple[Submission, ...]
    ignored: tuple[tuple[str, str], ...]
    layout: str


@dataclass(frozen=True)
class CellLine:
    """Where a script line came from: ``cell`` (1-based among all cells), ``line`` in it, ``code_cell`` ordinal."""

    cell: int
    line: int
    code_cell: int


@dataclass(frozen=True)
class LineMap:
    """Script line to notebook cell and line.

    Attributes
    ----------
    lines
        ``lines[i]`` describes script line ``i + 1``; ``None`` for the lines the conversion added.
    """

    lines: tuple[CellLine | None, ...]

    def locate(self, line: int) -> CellLine | None:
        """The cell and line of script line ``line`` (1-based), or ``None``."""
        return self.lines[line - 1] if 1 <= line <= len(self.lines) else None

    def describe(self, line: int, lang: str = "en") -> str:
        """``"cell 5, line 3"`` (or, for an added line, its number in the script)."""
        where = self.locate(line)
        if where is None:
            return tr("where.script", lang, line=line)
        return tr("where.cell", lang, cell=where.cell, line=where.line)


@dataclass(frozen=True)
class Script:
    """A notebook as a script: see :func:`notebook_to_script`.

    Attributes
    ----------
    text
        The script.
    line_map
        Its lines' origins.
    files
        Files written by ``%%writefile`` cells: relative path to content.
    notes
        What the conversion changed.
    """

    text: str
    line_map: LineMap
    files: Mapping[str, bytes] = field(default_factory=dict)
    notes: tuple[Message, ...] = ()


@dataclass(frozen=True)
class Prepared:
    """A submission ready for :func:`.sandbox.run_sandboxed`.

    Attributes
    ----------
    submission
        Where it came from.
    files
        Relative path to content: pass as ``files=`` to the sandbox.
    main
        Relative path of the script to run (a ``.py``, converted from the notebook if needed).
    main_source
        Relative path of the file the student wrote (the ``.ipynb`` or the ``.py``).
    line_map
        For a notebook, script lines to cells; ``None`` for a ``.py``.
    notes
        What was skipped, converted or chosen.
    """

    submission: Submission
    files: Mapping[str, bytes]
    main: str
    main_source: str
    line_map: LineMap | None
    notes: tuple[Message, ...] = ()

    def locate(self, line: int, lang: str = "en") -> str:
        """Where line ``line`` of :attr:`main` is in the student's file: ``"cell 5, line 3"`` or ``"line 12"``."""
        if self.line_map is not None:
            return self.line_map.describe(line, lang)
        return tr("where.line", lang, line=line)


# -- ids -----------------------------------------------------------------------------------------------
def safe_id(name: str, *, max_bytes: int = 120) -> str:
    """A filesystem-safe id for ``name``: letters (any script), digits, ``-``, ``_``, ``.``.

    Other characters (spaces, slashes, controls, bidi overrides) become ``_``;
    runs of ``_`` collapse; leading and trailing ``._-`` go; at most ``max_bytes``
    UTF-8 bytes; Windows device names and :data:`RESERVED_NAMES` get a trailing ``_``;
    an empty result is ``"student"``.
    """
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch if (ch.isalnum() or ch in "-_.") and ch.isprintable() else "_" for ch in text)
    text = re.sub(r"_+", "_", text).strip("._-")
    while len(text.encode("utf-8")) > max_bytes:
        text = text[:-1]
    text = text.rstrip("._-") or "student"
    if text.split(".")[0].casefold() in _WINDOWS_RESERVED or text.casefold() in RESERVED_NAMES:
        text += "_"
    return text


def is_safe_id(name: str) -> bool:
    """Whether ``name`` is already what :func:`safe_id` makes of it."""
    return bool(name) and safe_id(name) == name


def _unique(ids: Sequence[str]) -> list[str]:
    """Suffix ``-2``, ``-3``... to ids that collide (case-insensitively), in the given order."""
    seen: set[str] = set()
    result = []
    for base in ids:
        candidate, n = base, 1
        while candidate.casefold() in seen:
            n += 1
            candidate = f"{base}-{n}"
        seen.add(candidate.casefold())
        result.append(candidate)
    return result


# -- discovery -----------------------------------------------------------------------------------------
_MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<rest>.*)$", re.S)
_CANVAS = re.compile(
    r"^(?:(?P<late0>late)_)?(?P<name>[^_]+?)_(?:(?P<late>late)_)?(?P<uid>\d{2,})_(?P<sid>\d{3,})_(?P<file>.+)$",
    re.I | re.S,
)
_RESUBMISSION = re.compile(r"-\d+(?=\.[^.]+$|$)")


def _is_junk(name: str) -> bool:
    return name.startswith(".") or name.casefold() in _JUNK or name.endswith(".pyc")


@dataclass
class _Entry:
    key: str
    display: str
    layout: str
    sources: list[Source]
    late: bool = False
    metadata: dict[str, str] = field(default_factory=dict)


def collect(root: os.PathLike[str] | str) -> Collection:
    """List the submissions in ``root`` (see the module docstring for the layouts).

    Parameters
    ----------
    root
        The folder holding one entry per student (or a Gradescope export).

    Returns
    -------
    Collection

    Raises
    ------
    NotADirectoryError
        ``root`` is not a folder (a usage error of the grader, not a student's).
    """
    root = Path(root)
    if not root.is_dir():
        raise NotADirectoryError(f"not a folder: {root}")
    export = _gradescope_export_root(root)
    if export is not None:
        entries, ignored = _gradescope_export(export)
    else:
        entries, ignored = _classify(root)
    ids = _unique([safe_id(e.key) for e in entries])
    submissions = [
        Submission(
            student=i,
            display_name=e.display,
            layout=e.layout,
            sources=tuple(sorted(e.sources, key=lambda s: (str(s.path), s.name))),
            late=e.late,
            metadata=dict(sorted(e.metadata.items())),
        )
        for i, e in zip(ids, entries)
    ]
    submissions.sort(key=lambda s: (s.student.casefold(), s.student))
    layouts = [s.layout for s in submissions]
    layout = max(sorted(set(layouts)), key=layouts.count) if layouts else "plain"
    return Collection(tuple(submissions), tuple(sorted(ignored)), layout)


def _classify(root: Path) -> tuple[list[_Entry], list[tuple[str, str]]]:
    grouped: dict[tuple[str, str], _Entry] = {}
    ignored: list[tuple[str, str]] = []
    for path in sorted(root.iterdir(), key=lambda p: p.name):
        name = path.name
        if _is_junk(name):
            continue
        if path.is_symlink():
            ignored.append((name, "symbolic link"))
            continue
        moodle = _MOODLE.match(name)
        canvas = _CANVAS.match(name) if path.is_file() else None
        if moodle:
            key = f"{moodle['name']}_{moodle['id']}"
            entry = grouped.setdefault(
                ("moodle", key), _Entry(key, moodle["name"], "moodle", [], metadata={"participant": moodle["id"]})
            )
            if path.is_dir():
                entry.sources.append(Source(path))
            elif moodle["rest"]:
                entry.sources.append(Source(path, moodle["rest"]))
        elif canvas:
            key = f"{canvas['name']}_{canvas['uid']}"
            entry = grouped.setdefault(
                ("canvas", key.casefold()),
                _Entry(key, canvas["name"], "canvas", [], metadata={"user_id": canvas["uid"]}),
            )
            original = _RESUBMISSION.sub("", canvas["file"])
            entry.sources.append(Source(path, "" if original.lower().endswith(".zip") else original))
            entry.late = entry.late or bool(canvas["late"] or canvas["late0"])
        elif path.is_dir() or path.suffix.lower() in (*_CODE_SUFFIXES, ".zip"):
            stem = name if path.is_dir() else path.stem
            source = Source(path, "" if path.is_dir() or path.suffix.lower() == ".zip" else name)
            grouped[("plain", name)] = _Entry(stem, stem, "plain", [source])
        else:
            ignored.append((name, f"not a submission ({path.suffix or 'no extension'})"))
    return list(grouped.values()), ignored


def _gradescope_export_root(root: Path) -> Path | None:
    if (root / "submission_metadata.yml").is_file():
        return root
    children = [p for p in root.iterdir() if not _is_junk(p.name)]
    if len(children) == 1 and children[0].is_dir() and (children[0] / "submission_metadata.yml").is_file():
        return children[0]
    return None


def _gradescope_export(root: Path) -> tuple[list[_Entry], list[tuple[str, str]]]:
    metadata = _read_submission_metadata(root / "submission_metadata.yml")
    entries, ignored = [], []
    for path in sorted(root.iterdir(), key=lambda p: p.name):
        if _is_junk(path.name) or path.name == "submission_metadata.yml":
            continue
        if not path.is_dir() or path.is_symlink():
            ignored.append((path.name, "not a submission folder"))
            continue
        submitters = metadata.get(path.name, [])
        names = [s.get("name", "").strip() for s in submitters if s.get("name", "").strip()]
        sid = next((s["sid"] for s in submitters if s.get("sid")), "")
        display = ", ".join(names) or path.name
        key = f"{names[0]}_{sid}" if names and sid else (names[0] if names else path.name)
        info = {"submission": path.name}
        if sid:
            info["sid"] = sid
        emails = [s["email"] for s in submitters if s.get("email")]
        if emails:
            info["email"] = ", ".join(emails)
        entries.append(_Entry(key, display, "gradescope", [Source(path)], metadata=info))
    return entries, ignored


def _read_submission_metadata(path: Path) -> dict[str, list[dict[str, str]]]:
    """``submission_ID -> [{"name", "sid", "email"}]`` from Gradescope's ``submission_metadata.yml``."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    try:
        import yaml

        class _Loader(yaml.SafeLoader):
            pass

        _Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader that drops unknown tags
    except Exception:
        data = None
    if isinstance(data, dict):
        result = {}
        for key, record in data.items():
            submitters = record.get(":submitters") if isinstance(record, dict) else None
            if isinstance(submitters, list):
                result[str(key)] = [
                    {k.lstrip(":"): str(v) for k, v in s.items() if isinstance(k, str) and v is not None}
                    for s in submitters
                    if isinstance(s, dict)
                ]
        return result
    return _parse_submission_metadata(text)


def _parse_submission_metadata(text: str) -> dict[str, list[dict[str, str]]]:
    """A line-based reader of the same file, for when PyYAML is missing or refuses it."""
    result: dict[str, list[dict[str, str]]] = {}
    current: list[dict[str, str]] | None = None
    for line in text.splitlines():
        top = re.match(r"^([^\s:#][^:]*):\s*$", line)
        if top:
            current = result.setdefault(top.group(1).strip(), [])
            continue
        item = re.match(r"^\s*(-\s+)?:(name|sid|email):\s*(.*?)\s*$", line)
        if item and current is not None:
            if item.group(1) or not current:
                current.append({})
            current[-1][item.group(2)] = item.group(3).strip("'\"")
    return result


def collect_gradescope_submission(
    directory: os.PathLike[str] | str = "/autograder/submission",
    *,
    metadata: os.PathLike[str] | str | None = None,
) -> Submission:
    """The one submission of a Gradescope autograder run.

    Parameters
    ----------
    directory
        The student's files (``/autograder/submission``).
    metadata
        ``submission_metadata.json`` (default: beside ``directory``); its
        ``users[].name`` give the display name, and the first user's name (with
        its ``sid`` if any) the id.
    """
    directory = Path(directory)
    meta_path = Path(metadata) if metadata is not None else directory.parent / "submission_metadata.json"
    users: list[dict[str, Any]] = []
    try:
        data = json.loads(meta_path.read_text(encoding="utf-8"))
        users = [u for u in data.get("users", []) if isinstance(u, dict)]
    except (OSError, ValueError, AttributeError):
        pass
    names = [str(u.get("name", "")).strip() for u in users if str(u.get("name", "")).strip()]
    sid = next((str(u["sid"]) for u in users if u.get("sid")), "")
    key = f"{names[0]}_{sid}" if names and sid else (names[0] if names else "submission")
    info = {k: v for k, v in (("sid", sid), ("email", ", ".join(str(u.get("email", "")) for u in users))) if v}
    return Submission(safe_id(key), ", ".join(names) or "submission", "gradescope", (Source(directory),), False, info)


# -- reading a submission --------------------------------------------------------------------------------
class _Files:
    """Relative path to bytes, with the caps of :class:`CollectLimits`."""

    def __init__(self, limits: CollectLimits) -> None:
        self.limits = limits
        self.data: dict[str, bytes] = {}
        self.total = 0
        self.notes: list[Message] = []

    def add(self, name: str, content: bytes) -> None:
        if name not in self.data and len(self.data) >= self.limits.max_files:
            raise SubmissionError("too_many_files", limit=self.limits.max_files)
        self.total += len(content) - len(self.data.get(name, b""))
        if self.total > self.limits.max_total_bytes:
            raise SubmissionError("too_large", limit=self.limits.max_total_bytes >> 20)
        self.data[name] = content


def _clean_relative(name: str) -> str | None:
    """``name`` as a safe relative POSIX path, or ``None`` when it has no safe meaning."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or any(p == ".." or any(not ch.isprintable() for ch in p) for p in parts):
        return None
    if len(parts[0]) == 2 and parts[0][1] == ":":  # a Windows drive
        return None
    if any(len(p.encode("utf-8")) > 255 for p in parts):
        return None
    return "/".join(parts)


def _printable(text: str) -> str:
    """``text`` with every non-printable character (newline, escape, bidi control) replaced by ``?``."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _read_file(path: Path, limits: CollectLimits) -> bytes:
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise SubmissionError("too_large", limit=limits.max_file_bytes >> 20)
        with open(path, "rb") as handle:
            return handle.read(limits.max_file_bytes + 1)
    except OSError as error:
        raise SubmissionError("unreadable", path=path.name, detail=error.strerror or str(error)) from error


def _add_folder(folder: Path, files: _Files) -> list[Path]:
    """Add a folder's regular files; return the zips found at its top (to extract)."""
    zips = []
    for current, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(current)
        depth = len(here.relative_to(folder).parts)
        dirnames[:] = sorted(
            d for d in dirnames if not _is_junk(d) and not (here / d).is_symlink() and depth < files.limits.max_depth
        )
        for name in sorted(filenames):
            path = here / name
            if _is_junk(name):
                continue
            rel = _clean_relative(path.relative_to(folder).as_posix())
            if rel is None or path.is_symlink() or not path.is_file():
                shown = _printable(path.relative_to(folder).as_posix())
                files.notes.append(Message("note.skipped", {"path": shown, "detail": "not a regular file or name"}))
                continue
            if depth == 0 and name.lower().endswith(".zip"):
                zips.append(path)
                continue
            files.add(rel, _read_file(path, files.limits))
    return zips


def _extract_zip(path: Path, files: _Files) -> None:
    limits = files.limits
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) > limits.max_files:
                raise SubmissionError("too_many_files", limit=limits.max_files)
            planned = []
            for member in members:
                name = _zip_member_name(path, member, limits)
                if name is not None:
                    planned.append((member, name))
            if sum(m.file_size for m, _ in planned) > limits.max_total_bytes:
                raise SubmissionError("zip_bomb", path=path.name, detail=f"more than {limits.max_total_bytes >> 20} MB")
            for member, name in planned:
                with archive.open(member) as handle:
                    data = handle.read(limits.max_file_bytes + 1)
                if len(data) > member.file_size or len(data) > limits.max_file_bytes:
                    raise SubmissionError("zip_bomb", path=path.name, detail=f"{name} is larger than declared")
                files.add(name, data)
    except SubmissionError:
        raise
    except RuntimeError as error:  # zipfile's "encrypted, password required"
        if "encrypted" in str(error) or "password" in str(error):
            raise SubmissionError("zip_encrypted", path=path.name) from error
        raise SubmissionError("zip_bad", path=path.name, detail=str(error)[:200]) from error
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        OSError,
        EOFError,
        zlib.error,
        ValueError,
    ) as error:
        raise SubmissionError(
            "zip_bad", path=path.name, detail=f"{type(error).__name__}: {str(error)[:200]}"
        ) from error


_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError, zlib.error, ValueError)


def _zip_member_name(path: Path, member: zipfile.ZipInfo, limits: CollectLimits) -> str | None:
    raw = member.filename
    parts = raw.replace("\\", "/").split("/")
    if raw.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", raw):
        raise SubmissionError("zip_unsafe", path=path.name, detail=_printable(raw)[:100])
    name = _clean_relative(raw)
    if name is None:  # a name with control characters (macOS "Icon\r"): not worth rejecting the archive
        return None
    if any(_is_junk(part) for part in name.split("/")):
        return None
    if stat.S_ISLNK(member.external_attr >> 16):
        return None
    if member.flag_bits & 0x1:
        raise SubmissionError("zip_encrypted", path=path.name)
    if member.file_size > limits.max_file_bytes:
        raise SubmissionError("zip_bomb", path=path.name, detail=f"{name}: {member.file_size >> 20} MB")
    if member.file_size > (1 << 20) and member.file_size > limits.max_ratio * max(member.compress_size, 1):
        raise SubmissionError(
            "zip_bomb",
            path=path.name,
            detail=f"{name} compressed {member.file_size // max(member.compress_size, 1)} times",
        )
    return name


def _strip_common_folder(data: dict[str, bytes]) -> dict[str, bytes]:
    while data:
        firsts = {name.split("/", 1)[0] for name in data}
        if len(firsts) != 1 or any("/" not in name for name in data):
            break
        data = {name.split("/", 1)[1]: content for name, content in data.items()}
    return data


def prepare(
    submission: Submission,
    *,
    limits: CollectLimits | None = None,
    main_names: Sequence[str] = (),
    required: Sequence[str] = LECTURE_OPS,
) -> Prepared:
    """Read, extract and convert one submission.

    Parameters
    ----------
    submission
        From :func:`collect` or :func:`collect_gradescope_submission`.
    limits
        Caps on files (default :class:`CollectLimits`).
    main_names, required
        Rules 1 and 2 of :func:`choose_main`.

    Returns
    -------
    Prepared

    Raises
    ------
    SubmissionError
        For anything wrong with the student's files.
    """
    files = _Files(limits or CollectLimits())
    for source in submission.sources:
        path = source.path
        if path.is_dir() and not path.is_symlink():
            for archive in _add_folder(path, files):
                _extract_zip(archive, files)
        elif path.suffix.lower() == ".zip":
            _extract_zip(path, files)
        else:
            name = _clean_relative(source.name or path.name) or f"submission{path.suffix.lower()}"
            files.add(name, _read_file(path, files.limits))
    data = _strip_common_folder(files.data)
    candidates = {name: _code_text(name, content) for name, content in data.items() if _is_code(name)}
    if not candidates:
        raise SubmissionError("no_code")
    main_source = choose_main(candidates, main_names=main_names, required=required)
    notes = list(files.notes)
    if len(candidates) > 1:
        notes.append(Message("note.main", {"path": main_source, "count": len(candidates)}))
    if main_source.lower().endswith(".ipynb"):
        script = notebook_to_script(data[main_source], name=main_source)
        main = _script_name(main_source, data)
        for name, content in script.files.items():
            data[name] = content
        data[main] = script.text.encode("utf-8")
        notes += [*script.notes, Message("note.converted", {"path": main_source, "script": main})]
        return Prepared(submission, dict(sorted(data.items())), main, main_source, script.line_map, tuple(notes))
    text = _decode_python(data[main_source], main_source)
    neutral, count = _neutralise_python(text)
    if count:
        data[main_source] = neutral.encode("utf-8")
        notes.append(Message("note.neutralised", {"path": main_source, "count": count}))
    return Prepared(submission, dict(sorted(data.items())), main_source, main_source, None, tuple(notes))


def _is_code(name: str) -> bool:
    return name.lower().endswith(_CODE_SUFFIXES)


def _code_text(name: str, content: bytes) -> str:
    """The code of a candidate for :func:`choose_main` (best effort, never raises)."""
    text = content.decode("utf-8", errors="replace")
    if not name.lower().endswith(".ipynb"):
        return text
    try:
        cells = _notebook_cells(json.loads(text), name)[0]
    except (SubmissionError, ValueError, RecursionError):
        return ""
    return "\n".join(source for kind, source in cells if kind == "code")


def _script_name(notebook: str, taken: Mapping[str, bytes]) -> str:
    base = notebook[: -len(".ipynb")]
    for candidate in (f"{base}.py", f"{base}_notebook.py", *(f"{base}_notebook{i}.py" for i in range(2, 100))):
        if candidate not in taken:
            return candidate
    return f"{base}_{len(taken)}.py"  # pragma: no cover - 100 taken names


def choose_main(
    candidates: Mapping[str, str], *, main_names: Sequence[str] = (), required: Sequence[str] = LECTURE_OPS
) -> str:
    """Pick the file to run among ``candidates`` (relative path to code), by the rules of the module docstring.

    Examples
    --------
    >>> choose_main({"utils.py": "x = 1", "hw/ops.py": "class Linear:\\n    pass", "b.ipynb": ""})
    'hw/ops.py'
    >>> choose_main({"a.py": "", "a.ipynb": ""})
    'a.ipynb'
    """
    if not candidates:
        raise ValueError("no candidates")
    by_name = {PurePosixPath(name).name.casefold(): name for name in sorted(candidates, reverse=True)}
    for wanted in main_names:
        if wanted.casefold() in by_name:
            return by_name[wanted.casefold()]
    patterns = [re.compile(rf"^\s*class\s+{re.escape(op)}\b", re.M) for op in required]

    def rank(name: str) -> tuple[int, int, int, str]:
        defined = sum(1 for p in patterns if p.search(candidates[name]))
        return (-defined, name.count("/"), 0 if name.lower().endswith(".ipynb") else 1, name.casefold())

    return min(candidates, key=rank)


def _decode_python(content: bytes, name: str) -> str:
    """The text of a ``.py`` file, honouring a PEP 263 coding line; a clear error when it cannot be read."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(content).readline)
        return content.decode(encoding).removeprefix("\ufeff")
    except (SyntaxError, LookupError, UnicodeDecodeError) as error:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as utf8_error:
            line = content[: utf8_error.start].count(b"\n") + 1
            detail = f"byte 0x{content[utf8_error.start]:02x} at line {line}"
        else:
            detail = str(error)[:120]
        raise SubmissionError("encoding", path=name, detail=detail) from error


# -- notebooks -------------------------------------------------------------------------------------------
def _notebook_cells(notebook: Any, name: str) -> tuple[list[tuple[str, str]], list[Message]]:
    """``[(cell_type, source), ...]`` of an nbformat 4 or 3 notebook."""
    if not isinstance(notebook, dict):
        raise SubmissionError("notebook_format", path=name, detail="the JSON is not an object")
    version = notebook.get("nbformat")
    notes = []
    if version == 4 or (version is None and isinstance(notebook.get("cells"), list)):
        raw_cells, source_key = notebook.get("cells"), "source"
    elif version == 3:
        worksheets = notebook.get("worksheets", [])
        if not isinstance(worksheets, list):
            raise SubmissionError("notebook_format", path=name, detail="worksheets is not a list")
        raw_cells = [c for w in worksheets if isinstance(w, dict) for c in (w.get("cells") or [])]
        source_key = "input"
        notes.append(Message("note.notebook_v3", {"path": name}))
    else:
        raise SubmissionError("notebook_format", path=name, detail=f"nbformat {str(version)[:20]} is not supported")
    if not isinstance(raw_cells, list):
        raise SubmissionError("notebook_format", path=name, detail="cells is not a list")
    cells = []
    for cell in raw_cells:
        if not isinstance(cell, dict):
            raise SubmissionError("notebook_format", path=name, detail="a cell is not an object")
        kind = cell.get("cell_type")
        source = cell.get(source_key if kind == "code" else "source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str) or not isinstance(kind, str):
            raise SubmissionError("notebook_format", path=name, detail="a cell has no text source")
        cells.append((kind, source))
    return cells, notes


def notebook_to_script(source: bytes | str, *, name: str = "notebook.ipynb") -> Script:
    """Turn a notebook into a script of its code cells (rules in the module docstring).

    Parameters
    ----------
    source
        The ``.ipynb`` file's content.
    name
        Its path, for messages.

    Returns
    -------
    Script

    Raises
    ------
    SubmissionError
        ``encoding``, ``notebook_json``, ``notebook_format`` or ``notebook_empty``.
    """
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as error:
            raise SubmissionError("encoding", path=name, detail=f"byte 0x{source[error.start]:02x}") from error
    try:
        notebook = json.loads(source)
    except json.JSONDecodeError as error:
        raise SubmissionError("notebook_json", path=name, detail=f"line {error.lineno}, column {error.colno}") from None
    except (ValueError, RecursionError) as error:
        raise SubmissionError("notebook_json", path=name, detail=type(error).__name__) from None
    cells, notes = _notebook_cells(notebook, name)
    header = f"# Code cells of {_printable(name)}, in order; IPython syntax neutralised (graphviz_autodiff grade)."
    lines: list[str] = [header, ""]
    where: list[CellLine | None] = [None, None]
    written: dict[str, bytes] = {}
    neutralised = code_cells = 0
    for index, (kind, text) in enumerate(cells, start=1):
        if kind != "code" or not text.strip():
            continue
        code_cells += 1
        cell_lines = text.splitlines()
        cell_lines, count, cell_notes = _neutralise_cell(cell_lines, index, name, written)
        neutralised += count
        notes += cell_notes
        lines.append(f"# %% cell {index}")
        where.append(None)
        lines += cell_lines
        where += [CellLine(index, i, code_cells) for i in range(1, len(cell_lines) + 1)]
        lines.append("")
        where.append(None)
    if not code_cells:
        raise SubmissionError("notebook_empty", path=name)
    if neutralised:
        notes.append(Message("note.neutralised", {"path": name, "count": neutralised}))
    return Script("\n".join(lines) + "\n", LineMap(tuple(where)), written, tuple(notes))


_LINE_MAGIC = re.compile(r"^\s*([%!]|[\w.]+\s*=\s*[%!]|\?|get_ipython\s*\()")
_HELP = re.compile(r"^\s*[\w.\[\]()'\"]*\?{1,2}\s*$")


def _neutralise_cell(
    cell_lines: list[str], index: int, name: str, written: dict[str, bytes]
) -> tuple[list[str], int, list[Message]]:
    """One code cell with its IPython syntax neutralised (same number of lines); the count; notes."""
    first = next((i for i, line in enumerate(cell_lines) if line.strip()), 0)
    head = cell_lines[first].strip()
    if not head.startswith("%%"):
        lines, count = _neutralise_lines(cell_lines)
        return lines, count, []
    magic = head.split()[0]
    if magic not in _KEEP_BODY_MAGICS:
        notes = _cell_magic(magic, head, cell_lines[first + 1 :], index, name, written)
        return [f"# {line}" if line.strip() else line for line in cell_lines], len(cell_lines), notes
    body, count = _neutralise_lines(cell_lines[first + 1 :])
    return [*cell_lines[:first], _pass_line(cell_lines[first]), *body], count + 1, []


def _neutralise_lines(cell_lines: list[str]) -> tuple[list[str], int]:
    starts = _statement_starts(cell_lines)
    result, count = [], 0
    for number, line in enumerate(cell_lines, start=1):
        if number in starts and (_LINE_MAGIC.match(line) or _HELP.match(line)):
            result.append(_pass_line(line))
            count += 1
        else:
            result.append(line)
    return result, count


def _pass_line(line: str) -> str:
    indent = line[: len(line) - len(line.lstrip())]
    return f"{indent}pass  # [ipython] {line.strip()}"


def _cell_magic(
    magic: str, head: str, body: list[str], index: int, name: str, written: dict[str, bytes]
) -> list[Message]:
    if magic not in ("%%writefile", "%%file"):
        return [Message("note.cell_magic", {"path": name, "cell": index, "magic": magic})]
    try:
        args = shlex.split(head)[1:]
    except ValueError:
        args = head.split()[1:]
    append = any(a in ("-a", "--append") for a in args)
    targets = [a for a in args if not a.startswith("-")]
    target = _clean_relative(targets[0]) if targets else None
    if target is None:
        return [Message("note.writefile_unsafe", {"path": name, "cell": index, "name": (targets or ["?"])[0][:100]})]
    content = ("\n".join(body) + "\n").encode("utf-8")
    written[target] = written.get(target, b"") + content if append else content
    return [Message("note.writefile", {"path": name, "cell": index, "name": target})]


def _statement_starts(cell_lines: list[str]) -> set[int]:
    """Line numbers (1-based) where a statement starts: not inside a string, brackets or a ``\\`` continuation.

    Falls back to every line when the tokenizer gives up (IPython syntax it cannot read).
    """
    source = "\n".join(cell_lines) + "\n"
    starts: set[int] = set()
    depth, at_start = 0, True
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            kind, text = token.type, token.string
            if kind in (tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT, tokenize.ENDMARKER):
                continue
            if kind in (tokenize.NEWLINE, tokenize.NL):
                at_start = at_start or depth == 0
                continue
            if at_start and depth == 0:
                starts.add(token.start[0])
            at_start = False
            if kind == tokenize.OP and text in ("(", "[", "{"):
                depth += 1
            elif kind == tokenize.OP and text in (")", "]", "}"):
                depth = max(0, depth - 1)
    except (tokenize.TokenError, SyntaxError):
        return set(range(1, len(cell_lines) + 1))
    return starts


def _neutralise_python(text: str) -> tuple[str, int]:
    """In a ``.py`` file, replace statements that call ``get_ipython()`` (exported notebooks)."""
    lines = text.split("\n")
    starts = _statement_starts(lines)
    count = 0
    for i, line in enumerate(lines):
        if i + 1 in starts and re.match(r"^\s*get_ipython\s*\(", line):
            lines[i] = _pass_line(line)
            count += 1
    return "\n".join(lines), count
