"""Finding submissions in course exports, extracting them safely and turning notebooks into scripts."""

from __future__ import annotations

import doctest
import json
import re
import sys
import traceback
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphviz_autodiff.cli.grade import collect as collect_module
from graphviz_autodiff.cli.grade.collect import (
    CollectLimits,
    SubmissionError,
    choose_main,
    collect,
    collect_gradescope_submission,
    is_safe_id,
    notebook_to_script,
    prepare,
    safe_id,
)
from graphviz_autodiff.cli.grade.sandbox import run_sandboxed

OPS = "class Linear:\n    pass\nclass Sum:\n    pass\n"


def notebook(*cells: tuple[str, str | list[str]], version: int = 4) -> str:
    if version == 3:
        worksheet = [
            {"cell_type": kind, "input" if kind == "code" else "source": src, "outputs": []} for kind, src in cells
        ]
        return json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": [{"cells": worksheet}], "metadata": {}})
    return json.dumps(
        {
            "nbformat": version,
            "nbformat_minor": 5,
            "metadata": {},
            "cells": [{"cell_type": kind, "source": src, "metadata": {}, "outputs": []} for kind, src in cells],
        }
    )


def make_zip(path: Path, members: dict[str, bytes | str], **kwargs) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, **kwargs) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def test_docstring_examples():
    assert doctest.testmod(collect_module).failed == 0


class TestIds:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("Ivan Petrov_12345", "Ivan_Petrov_12345"),
            ("Иван Петров", "Иван_Петров"),
            ("../../etc/passwd", "etc_passwd"),
            ("<script>alert(1)</script>", "script_alert_1_script"),
            ("\u202egpj.exe", "gpj.exe"),
            ("a\nb\tc\0d", "a_b_c_d"),
            ("...", "student"),
            ("", "student"),
            ("CON", "CON_"),
            ("nul.txt", "nul.txt_"),
            ("index.html", "index.html_"),
            ("ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
        ],
    )
    def test_safe_id(self, name, expected):
        assert safe_id(name) == expected
        assert is_safe_id(expected)

    def test_long_names_are_cut_by_bytes(self):
        assert len(safe_id("я" * 1000).encode()) <= 120
        assert not is_safe_id("a b") and not is_safe_id("")


class TestPlainLayout:
    def test_one_entry_per_student(self, tmp_path):
        (tmp_path / "alice.py").write_text(OPS)
        (tmp_path / "bob.ipynb").write_text(notebook(("code", OPS)))
        make_zip(tmp_path / "carol.zip", {"hw5/ops.py": OPS, "hw5/data/x.csv": "1,2"})
        (tmp_path / "dave").mkdir()
        (tmp_path / "dave" / "ops.py").write_text(OPS)
        (tmp_path / "dave" / "main.ipynb").write_text(notebook(("code", "from ops import *")))
        (tmp_path / "report.pdf").write_bytes(b"%PDF")
        (tmp_path / ".DS_Store").write_bytes(b"")
        (tmp_path / "__MACOSX").mkdir()
        found = collect(tmp_path)
        assert [s.student for s in found.submissions] == ["alice", "bob", "carol", "dave"]
        assert found.layout == "plain" and found.ignored == (("report.pdf", "not a submission (.pdf)"),)
        alice, bob, carol, dave = (prepare(s) for s in found.submissions)
        assert alice.main == "alice.py" and alice.line_map is None and alice.files["alice.py"] == OPS.encode()
        assert bob.main == "bob.py" and bob.main_source == "bob.ipynb" and bob.line_map is not None
        assert set(carol.files) == {"ops.py", "data/x.csv"} and carol.main == "ops.py"
        assert dave.main == "ops.py"  # it defines the lecture's classes

    def test_colliding_and_hostile_names_become_unique_safe_ids(self, tmp_path):
        for name in ("Ivan.py", "ivan.ipynb", "<b>x<i>.py", "\u202eevil.py", "index.html.py", "я" * 120 + ".py"):
            (tmp_path / name).write_text(OPS)
        found = collect(tmp_path)
        ids = [s.student for s in found.submissions]
        assert len(set(i.casefold() for i in ids)) == len(ids) == 6
        assert "Ivan" in ids and "ivan-2" in ids and "index.html_" in ids
        assert all(is_safe_id(i.rsplit("-", 1)[0]) for i in ids)
        assert {s.display_name for s in found.submissions} >= {"<b>x<i>", "\u202eevil"}

    def test_not_a_folder(self, tmp_path):
        with pytest.raises(NotADirectoryError):
            collect(tmp_path / "missing")


class TestLmsLayouts:
    def test_moodle_folders_files_and_zips(self, tmp_path):
        folder = tmp_path / "Ivan Petrov_12345_assignsubmission_file_"
        folder.mkdir()
        (folder / "hw5.ipynb").write_text(notebook(("code", OPS)))
        text = tmp_path / "Ivan Petrov_12345_assignsubmission_onlinetext_"
        text.mkdir()
        (text / "onlinetext.html").write_text("<p>see file</p>")
        (tmp_path / "Анна Иванова_777_assignsubmission_file_solution.py").write_text(OPS)
        zipped = tmp_path / "Bob Lee_9_assignsubmission_file_"
        zipped.mkdir()
        make_zip(zipped / "archive.zip", {"Bob/ops.py": OPS, "Bob/util.py": "X = 1"})
        found = collect(tmp_path)
        assert found.layout == "moodle"
        by_id = {s.student: s for s in found.submissions}
        assert set(by_id) == {"Ivan_Petrov_12345", "Анна_Иванова_777", "Bob_Lee_9"}
        ivan = by_id["Ivan_Petrov_12345"]
        assert ivan.display_name == "Ivan Petrov" and len(ivan.sources) == 2
        assert ivan.metadata == {"participant": "12345"}
        prepared = prepare(ivan)
        assert prepared.main_source == "hw5.ipynb" and "onlinetext.html" in prepared.files
        assert prepare(by_id["Анна_Иванова_777"]).main == "solution.py"
        assert set(prepare(by_id["Bob_Lee_9"]).files) == {"ops.py", "util.py"}

    def test_canvas_files_late_and_resubmissions(self, tmp_path):
        (tmp_path / "petrovivan_12345_678901_hw5.ipynb").write_text(notebook(("code", "from helpers import *")))
        (tmp_path / "petrovivan_12345_678902_helpers-1.py").write_text(OPS)
        (tmp_path / "sidorovpetr_late_23456_789012_hw5.py").write_text(OPS)
        make_zip(tmp_path / "LATE_kozlova_34567_890123_hw5-2.zip", {"ops.py": OPS})
        found = collect(tmp_path)
        assert found.layout == "canvas"
        by_id = {s.student: s for s in found.submissions}
        assert set(by_id) == {"petrovivan_12345", "sidorovpetr_23456", "kozlova_34567"}
        assert [by_id[k].late for k in ("petrovivan_12345", "sidorovpetr_23456", "kozlova_34567")] == [
            False,
            True,
            True,
        ]
        petrov = prepare(by_id["petrovivan_12345"])
        assert set(petrov.files) == {"hw5.ipynb", "helpers.py"}
        assert petrov.main_source == "helpers.py"  # defines the classes; the notebook imports them
        assert prepare(by_id["kozlova_34567"]).main == "ops.py"
        assert by_id["petrovivan_12345"].display_name == "petrovivan"

    @pytest.mark.parametrize("without_yaml", [False, True])
    def test_gradescope_export(self, tmp_path, monkeypatch, without_yaml):
        if without_yaml:
            monkeypatch.setitem(sys.modules, "yaml", None)
        root = tmp_path / "assignment_9100_export"
        for name in ("submission_1", "submission_2", "submission_3"):
            (root / name).mkdir(parents=True)
            (root / name / "hw.py").write_text(OPS)
        (root / "submission_metadata.yml").write_text(
            "submission_1:\n"
            "  :submitters:\n"
            "  - :name: Solo Student\n"
            "    :sid: '100'\n"
            "    :email: solo@example.edu\n"
            "  :created_at: 2024-01-01 10:00:00.000000000 -07:00\n"
            "  :score: !ruby/object:BigDecimal 18:0.5e1\n"
            "submission_2:\n"
            "  :submitters:\n"
            "  - :name: Pair One\n"
            "    :sid: '200'\n"
            "  - :name: Pair Two\n"
            "    :sid: '201'\n"
        )
        found = collect(tmp_path)
        assert found.layout == "gradescope"
        by_id = {s.student: s for s in found.submissions}
        assert set(by_id) == {"Solo_Student_100", "Pair_One_200", "submission_3"}
        assert by_id["Pair_One_200"].display_name == "Pair One, Pair Two"
        assert by_id["Solo_Student_100"].metadata["email"] == "solo@example.edu"
        assert prepare(by_id["submission_3"]).main == "hw.py"

    def test_gradescope_autograder_submission(self, tmp_path):
        (tmp_path / "submission").mkdir()
        (tmp_path / "submission" / "hw.ipynb").write_text(notebook(("code", OPS)))
        (tmp_path / "submission_metadata.json").write_text(
            json.dumps({"users": [{"name": "Ann Lee", "email": "ann@x.edu", "sid": "77"}], "id": 1})
        )
        submission = collect_gradescope_submission(tmp_path / "submission")
        assert (submission.student, submission.display_name, submission.layout) == (
            "Ann_Lee_77",
            "Ann Lee",
            "gradescope",
        )
        assert prepare(submission).main == "hw.py"
        (tmp_path / "submission_metadata.json").write_text("{broken")
        assert collect_gradescope_submission(tmp_path / "submission").student == "submission"


class TestArchives:
    def test_traversal_and_absolute_paths_are_rejected(self, tmp_path):
        for i, member in enumerate(("../evil.py", "/etc/evil.py", "a/../../evil.py", "C:/evil.py", "a\\..\\..\\x.py")):
            path = make_zip(tmp_path / f"s{i}.zip", {"ok.py": OPS, member: "x"})
            with pytest.raises(SubmissionError) as caught:
                prepare(collect(tmp_path).submissions[i])
            assert caught.value.code == "zip_unsafe", member
            assert path.name in caught.value.message()
        assert not (tmp_path.parent / "evil.py").exists()

    def test_zip_bomb_and_caps(self, tmp_path):
        make_zip(tmp_path / "bomb.zip", {"ops.py": OPS, "zeros.bin": b"\0" * (30 << 20)})
        make_zip(tmp_path / "many.zip", {f"f{i}.py": "" for i in range(20)})
        make_zip(tmp_path / "big.zip", {"ops.py": OPS, "a.bin": bytes(range(256)) * 8000})
        by_id = {s.student: s for s in collect(tmp_path).submissions}
        with pytest.raises(SubmissionError) as caught:
            prepare(by_id["bomb"])
        assert caught.value.code == "zip_bomb"
        with pytest.raises(SubmissionError) as caught:
            prepare(by_id["many"], limits=CollectLimits(max_files=10))
        assert caught.value.code == "too_many_files"
        with pytest.raises(SubmissionError) as caught:
            prepare(by_id["big"], limits=CollectLimits(max_total_bytes=1 << 20))
        assert caught.value.code == "zip_bomb"

    def test_corrupt_encrypted_symlinks_and_nested(self, tmp_path):
        (tmp_path / "corrupt.zip").write_bytes(b"PK\x03\x04" + b"\xff" * 200)
        locked = bytearray(make_zip(tmp_path / "locked.zip", {"ops.py": OPS}).read_bytes())
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set the "encrypted" flag bit
            locked[locked.index(signature) + offset] |= 0x1
        (tmp_path / "locked.zip").write_bytes(locked)
        with zipfile.ZipFile(tmp_path / "links.zip", "w") as archive:
            link = zipfile.ZipInfo("passwd.py")
            link.external_attr = (0o120777 << 16) | 0
            archive.writestr(link, "/etc/passwd")
            archive.writestr("ops.py", OPS)
            archive.writestr("inner.zip", make_zip(tmp_path / "inner.zip", {"x.py": "x"}).read_bytes())
        (tmp_path / "inner.zip").unlink()
        by_id = {s.student: s for s in collect(tmp_path).submissions}
        for student, code in (("corrupt", "zip_bad"), ("locked", "zip_encrypted")):
            with pytest.raises(SubmissionError) as caught:
                prepare(by_id[student])
            assert caught.value.code == code
            assert caught.value.message("ru") != caught.value.message("en")
        assert set(prepare(by_id["links"]).files) == {"ops.py", "inner.zip"}

    def test_folder_symlinks_are_not_followed(self, tmp_path):
        student = tmp_path / "eve"
        student.mkdir()
        (student / "ops.py").write_text(OPS)
        (student / "secret.py").symlink_to("/etc/passwd")
        (student / "root").symlink_to("/")
        prepared = prepare(collect(tmp_path).submissions[0])
        assert set(prepared.files) == {"ops.py"}
        assert any("secret.py" in str(note) for note in prepared.notes)

    def test_names_with_control_characters(self, tmp_path):
        make_zip(tmp_path / "mac.zip", {"ops.py": OPS, "Icon\r": b"", "weird\x1b.py": "x"})
        assert set(prepare(collect(tmp_path / "").submissions[0]).files) == {"ops.py"}
        (tmp_path / "mac.zip").unlink()
        folder = tmp_path / "folder"
        folder.mkdir()
        (folder / "ops.py").write_text(OPS)
        (folder / "bad\nimport os\n.py").write_text("x")
        prepared = prepare(collect(tmp_path).submissions[0])
        assert set(prepared.files) == {"ops.py"} and any("bad?import os?.py" in str(n) for n in prepared.notes)
        (tmp_path / "folder" / "ops.py").unlink()
        (tmp_path / "folder" / "bad\nimport os\n.py").unlink()
        folder.rmdir()
        (tmp_path / "x\nimport os\n.ipynb").write_text(notebook(("code", OPS)))
        prepared = prepare(collect(tmp_path).submissions[0])
        assert prepared.main == "submission.py" and prepared.main_source == "submission.ipynb"
        header = prepared.files["submission.py"].decode().splitlines()[0]
        assert header.startswith("# Code cells of submission.ipynb")
        script = notebook_to_script(notebook(("code", "x = 1")), name="a\nimport os\nb.ipynb")
        assert script.text.splitlines()[0].startswith("# Code cells of a?import os?b.ipynb")

    def test_no_code(self, tmp_path):
        make_zip(tmp_path / "empty.zip", {"README.txt": "nothing"})
        with pytest.raises(SubmissionError) as caught:
            prepare(collect(tmp_path).submissions[0])
        assert caught.value.code == "no_code"


class TestNotebooks:
    CELLS = (
        ("markdown", "# Homework 5"),
        ("code", ["%matplotlib inline\n", "import math\n", "!pip install numpy\n", "files = !ls\n"]),
        ("code", "%%bash\necho hello\nrm -rf /\n"),
        ("code", "%%time\nx = 1\n%timeit y = 2\n"),
        ("code", ["doc = '''\n", "%not a magic\n", "!neither\n", "'''\n", "math.sqrt?\n", "??math\n"]),
        ("code", ["if True:\n", "    %time z = 3\n", "get_ipython().run_line_magic('load_ext', 'x')\n"]),
        ("code", "%%writefile helpers.py\nHELP = 42\n"),
        ("code", "   "),
        ("code", ["def f():\n", "    return 1 / 0\n", "f()\n"]),
    )

    def test_magics_are_neutralised_keeping_lines(self):
        script = notebook_to_script(notebook(*self.CELLS), name="hw.ipynb")
        text = script.text
        compile(text, "hw.py", "exec")
        lines = text.splitlines()
        assert "pass  # [ipython] %matplotlib inline" in lines
        assert "pass  # [ipython] !pip install numpy" in lines and "pass  # [ipython] files = !ls" in lines
        assert "# rm -rf /" in lines and "# %%bash" in lines
        assert "pass  # [ipython] %%time" in lines and "x = 1" in lines
        assert "%not a magic" in lines and "!neither" in lines
        assert "pass  # [ipython] math.sqrt?" in lines and "pass  # [ipython] ??math" in lines
        assert "    pass  # [ipython] %time z = 3" in lines
        assert any(line.startswith("pass  # [ipython] get_ipython()") for line in lines)
        assert script.files == {"helpers.py": b"HELP = 42\n"}
        notes = [note.text() for note in script.notes]
        assert "hw.ipynb: cell 3 (%%bash) skipped" in notes
        assert "hw.ipynb: cell 7 writes helpers.py" in notes

    def test_errors_are_reported_by_cell_and_line(self):
        script = notebook_to_script(notebook(*self.CELLS[:2], self.CELLS[8]), name="hw.ipynb")
        namespace: dict = {}
        with pytest.raises(ZeroDivisionError) as caught:
            exec(compile(script.text, "hw.py", "exec"), namespace)
        frames = [f for f in traceback.extract_tb(caught.tb) if f.filename == "hw.py"]
        assert [script.line_map.describe(f.lineno) for f in frames] == ["cell 3, line 3", "cell 3, line 2"]
        assert script.line_map.describe(frames[-1].lineno, "ru") == "ячейка 3, строка 2"
        assert script.line_map.locate(frames[-1].lineno).code_cell == 2
        assert "script" in script.line_map.describe(1)

    def test_nbformat_3_is_read(self):
        script = notebook_to_script(notebook(("markdown", "x"), ("code", "y = 2\n%pylab"), version=3))
        assert "y = 2" in script.text and "pass  # [ipython] %pylab" in script.text
        assert any(note.key == "note.notebook_v3" for note in script.notes)

    @pytest.mark.parametrize(
        ("content", "code"),
        [
            (b'{"nbformat": 4, "cells": [', "notebook_json"),
            (b"\xff\xfe not utf8", "encoding"),
            (b"[1, 2]", "notebook_format"),
            (notebook(("code", "x"), version=2).encode(), "notebook_format"),
            (b'{"nbformat": 4, "cells": {"a": 1}}', "notebook_format"),
            (b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}]}', "notebook_format"),
            (b'{"nbformat": 4, "cells": []}', "notebook_empty"),
            (notebook(("markdown", "only text"), ("code", "  \n")).encode(), "notebook_empty"),
            (b"[" * 100_000, "notebook_json"),
        ],
    )
    def test_broken_notebooks_are_clear_errors(self, content, code):
        with pytest.raises(SubmissionError) as caught:
            notebook_to_script(content, name="hw.ipynb")
        assert caught.value.code == code
        assert "hw.ipynb" in caught.value.message() or code == "no_code"

    def test_broken_notebook_in_a_class_folder(self, tmp_path):
        (tmp_path / "good.ipynb").write_text(notebook(("code", OPS)))
        (tmp_path / "bad.ipynb").write_text("{not json")
        (tmp_path / "cp1251.py").write_bytes("# комментарий\nclass Linear: pass\n".encode("cp1251"))
        (tmp_path / "declared.py").write_bytes("# -*- coding: cp1251 -*-\nNAME = 'Иван'\n".encode("cp1251"))
        results = {}
        for submission in collect(tmp_path).submissions:
            try:
                results[submission.student] = prepare(submission).main
            except SubmissionError as error:
                results[submission.student] = (error.code, error.message())
        assert results["good"] == "good.py"
        assert results["bad"][0] == "notebook_json" and "line 1, column 2" in results["bad"][1]
        assert results["cp1251"] == ("encoding", "cp1251.py is not UTF-8 (byte 0xea at line 1); save it as UTF-8")
        assert results["declared"] == "declared.py"

    def test_exported_notebook_py_loses_its_get_ipython_lines(self, tmp_path):
        (tmp_path / "hw.py").write_text("get_ipython().run_line_magic('matplotlib', 'inline')\nX = 1\n")
        prepared = prepare(collect(tmp_path).submissions[0])
        assert prepared.files["hw.py"].decode().splitlines()[0].startswith("pass  # [ipython] get_ipython()")
        assert prepared.locate(2) == "line 2"

    def test_script_name_does_not_overwrite_a_file(self, tmp_path):
        folder = tmp_path / "amy"
        folder.mkdir()
        (folder / "hw.ipynb").write_text(notebook(("code", OPS + "from hw import *")))
        (folder / "hw.py").write_text("X = 1")
        prepared = prepare(collect(tmp_path).submissions[0])
        assert prepared.main == "hw_notebook.py" and prepared.files["hw.py"] == b"X = 1"


class TestChooseMain:
    def test_rules_in_order(self):
        files = {"a/deep/ops.py": OPS, "util.py": "", "z.ipynb": "", "main.py": "class Linear: pass"}
        assert choose_main(files) == "a/deep/ops.py"
        assert choose_main(files, main_names=["MAIN.py"]) == "main.py"
        assert choose_main(files, required=()) == "z.ipynb"
        assert choose_main({"b.py": "", "a.py": ""}) == "a.py"
        with pytest.raises(ValueError):
            choose_main({})


def test_a_prepared_notebook_runs_in_the_sandbox_and_its_error_maps_to_the_cell(tmp_path):
    cells = (
        ("markdown", "intro"),
        ("code", "%matplotlib inline\nfrom helpers import HELP\n"),
        ("code", "%%writefile helpers.py\nHELP = 42\n"),
        ("code", "print('help is', HELP)\nraise ValueError('in cell four')\n"),
    )
    (tmp_path / "student.ipynb").write_text(notebook(*cells))
    prepared = prepare(collect(tmp_path).submissions[0])
    result = run_sandboxed([sys.executable, prepared.main], files=prepared.files, timeout=30)
    assert result.stdout == "help is 42\n"
    line = int(re.findall(rf'File "[^"]*{prepared.main}", line (\d+)', result.stderr)[-1])
    assert prepared.locate(line) == "cell 4, line 2"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
_cells = st.lists(
    st.fixed_dictionaries(
        {
            "cell_type": st.sampled_from(["code", "markdown", "raw", 3]),
            "source": st.text() | st.lists(st.text()) | _json,
        }
    ),
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(
    st.binary(max_size=300)
    | _json.map(lambda v: json.dumps(v).encode())
    | _cells.map(lambda cells: json.dumps({"nbformat": 4, "cells": cells}).encode())
)
def test_any_notebook_bytes_give_a_script_or_a_submission_error(content):
    try:
        script = notebook_to_script(content, name="fuzz.ipynb")
    except SubmissionError as error:
        assert error.message("ru") and error.message("en")
    else:
        assert len(script.line_map.lines) == len(script.text.splitlines())


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_any_zip_bytes_give_files_or_a_submission_error(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "fuzz.zip").write_bytes(b"PK\x03\x04" + content)
    try:
        prepare(collect(folder).submissions[0])
    except SubmissionError as error:
        assert error.code in {"zip_bad", "zip_unsafe", "zip_bomb", "zip_encrypted", "no_code", "too_many_files"}
