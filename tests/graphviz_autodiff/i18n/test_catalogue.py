"""The committed catalogues: compiled, complete, consistent with each other and with the code.

* every ``.mo`` is exactly what compiling its committed ``.po`` gives (nobody forgot ``make i18n``);
* the template holds the keys of the English catalogue and of the code, and every catalogue those of the template;
* every message of the template is translated in every catalogue, with the same ``{fields}`` as in English;
* every key the code names exists: literal ``tr("...")`` keys, key-shaped strings, and the keys built at run
  time from known lists (``tr(f"kind.{kind}")`` for every kind of :data:`graphviz_autodiff.debug.KINDS`...).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from graphviz_autodiff.cli.grade.collect import ERROR_CODES
from graphviz_autodiff.cli.grade.reporters import CSV_COLUMNS, STUDENT_STATUSES
from graphviz_autodiff.debug import DIAGNOSES, KINDS
from graphviz_autodiff.debug.op_check import ARGUMENT_STATUSES
from graphviz_autodiff.i18n import LANGS, fields, tools, tr
from viz.drawing.builder import OVERLAYS
from viz.stepper.model import DIRECTIONS
from viz.viewer.payload import STATES_SHOWN

CATALOGUE_LANGS = tools.languages()
ENGLISH = {m.id if isinstance(m.id, str) else m.id[0]: m for m in tools.read(tools.po_path("en")) if m.id}
CODE = tools.code_keys()

# Keys built at run time, by their fixed start: the values the code puts after it (from the code's own lists).
FAMILIES: dict[str, tuple[str, ...]] = {
    "kind.": tuple(KINDS) + tuple(s for s in ARGUMENT_STATUSES if s != "not_checked"),
    "diag.": tuple(DIAGNOSES),
    "col.": ("index", "node", "op", "kind", "diagnosis", "argument", "rel", "abs", "message"),
    "what.": ("input", "parameter", "constant"),
    # the diagnoses that have a message of their own (graphviz_autodiff/debug/diagnose.py, argument_message)
    "msg.": ("sign", "transpose", "swapped", "zero", "passthrough", "ignores_upstream", "wrong_mask"),
    "msg.type_": ("boolean", "complex", "string", "not_numeric"),
    "dir.": tuple(DIRECTIONS),
    "step.end_": tuple(DIRECTIONS),
    "html.title_": tuple(DIRECTIONS),
    # the stepper's own problem kinds, and the node states of the legend (drawings and the viewer)
    "problem.": ("failed", "nonfinite"),
    "state.": tuple(STATES_SHOWN),
    "node.": ("input", "parameter"),
    "overlay.": tuple(OVERLAYS),
    # the grader (graphviz_autodiff/cli/grade): submission errors, CSV headers, student statuses
    "error.": tuple(ERROR_CODES),
    "csv.": tuple(CSV_COLUMNS),
    "status.": tuple(STUDENT_STATUSES),
    "grade.isolation.missing_": ("network", "filesystem", "signals", "process_count"),
}
# Calls whose key is a plain variable, by file: where its values come from (literal strings the scan sees).
VARIABLE_KEYS = {
    "graphviz_autodiff/debug/diagnose.py": "msg.shape_* keys of a dict, and why.* keys",
    "graphviz_autodiff/util.py": "count.nan and count.inf, in a tuple",
    "graphviz_autodiff/cli/grade/reporters.py": "status.* of StudentResult/OpResult statuses and html.* literals",
    "graphviz_autodiff/cli/grade/collect.py": "Message keys: the note.* and where.* literals of collect.py",
    "viz/viewer/strings.py": "KEYS, a tuple of literal keys",
}


def test_there_is_a_catalogue_per_language_and_a_template():
    assert CATALOGUE_LANGS == list(LANGS) == ["en", "ru"]
    assert tools.template_path().is_file()


@pytest.mark.parametrize("lang", CATALOGUE_LANGS)
def test_the_compiled_catalogue_is_the_compiled_po(lang):
    assert tools.mo_path(lang).read_bytes() == tools.compile_catalogue(tools.po_path(lang)), (
        f"{tools.mo_path(lang).name} of {lang!r} is stale: run python -m graphviz_autodiff.i18n (make i18n)"
    )


def test_the_template_holds_the_keys_of_the_code_and_of_the_english_catalogue():
    template = [m.id for m in tools.read(tools.template_path()) if m.id]
    assert template == [m.id for m in tools.extract() if m.id], "run python -m graphviz_autodiff.i18n (make i18n)"


@pytest.mark.parametrize("lang", CATALOGUE_LANGS)
def test_every_message_of_the_template_is_translated(lang):
    assert tools.untranslated(lang) == []


@pytest.mark.parametrize("lang", CATALOGUE_LANGS)
def test_every_message_has_the_english_fields(lang):
    assert tools.wrong_fields(lang) == {}


@pytest.mark.parametrize("lang", CATALOGUE_LANGS)
def test_a_catalogue_has_the_plural_rule_of_its_language(lang):
    catalogue = tools.read(tools.po_path(lang))
    assert catalogue.num_plurals == {"en": 2, "ru": 3}[lang]
    assert str(catalogue.locale) == lang


def test_plural_messages_are_chosen_by_n():
    plural = [key for key, m in ENGLISH.items() if not isinstance(m.id, str)]
    assert plural, "no message with plural forms"
    for key in plural:
        for lang in LANGS:
            values = {name: "…" for form in tools.read(tools.po_path(lang))[key].string for name in fields(form)}
            for n in (1, 2, 5, 21):
                assert tr(key, lang, **{**values, "n": n})


def test_every_key_written_in_the_code_exists():
    missing = {key: files for key, files in CODE.literal.items() if key not in ENGLISH}
    assert missing == {}


def test_keys_built_at_run_time_come_from_known_lists():
    unknown = [(file, line, start) for file, line, start in CODE.built if start and start not in FAMILIES]
    assert unknown == [], "add the family of these keys to FAMILIES, with the list its values come from"
    variable = sorted({file for file, _, start in CODE.built if not start} - set(VARIABLE_KEYS))
    assert variable == [], "a tr() call whose key is a variable: say in VARIABLE_KEYS where its values come from"


@pytest.mark.parametrize("start", sorted(FAMILIES))
def test_every_key_of_a_family_exists(start):
    missing = [start + value for value in FAMILIES[start] if start + value not in ENGLISH]
    assert missing == []


def test_the_command_line_check_passes():
    done = subprocess.run(
        [sys.executable, "-m", "graphviz_autodiff.i18n", "--check"],
        cwd=tools.ROOT,
        env={**os.environ, "PYTHONPATH": str(tools.ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
