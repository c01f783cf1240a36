"""The Gradescope autograder: ``grade --make-gradescope-bundle autograder.zip [--assignment assignment.toml]``.

Gradescope builds one Docker image from the zip (running ``setup.sh`` once, as
root, on Ubuntu) and then, for every submission, runs ``/autograder/run_autograder``
in a fresh container with the student's files in ``/autograder/submission``;
the script must write ``/autograder/results/results.json`` (the format of
:func:`.reporters.gradescope_results`). See Gradescope's "Autograder
Specifications".

The zip holds, at its root:

``setup.sh``
    Installs Python (3.11 or newer; ``python3.11`` from Ubuntu's archive when
    the image's ``python3`` is older), bubblewrap and Graphviz with ``apt-get``,
    and the Python packages the grader needs (the versions this bundle was made
    with) in a virtual environment ``/autograder/venv``.
``run_autograder``
    Grades ``$ROOT/submission`` as one student
    (``python -m graphviz_autodiff grade --single --gradescope``) into
    ``$ROOT/results/grade`` and copies its ``results.json`` to
    ``$ROOT/results/results.json``. ``ROOT`` is ``/autograder`` unless the
    environment variable ``GAD_AUTOGRADER_ROOT`` says otherwise, and the
    interpreter ``$ROOT/venv/bin/python`` unless ``GAD_PYTHON`` does (both for
    trying the bundle on your own machine). If the grader cannot run at all,
    it still writes a ``results.json`` with score 0 and the reason.
``lib/``
    This grader's own packages (``graphviz_autodiff`` and ``viz``), put on
    ``PYTHONPATH``: the image grades with exactly the code that made the bundle.
``assignment.toml``
    When given: the ops, points and inputs (:mod:`.assignment`).

Inside Gradescope's container bubblewrap usually cannot create namespaces; the
grader then uses its fallback and every results.json says what is not
isolated. Gradescope already runs each submission in a container of its own.

Trying it locally::

    mkdir -p /tmp/ag/source /tmp/ag/submission /tmp/ag/results
    unzip autograder.zip -d /tmp/ag/source
    cp my_homework.ipynb /tmp/ag/submission/
    GAD_AUTOGRADER_ROOT=/tmp/ag GAD_PYTHON=$(which python) bash /tmp/ag/source/run_autograder
    cat /tmp/ag/results/results.json
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import stat
import zipfile
from pathlib import Path

from .sandbox import package_root

__all__ = ["REQUIREMENTS", "make_bundle", "run_autograder_script", "setup_script"]

#: The distributions the grader needs in the image (pinned to the versions installed here).
REQUIREMENTS = ("numpy", "networkx", "graphviz", "traitlets", "tqdm")
_SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
_SKIP_SUFFIXES = (".pyc", ".pyo")


def _pins() -> list[str]:
    pins = []
    for name in REQUIREMENTS:
        try:
            pins.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pins.append(name)
    return pins


def setup_script() -> str:
    """The text of ``setup.sh`` (see the module docstring)."""
    pins = " ".join(_pins())
    return f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (Ubuntu).
# Written by: python -m graphviz_autodiff grade --make-gradescope-bundle
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends bubblewrap graphviz python3 python3-venv
PYTHON=python3
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
    PYTHON=python3.11
fi
"$PYTHON" -m venv /autograder/venv
/autograder/venv/bin/pip install --no-cache-dir {pins}
/autograder/venv/bin/python -c "import graphviz_autodiff" 2>/dev/null || true
"""


def run_autograder_script(*, assignment: bool, lang: str = "en") -> str:
    """The text of ``run_autograder`` (see the module docstring)."""
    options = ' --assignment "$ROOT/source/assignment.toml"' if assignment else ""
    return f"""#!/usr/bin/env bash
# Gradescope runs this for every submission, in a fresh container.
# GAD_AUTOGRADER_ROOT (default /autograder) and GAD_PYTHON (default $ROOT/venv/bin/python) are for local tries.
set -uo pipefail
ROOT="${{GAD_AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{GAD_PYTHON:-$ROOT/venv/bin/python}}"
export PYTHONPATH="$ROOT/source/lib"
mkdir -p "$ROOT/results"
rm -rf "$ROOT/results/grade"
cd "$ROOT"
"$PYTHON" -m graphviz_autodiff grade "$ROOT/submission" --single --gradescope --jobs 1 --lang {lang} \\
    --out "$ROOT/results/grade"{options}
status=$?
if [ "$status" -eq 0 ] && [ -f "$ROOT/results/grade/results.json" ]; then
    cp "$ROOT/results/grade/results.json" "$ROOT/results/results.json"
else
    message="The autograder could not run (exit status $status); see its stdout."
    printf '{{"score": 0, "output": "%s", "tests": []}}\\n' "$message" > "$ROOT/results/results.json"
fi
exit 0
"""


def _package_files() -> list[tuple[Path, str]]:
    """The grader's packages as ``(file, path in the zip)``, sources and data, no caches."""
    root = package_root()
    found = []
    for name in ("graphviz_autodiff", "viz"):
        top = root / name
        if not (top / "__init__.py").is_file():
            continue
        for folder, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
            for file in sorted(files):
                path = Path(folder) / file
                if file.endswith(_SKIP_SUFFIXES) or file.startswith(".") or path.is_symlink():
                    continue
                found.append((path, f"lib/{path.relative_to(root).as_posix()}"))
    return found


def _add(archive: zipfile.ZipFile, name: str, text: str, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


def make_bundle(
    path: str | os.PathLike[str], *, assignment_path: str | os.PathLike[str] | None = None, lang: str = "en"
) -> Path:
    """Write the autograder zip to ``path`` (deterministic: the same code and assignment give the same bytes).

    Parameters
    ----------
    path
        The zip to write (its folder is created).
    assignment_path
        An ``assignment.toml`` to include (already validated by the caller).
    lang
        Language of the students' feedback.

    Returns
    -------
    Path
        The zip.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        _add(archive, "setup.sh", setup_script(), executable=True)
        _add(
            archive,
            "run_autograder",
            run_autograder_script(assignment=assignment_path is not None, lang=lang),
            executable=True,
        )
        if assignment_path is not None:
            _add(archive, "assignment.toml", Path(assignment_path).read_text(encoding="utf-8"))
        for file, name in _package_files():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, file.read_bytes())
    shutil.move(tmp, path)
    return path
