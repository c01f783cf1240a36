"""graphviz_autodiff.i18n.tools on a copy of the project: a new language, a new message, an old table, no churn.

Each test copies the two packages into a temporary folder and runs the real tool (Babel) on the copy, by
``python -m graphviz_autodiff.i18n`` in a subprocess whose path starts with the copy, so that the copy's
catalogues are the ones read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from graphviz_autodiff.i18n import tools

DOMAIN_FILES = "LC_MESSAGES/graphviz_autodiff"


def _copy_project(tmp_path: Path) -> Path:
    for package in tools.SOURCES:
        shutil.copytree(tools.ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _tool(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run(root, "-m", "graphviz_autodiff.i18n", *args)


def _catalogue_files(root: Path) -> dict[str, bytes]:
    locale = root / "graphviz_autodiff" / "i18n" / "locale"
    return {p.relative_to(locale).as_posix(): p.read_bytes() for p in sorted(locale.rglob("*")) if p.is_file()}


def test_running_the_tool_on_the_committed_catalogues_changes_nothing(tmp_path):
    root = _copy_project(tmp_path)
    before = _catalogue_files(root)
    done = _tool(root)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # nothing written
    assert _catalogue_files(root) == before


def test_adding_a_language_is_adding_a_catalogue(tmp_path):
    root = _copy_project(tmp_path)
    done = _tool(root, "--init", "de")
    assert done.returncode == 0, done.stderr
    po = root / "graphviz_autodiff" / "i18n" / "locale" / "de" / f"{DOMAIN_FILES}.po"
    assert po.is_file() and (po.with_suffix(".mo")).is_file()
    text = po.read_text(encoding="utf-8")
    assert 'msgid "kind.wrong_gradient"' in text and "#. wrong gradient" in text  # English text for the translator
    assert "nplurals=2" in text
    check = _tool(root, "--check")
    assert check.returncode == 1 and "de/LC_MESSAGES/graphviz_autodiff.po: kind.wrong_gradient: empty" in check.stdout

    po.write_text(
        text.replace(
            'msgid "kind.wrong_gradient"\nmsgstr ""', 'msgid "kind.wrong_gradient"\nmsgstr "falscher Gradient"'
        )
    )
    assert _tool(root, "--compile").returncode == 0
    shown = _run(
        root,
        "-c",
        "from graphviz_autodiff.i18n import LANGS, tr; print(LANGS); print(tr('kind.wrong_gradient', 'de'));"
        "print(tr('kind.shape', 'de', default='?'))",
    )
    assert shown.stdout.splitlines() == ["('de', 'en', 'ru')", "falscher Gradient", "?"], shown.stderr


def test_a_new_message_arrives_untranslated_in_every_other_catalogue(tmp_path):
    root = _copy_project(tmp_path)
    english = root / "graphviz_autodiff" / "i18n" / "locale" / "en" / f"{DOMAIN_FILES}.po"
    english.write_text(english.read_text(encoding="utf-8") + '\nmsgid "demo.hello"\nmsgstr "hello, {name}"\n')
    code = root / "viz" / "greeting.py"
    code.write_text('from graphviz_autodiff.i18n import tr\n\nGREETING = tr("demo.bye", "en")\n', encoding="utf-8")
    assert _tool(root).returncode == 0
    template = (root / "graphviz_autodiff" / "i18n" / "locale" / "graphviz_autodiff.pot").read_text(encoding="utf-8")
    assert '#. hello, {name}\nmsgid "demo.hello"' in template
    assert '#: viz/greeting.py\nmsgid "demo.bye"' in template  # found in the code, not yet written in English
    check = _tool(root, "--check")
    assert check.returncode == 1
    for line in (
        "en/LC_MESSAGES/graphviz_autodiff.po: demo.bye: empty",
        "ru/LC_MESSAGES/graphviz_autodiff.po: demo.hello: empty",
    ):
        assert line in check.stdout


def test_an_old_python_table_can_be_imported(tmp_path):
    root = _copy_project(tmp_path)
    table = tmp_path / "old_i18n.py"
    table.write_text(
        'EN = {"kind.ok": "changed?", "kind.imported_example": "wrong type"}\n'
        'RU = {"kind.ok": "изменено?", "kind.imported_example": "неверный тип"}\n',
        encoding="utf-8",
    )
    done = _tool(root, "--import-table", str(table))
    assert done.returncode == 0, done.stderr
    assert "en: added 1 message(s): kind.imported_example" in done.stdout
    shown = _run(
        root,
        "-c",
        "from graphviz_autodiff.i18n import tr; print(tr('kind.imported_example', 'ru'), tr('kind.ok', 'ru'))",
    )
    assert shown.stdout.strip() == "неверный тип ок"  # existing texts are kept
    assert _tool(root, "--check").returncode == 0
