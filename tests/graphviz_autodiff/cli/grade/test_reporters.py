"""The class reports: exact schemas, valid files, and hostile strings that stay inert."""

from __future__ import annotations

import csv
import doctest
import json
import string
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from graphviz_autodiff.cli.grade import reporters
from graphviz_autodiff.cli.grade.reporters import (
    MESSAGES,
    OpResult,
    StudentResult,
    excel_safe,
    gradescope_results,
    render_index_html,
    report_json,
    sanitize_svg,
    write_junit,
    write_reports,
    write_summary_csv,
)

HOSTILE_NAME = '<script>alert("x")</script> O\'Brien\n\u202eevil\u202c ' + "Я" * 100_000
HOSTILE_MESSAGE = '=HYPERLINK("http://evil")<img src=x onerror=alert(1)>\x00\x1b[31m\udcff'
HOSTILE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)">'
    "<script>alert(2)</script><style>*{background:url(http://evil/x)}</style>"
    '<g id="node1" class="node" onclick="alert(3)"><title>Linear</title>'
    '<a xlink:href="javascript:alert(4)"><text x="1" y="2" fill="url(#grad)">Linear</text></a>'
    '<image href="http://evil/track.png"/><foreignObject><div>html</div></foreignObject>'
    '<use href="http://evil/sprite.svg#x"/><path d="M0 0L1 1" style="fill:url(http://evil)"/></g></svg>'
)


def dot_svg(label: str) -> str:
    label = label.replace('"', '\\"')
    dot = f'digraph {{ a [label="{label}" fillcolor="#ffdddd" style=filled URL="javascript:alert(1)"]; a -> b }}'
    return subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True).stdout


def op(name: str, status: str = "pass", **kwargs) -> OpResult:
    return OpResult(name, status, max_points=kwargs.pop("max_points", 1.0), **kwargs)


@pytest.fixture
def results() -> list[StudentResult]:
    ops4 = ("Linear", "Identity", "Squared", "Sum")
    return [
        StudentResult(
            "bob",
            "Bob",
            "fail",
            3.0,
            4.0,
            [
                op(
                    "Linear",
                    "fail",
                    kind="wrong_gradient",
                    diagnosis="transpose",
                    message="∂L/∂x is transposed",
                    max_rel_error=1.7,
                ),
                *(op(n, points=1.0, max_rel_error=1e-9) for n in ops4[1:]),
            ],
            isolation="bubblewrap 0.8.0: no network",
            seconds=1.25,
            graph_svg=HOSTILE_SVG,
        ),
        StudentResult(
            "alice",
            "Alice Ångström",
            "pass",
            4.0,
            4.0,
            [op(n, points=1.0, max_rel_error=2e-10) for n in ops4],
            isolation="bubblewrap 0.8.0: no network",
            seconds=0.8,
            graph_svg=dot_svg("Linear"),
        ),
        StudentResult("carol", "Carol", "error", 0.0, 4.0, [], "bubblewrap", 0.3, ("ImportError: no module named x",)),
        StudentResult(
            "dave",
            "Dave",
            "timeout",
            1.0,
            4.0,
            [
                op("Linear", points=1.0),
                op("Sum", "error", kind="not_reported", message="the worker stopped before this op"),
            ],
            isolation="NOT ISOLATED: network, filesystem. bubblewrap unavailable",
            seconds=60.0,
            notes=("stopped after 60 s (timeout)", "stdout cut after 1 MB (200 MB written)"),
            isolated=False,
        ),
        StudentResult(
            "hostile",
            HOSTILE_NAME,
            "fail",
            0.0,
            4.0,
            [
                op(
                    "Linear",
                    "fail",
                    kind="wrong_gradient",
                    diagnosis="transpose",
                    message=HOSTILE_MESSAGE,
                    max_rel_error=float("nan"),
                ),
                op("<b>Evil</b>", "fail", kind="=cmd|' /C calc'!A0", message="+1", max_rel_error=float("inf")),
            ],
            isolation="bubblewrap",
            seconds=2.0,
            notes=(HOSTILE_MESSAGE, "-2+3"),
            graph_svg="<svg><!DOCTYPE x [<!ENTITY a 'b'>]></svg>",
        ),
    ]


def test_docstring_examples():
    assert doctest.testmod(reporters).failed == 0


def test_message_tables_match():
    assert set(MESSAGES["en"]) == set(MESSAGES["ru"])
    for key, template in MESSAGES["en"].items():
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f}
        assert fields == {f for _, f, _, _ in string.Formatter().parse(MESSAGES["ru"][key]) if f}, key


class TestModel:
    def test_invalid_values_are_refused(self):
        with pytest.raises(ValueError, match="op status"):
            OpResult("Linear", "passed")
        with pytest.raises(ValueError, match="student status"):
            StudentResult("a", "A", "ok", 0, 1)
        for bad in ("../x", "a b", "", "index.html"):
            with pytest.raises(ValueError, match="filesystem-safe"):
                StudentResult(bad, "A", "pass", 0, 1)

    def test_duplicate_ids_and_unknown_language(self, tmp_path):
        twice = [StudentResult("Ann", "A", "pass", 1, 1), StudentResult("ann", "B", "pass", 1, 1)]
        with pytest.raises(ValueError, match="duplicated"):
            write_reports(twice, tmp_path)
        with pytest.raises(ValueError, match="language"):
            write_reports(twice[:1], tmp_path, lang="de")


class TestFiles:
    def test_report_json_has_exactly_the_issue_schema(self, results, tmp_path):
        write_reports(results, tmp_path)
        bob = json.loads((tmp_path / "bob" / "report.json").read_text(encoding="utf-8"))
        assert list(bob) == ["student", "status", "score", "max_score", "ops", "isolation", "seconds"]
        assert list(bob["ops"][0]) == ["op", "status", "kind", "diagnosis", "message", "max_rel_error", "points"]
        assert bob["ops"][0] == {
            "op": "Linear",
            "status": "fail",
            "kind": "wrong_gradient",
            "diagnosis": "transpose",
            "message": "∂L/∂x is transposed",
            "max_rel_error": 1.7,
            "points": 0.0,
        }
        hostile = json.loads((tmp_path / "hostile" / "report.json").read_text(encoding="utf-8"))
        assert [o["max_rel_error"] for o in hostile["ops"]] == [None, None]
        assert hostile["ops"][0]["message"].startswith('=HYPERLINK("http://evil")<img')
        assert report_json(results[2])["ops"] == []

    def test_graph_svg_is_written_sanitised(self, results, tmp_path):
        write_reports(results, tmp_path)
        bob_svg = (tmp_path / "bob" / "graph.svg").read_text(encoding="utf-8")
        ET.fromstring(bob_svg)
        for bad in ("script", "onload", "onclick", "javascript", "http://evil", "foreignObject", "image", "<use"):
            assert bad not in bob_svg
        assert "Linear" in bob_svg and 'fill="url(#grad)"' in bob_svg
        assert "<text" in (tmp_path / "alice" / "graph.svg").read_text(encoding="utf-8")
        assert not (tmp_path / "hostile" / "graph.svg").exists()  # an entity declaration: refused
        assert not (tmp_path / "carol" / "graph.svg").exists()

    def test_summary_csv_rows_and_formula_safety(self, results, tmp_path):
        path = write_summary_csv(results, tmp_path / "summary.csv", lang="ru")
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0][:3] == ["студент", "имя", "статус"]
        assert len(rows) == 1 + 4 + 4 + 1 + 2 + 2  # header, alice, bob, carol (no op), dave, hostile
        assert [r[0] for r in rows[1:]] == ["alice"] * 4 + ["bob"] * 4 + ["carol", "dave", "dave"] + ["hostile"] * 2
        hostile = [r for r in rows if r[0] == "hostile"]
        message_column = 9
        assert hostile[0][message_column].startswith("'=HYPERLINK")
        assert hostile[1][7] == "'=cmd|' /C calc'!A0" and hostile[1][message_column] == "'+1"
        assert hostile[0][1].startswith("<script>") and len(hostile[0][1]) > 100_000
        assert hostile[0][10] == "" and hostile[0][-1].startswith("'=HYPERLINK")
        for row in rows[1:]:
            for cell in row:
                assert cell[:1] not in ("=", "+", "-", "@"), cell[:40]
                assert "\x00" not in cell
        carol = next(r for r in rows if r[0] == "carol")
        assert carol[5] == "" and carol[2] == "error"

    def test_junit_parses_and_counts(self, results, tmp_path):
        tree = ET.parse(write_junit(results, tmp_path / "junit.xml"))
        root = tree.getroot()
        cases = root.findall("./testsuite/testcase")
        assert len(cases) == 4 + 4 + 1 + 2 + 2
        assert root.get("tests") == "13"
        assert root.get("failures") == str(len(root.findall(".//failure"))) == "3"
        assert root.get("errors") == str(len(root.findall(".//error"))) == "2"
        assert [s.get("name") for s in root.findall("testsuite")] == ["alice", "bob", "carol", "dave", "hostile"]
        carol = root.find("./testsuite[@name='carol']/testcase")
        assert carol.get("name") == "submission" and carol.find("error").get("type") == "error"
        hostile_failure = root.find("./testsuite[@name='hostile']/testcase/failure")
        assert hostile_failure.get("message").startswith('=HYPERLINK("http://evil")<img')
        assert "\x00" not in ET.tostring(root, encoding="unicode")

    def test_gradescope_results(self, results, tmp_path):
        data = gradescope_results(results[0])
        assert data["score"] == 3.0 and data["stdout_visibility"] == "hidden"
        assert [t["status"] for t in data["tests"]] == ["failed", "passed", "passed", "passed"]
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(data["tests"][0])
        assert "transposed" in data["tests"][0]["output"]
        assert data["tests"][0]["extra_data"] == {
            "kind": "wrong_gradient",
            "diagnosis": "transpose",
            "max_rel_error": 1.7,
        }
        dave = gradescope_results(results[3], lang="ru")
        assert "без полной изоляции" in dave["output"]
        carol = gradescope_results(results[2])
        assert carol["tests"] == [
            {
                "name": "submission",
                "score": 0.0,
                "max_score": 4.0,
                "status": "failed",
                "output": "no op could be checked (error)",
                "output_format": "text",
                "visibility": "visible",
            }
        ]
        written = write_reports(results[:1], tmp_path, gradescope=True)
        top = json.loads(written["results"].read_text(encoding="utf-8"))
        assert top == json.loads(json.dumps(data)) and (tmp_path / "bob" / "results.json").exists()
        write_reports(results, tmp_path / "class", gradescope=True)
        assert not (tmp_path / "class" / "results.json").exists()
        assert (tmp_path / "class" / "dave" / "results.json").exists()

    def test_outputs_are_deterministic(self, results, tmp_path):
        write_reports(results, tmp_path / "one", lang="ru", gradescope=True)
        write_reports(list(reversed(results)), tmp_path / "two", lang="ru", gradescope=True)
        one = {p.relative_to(tmp_path / "one"): p.read_bytes() for p in (tmp_path / "one").rglob("*") if p.is_file()}
        two = {p.relative_to(tmp_path / "two"): p.read_bytes() for p in (tmp_path / "two").rglob("*") if p.is_file()}
        assert one == two and len(one) == 3 + 5 * 2 + 2


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data):
        self.text.append(data)


class TestIndexHtml:
    def test_hostile_strings_stay_text(self, results):
        page = render_index_html(results)
        parsed = _Collector()
        parsed.feed(page)
        assert "script" not in parsed.tags and "img" not in parsed.tags and "foreignobject" not in parsed.tags
        assert not [name for name, _ in parsed.attrs if name.startswith("on")]
        for name, value in parsed.attrs:
            if name in ("href", "src"):
                assert not value.startswith(("http", "//", "javascript", "data")), value
        text = "".join(parsed.text)
        assert '<script>alert("x")</script>' in text and "<img src=x onerror=alert(1)>" in text
        assert "&lt;script&gt;" in page and "<bdi>" in page
        assert "\x00" not in page and "\udcff" not in page
        assert len(page) < 200_000  # the 100 000-character name is cut
        assert "default-src 'none'" in page

    def test_content_pass_rates_diagnoses_and_example(self, results):
        page = render_index_html(results)
        assert "Grading report: 5 students" in page
        assert "5 students: 1 pass, 2 fail, 1 error, 1 timeout" in page
        assert 'role="alert"' in page and "1 of 5 submissions ran WITHOUT full isolation" in page
        assert '<tr><td><bdi>Linear</bdi></td><td class="num">2/5</td>' in page
        assert '<tr><td><bdi>&lt;b&gt;Evil&lt;/b&gt;</bdi></td><td class="num">0/5</td>' in page
        parsed = _Collector()
        parsed.feed(page)
        assert parsed.tags.count("figure") == 3  # Linear, Sum and the hostile op have failures
        assert "wrong gradient — transposed: 2 student(s)" in page
        assert "Example: Bob" in page and '<text x="1" y="2" fill="url(#grad)">Linear</text>' in page
        assert "Identity</bdi></h3>\n<p>no failures</p>" in page

    def test_russian_page(self, results):
        page = render_index_html(results, lang="ru")
        assert '<html lang="ru">' in page and "Студенты × операции" in page
        assert "неверный градиент" in page and "Пример: Bob" in page

    def test_pass_rate_counts(self):
        results = [
            StudentResult(f"s{i}", f"S{i}", "pass" if i < 3 else "fail", 1, 1, [op("Sum", "pass" if i < 3 else "fail")])
            for i in range(4)
        ]
        page = render_index_html(results)
        assert ">3/4</td>" in page and "75%" in page


class TestSanitizeSvg:
    def test_real_graphviz_output_survives(self):
        svg = sanitize_svg(dot_svg('evil <script>alert(1)</script> "q"'))
        root = ET.fromstring(svg)
        texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
        assert 'evil <script>alert(1)</script> "q"' in texts
        assert "javascript" not in svg and "<script" not in svg

    @pytest.mark.parametrize(
        "svg",
        [
            '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY lol "lol">]><svg>&lol;</svg>',
            "<html><body>not svg</body></html>",
            "<svg><unclosed></svg>",
            "not xml at all",
            "<svg>" + "x" * (6 << 20) + "</svg>",
        ],
    )
    def test_refused(self, svg):
        assert sanitize_svg(svg) is None

    def test_excel_safe(self):
        assert [excel_safe(x) for x in ("=1", "+1", "-1", "@x", "\tx", "x=1", "")] == [
            "'=1",
            "'+1",
            "'-1",
            "'@x",
            "'\tx",
            "x=1",
            "",
        ]


def test_write_reports_lists_what_it_wrote(results, tmp_path):
    written = write_reports(results, tmp_path, lang="en")
    assert {k for k in written if not k.startswith("student:")} == {"index", "summary", "junit"}
    assert all(Path(p).exists() for p in written.values())
    assert written["student:bob"] == tmp_path / "bob"
