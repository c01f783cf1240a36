"""Write a graded class: per-student JSON, CSV, JUnit XML, Gradescope's results.json and a class HTML page.

The grader fills :class:`StudentResult` objects (one per student, each with an
:class:`OpResult` per required op) and calls :func:`write_reports`::

    OUT/<student>/report.json   the schema of issue 14 (:func:`report_json`)
    OUT/<student>/graph.svg     the student's diagram, sanitised (when ``graph_svg`` is set)
    OUT/<student>/results.json  Gradescope's schema (with ``gradescope=True``)
    OUT/results.json            the same, when the class has exactly one student (Gradescope's run)
    OUT/summary.csv             one row per student x op (a row without op for a student with none)
    OUT/junit.xml               one testcase per student x op
    OUT/index.html              the class report, en or ru

Every output is deterministic (students sorted by id, no timestamps). Every
string a student controls (names, messages, output, op names) is treated as
hostile: HTML-escaped and bidi-isolated in the page, prefixed with ``'`` in
CSV cells that a spreadsheet would run as a formula (``= + - @``, tab, CR,
LF), stripped of characters XML 1.0 cannot hold in JUnit, and cleaned of lone
surrogates everywhere (so writing never fails). SVG diagrams pass through
:func:`sanitize_svg` (whitelisted elements, no scripts, event handlers or
external references) before they are written or inlined. The page loads
nothing: its Content-Security-Policy forbids every fetch.

Non-finite numbers (``max_rel_error`` of a gradient full of NaN) are written
as JSON ``null`` and as empty CSV cells.

All user-facing text of the page, the CSV header and the Gradescope/JUnit
messages comes from the catalogue (:mod:`graphviz_autodiff.i18n`: ``status.*``,
``html.*``, ``csv.*``, ``out.*``); verdict kinds and diagnoses are labelled with
its ``kind.*`` and ``diag.*`` messages and shown raw when it has none.
"""

from __future__ import annotations

import csv
import html
import json
import math
import os
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphviz_autodiff.i18n import check_lang, tr

from .collect import is_safe_id

__all__ = [
    "CSV_COLUMNS",
    "OP_STATUSES",
    "STUDENT_STATUSES",
    "OpResult",
    "StudentResult",
    "excel_safe",
    "gradescope_results",
    "render_index_html",
    "report_json",
    "sanitize_svg",
    "write_gradescope",
    "write_index_html",
    "write_junit",
    "write_reports",
    "write_student_report",
    "write_summary_csv",
]

#: Statuses of one op: ``error`` means it could not be checked (missing class, crash before it was reported).
OP_STATUSES = ("pass", "fail", "error")
#: Statuses of a student.
STUDENT_STATUSES = ("pass", "fail", "error", "timeout")

#: Columns of ``summary.csv`` (their headers are the catalogue's ``csv.<column>``).
CSV_COLUMNS = (
    "student",
    "display_name",
    "status",
    "score",
    "max_score",
    "op",
    "op_status",
    "kind",
    "diagnosis",
    "message",
    "max_rel_error",
    "points",
    "max_points",
    "seconds",
    "isolation",
    "notes",
)
_INLINE_SVG_LIMIT = 2 << 20
_NAME_LIMIT = 200
_MESSAGE_LIMIT = 2000


def _label(area: str, value: str | None, lang: str) -> str:
    """The debugger's label for a verdict kind or diagnosis, or the raw value when it has none."""
    if not value:
        return ""
    return tr(f"{area}.{value}", lang, default=value)


# -- the data model ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpResult:
    """The verdict on one required op of one student.

    Attributes
    ----------
    op
        The op's name (``"Linear"``).
    status
        One of :data:`OP_STATUSES`.
    kind, diagnosis
        The debugger's verdict kind (``"wrong_gradient"``) and diagnosis (``"transpose"``), if any.
    message
        The debugger's one-line explanation (or why the op could not be checked).
    max_rel_error
        Largest relative error of the gradient check, if computed.
    points, max_points
        Points earned and available.
    """

    op: str
    status: str
    kind: str | None = None
    diagnosis: str | None = None
    message: str = ""
    max_rel_error: float | None = None
    points: float = 0.0
    max_points: float = 0.0

    def __post_init__(self) -> None:
        if self.status not in OP_STATUSES:
            raise ValueError(f"op status must be one of {OP_STATUSES}, not {self.status!r}")


@dataclass(frozen=True)
class StudentResult:
    """Everything reported about one student.

    Attributes
    ----------
    student
        The id from :mod:`.collect` (must be filesystem-safe: it names ``OUT/<student>/``).
    display_name
        The name as the export spelled it.
    status
        One of :data:`STUDENT_STATUSES`.
    score, max_score
        Points earned and available.
    ops
        One :class:`OpResult` per required op, in the assignment's order.
    isolation
        The sandbox's description (:attr:`.sandbox.Isolation.description`).
    seconds
        Wall time of the grading of this student.
    notes
        Sentences for the report ("stdout cut after 1 MB", conversion notes).
    graph_svg
        The student's diagram as SVG text, or ``None``.
    isolated
        False when the sandbox fell back (every report then shows a warning).
    """

    student: str
    display_name: str
    status: str
    score: float
    max_score: float
    ops: tuple[OpResult, ...] = ()
    isolation: str = ""
    seconds: float = 0.0
    notes: tuple[str, ...] = ()
    graph_svg: str | None = field(default=None, repr=False)
    isolated: bool = True

    def __post_init__(self) -> None:
        if self.status not in STUDENT_STATUSES:
            raise ValueError(f"student status must be one of {STUDENT_STATUSES}, not {self.status!r}")
        if not is_safe_id(self.student):
            raise ValueError(f"student id {self.student[:80]!r} is not filesystem-safe (use collect.safe_id)")
        object.__setattr__(self, "ops", tuple(self.ops))
        object.__setattr__(self, "notes", tuple(self.notes))


# -- cleaning ----------------------------------------------------------------------------------------
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _clean(value: Any) -> str:
    """``value`` as text that any writer accepts: lone surrogates replaced, NUL and other C0 controls removed."""
    text = value if isinstance(value, str) else str(value)
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _XML_INVALID.sub("\ufffd", text)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _number(value: float | None, digits: int = 6) -> str:
    value = _finite(value)
    if value is None:
        return ""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return format(value, f".{digits}g")


def excel_safe(text: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would read as a formula (starting with ``= + - @``, tab, CR or LF).

    Examples
    --------
    >>> excel_safe("=HYPERLINK(\\"http://x\\")"), excel_safe("Ivan")
    ('\\'=HYPERLINK("http://x")', 'Ivan')
    """
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r", "\n") else text


# -- per-student JSON --------------------------------------------------------------------------------
def report_json(result: StudentResult) -> dict[str, Any]:
    """The ``report.json`` of one student, exactly the schema of issue 14.

    ``{"student", "status", "score", "max_score", "ops": [{"op", "status", "kind",
    "diagnosis", "message", "max_rel_error", "points"}], "isolation", "seconds"}``.
    """
    return {
        "student": _clean(result.student),
        "status": result.status,
        "score": _finite(result.score) or 0.0,
        "max_score": _finite(result.max_score) or 0.0,
        "ops": [
            {
                "op": _clean(op.op),
                "status": op.status,
                "kind": None if op.kind is None else _clean(op.kind),
                "diagnosis": None if op.diagnosis is None else _clean(op.diagnosis),
                "message": _clean(op.message),
                "max_rel_error": _finite(op.max_rel_error),
                "points": _finite(op.points) or 0.0,
            }
            for op in result.ops
        ],
        "isolation": _clean(result.isolation),
        "seconds": round(_finite(result.seconds) or 0.0, 3),
    }


def _dump_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def write_student_report(result: StudentResult, out: os.PathLike[str] | str) -> Path:
    """Write ``OUT/<student>/report.json`` (and ``graph.svg`` when the result has a diagram that survives sanitising).

    Returns
    -------
    Path
        The student's folder.
    """
    folder = Path(out) / result.student
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(_dump_json(report_json(result)), encoding="utf-8")
    svg = sanitize_svg(result.graph_svg) if result.graph_svg else None
    if svg is not None:
        (folder / "graph.svg").write_text(svg, encoding="utf-8")
    return folder


# -- CSV ---------------------------------------------------------------------------------------------
def write_summary_csv(results: Iterable[StudentResult], path: os.PathLike[str] | str, *, lang: str = "en") -> Path:
    """Write one row per student × op (UTF-8 with BOM, so that Excel reads Cyrillic; formula-safe cells).

    A student without any op result (crash at import, timeout) gets one row with empty op columns.
    """
    path = Path(path)
    header = [tr(f"csv.{column}", lang) for column in CSV_COLUMNS]
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for result in _sorted(results):
            base = {
                "student": result.student,
                "display_name": _clean(result.display_name),
                "status": result.status,
                "score": _number(result.score),
                "max_score": _number(result.max_score),
                "seconds": _number(result.seconds, 4),
                "isolation": _clean(result.isolation),
                "notes": _clean(" | ".join(result.notes)),
            }
            for op in result.ops or (None,):
                row = dict(base)
                if op is not None:
                    row |= {
                        "op": _clean(op.op),
                        "op_status": op.status,
                        "kind": _clean(op.kind or ""),
                        "diagnosis": _clean(op.diagnosis or ""),
                        "message": _clean(op.message),
                        "max_rel_error": _number(op.max_rel_error),
                        "points": _number(op.points),
                        "max_points": _number(op.max_points),
                    }
                writer.writerow([excel_safe(row.get(column, "")) for column in CSV_COLUMNS])
    return path


def _sorted(results: Iterable[StudentResult]) -> list[StudentResult]:
    return sorted(results, key=lambda r: (r.student.casefold(), r.student))


# -- JUnit -------------------------------------------------------------------------------------------
def write_junit(
    results: Iterable[StudentResult], path: os.PathLike[str] | str, *, suite_name: str = "graphviz_autodiff grade"
) -> Path:
    """Write JUnit XML: a ``<testsuite>`` per student, a ``<testcase>`` per op.

    A failed op is a ``<failure>``, an op that could not be checked an
    ``<error>``; a student with no op result gets one ``submission`` testcase
    holding an ``<error>`` (its status: error or timeout).
    """
    results = _sorted(results)
    root = ET.Element("testsuites", name=suite_name)
    totals = Counter()
    for result in results:
        suite = ET.SubElement(root, "testsuite", name=_clean(result.student))
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("display_name", _cut(_clean(result.display_name), _NAME_LIMIT * 5)),
            ("status", result.status),
            ("score", _number(result.score)),
            ("max_score", _number(result.max_score)),
            ("isolation", _clean(result.isolation)),
        ):
            ET.SubElement(properties, "property", name=name, value=value)
        counts = Counter()
        for op in result.ops:
            case = ET.SubElement(suite, "testcase", classname=_clean(result.student), name=_clean(op.op), time="0")
            counts["tests"] += 1
            if op.status != "pass":
                tag = "failure" if op.status == "fail" else "error"
                counts[tag + "s"] += 1
                element = ET.SubElement(case, tag, message=_cut(_clean(op.message), _MESSAGE_LIMIT))
                element.set("type", _clean(op.kind or op.status))
                element.text = _op_details(op, "en")
        if not result.ops:
            case = ET.SubElement(suite, "testcase", classname=_clean(result.student), name="submission", time="0")
            counts["tests"] += 1
            if result.status != "pass":
                counts["errors"] += 1
                element = ET.SubElement(case, "error", message=tr("out.no_ops", "en", status=result.status))
                element.set("type", result.status)
                element.text = _clean("\n".join(result.notes))
        if result.notes:
            ET.SubElement(suite, "system-out").text = _clean("\n".join(result.notes))
        for key in ("tests", "failures", "errors"):
            suite.set(key, str(counts[key]))
            totals[key] += counts[key]
        suite.set("skipped", "0")
        suite.set("time", _number(result.seconds, 4) or "0")
    for key in ("tests", "failures", "errors"):
        root.set(key, str(totals[key]))
    root.set("time", _number(sum(_finite(r.seconds) or 0.0 for r in results), 4) or "0")
    ET.indent(root)
    path = Path(path)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def _op_details(op: OpResult, lang: str) -> str:
    lines = [_clean(op.message)]
    if op.diagnosis:
        lines.append(tr("out.diagnosis", lang, diagnosis=_clean(_label("diag", op.diagnosis, lang))))
    if _finite(op.max_rel_error) is not None:
        lines.append(tr("out.rel_error", lang, value=_number(op.max_rel_error, 3)))
    return "\n".join(line for line in lines if line)


# -- Gradescope --------------------------------------------------------------------------------------
def gradescope_results(
    result: StudentResult,
    *,
    lang: str = "en",
    visibility: str = "visible",
    stdout_visibility: str = "hidden",
) -> dict[str, Any]:
    """One student's result in Gradescope's autograder format (``/autograder/results/results.json``).

    Top level: ``score``, ``execution_time``, ``output``, ``output_format``,
    ``visibility``, ``stdout_visibility``, ``tests``; each test: ``name``,
    ``score``, ``max_score``, ``status`` (``passed``/``failed``), ``output``,
    ``output_format``, ``visibility``, ``extra_data`` (kind, diagnosis, max_rel_error).
    A student without op results gets one failed ``submission`` test worth ``max_score``.
    """
    summary = [
        tr(
            "out.status",
            lang,
            status=tr(f"status.{result.status}", lang),
            score=_number(result.score),
            max=_number(result.max_score),
        )
    ]
    if not result.isolated:
        summary.append(tr("out.isolation_warning", lang, description=_clean(result.isolation)))
    summary += [_clean(note) for note in result.notes]
    tests = [
        {
            "name": _clean(op.op),
            "score": _finite(op.points) or 0.0,
            "max_score": _finite(op.max_points) or 0.0,
            "status": "passed" if op.status == "pass" else "failed",
            "output": _op_details(op, lang),
            "output_format": "text",
            "visibility": visibility,
            "extra_data": {
                "kind": op.kind,
                "diagnosis": op.diagnosis,
                "max_rel_error": _finite(op.max_rel_error),
            },
        }
        for op in result.ops
    ]
    if not tests:
        tests.append(
            {
                "name": tr("out.submission", lang),
                "score": 0.0,
                "max_score": _finite(result.max_score) or 0.0,
                "status": "failed",
                "output": tr("out.no_ops", lang, status=tr(f"status.{result.status}", lang)),
                "output_format": "text",
                "visibility": visibility,
            }
        )
    return {
        "score": _finite(result.score) or 0.0,
        "execution_time": round(_finite(result.seconds) or 0.0, 3),
        "output": "\n".join(summary),
        "output_format": "text",
        "visibility": visibility,
        "stdout_visibility": stdout_visibility,
        "tests": tests,
    }


def write_gradescope(result: StudentResult, path: os.PathLike[str] | str, *, lang: str = "en") -> Path:
    """Write :func:`gradescope_results` of one student to ``path``."""
    path = Path(path)
    path.write_text(_dump_json(gradescope_results(result, lang=lang)), encoding="utf-8")
    return path


# -- SVG ---------------------------------------------------------------------------------------------
_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_SVG_ELEMENTS = frozenset(
    {
        "svg",
        "g",
        "path",
        "polygon",
        "polyline",
        "ellipse",
        "circle",
        "rect",
        "line",
        "text",
        "tspan",
        "title",
        "desc",
        "defs",
        "lineargradient",
        "radialgradient",
        "stop",
        "clippath",
        "marker",
    }
)
_DOCTYPE = re.compile(r"<!DOCTYPE[^\[>]*>", re.I)


def sanitize_svg(svg: str, *, max_bytes: int = 5 << 20) -> str | None:
    """An SVG safe to inline in a page or open on its own, or ``None`` when it cannot be made so.

    Keeps only drawing elements (``svg g path polygon text``... see the source),
    turns links (``<a>``) into groups, drops ``<script>``, ``<style>``,
    ``<foreignObject>``, ``<image>``, ``<use>``, every ``on*`` attribute, every
    ``href`` and any attribute value holding ``url(`` other than a local
    ``url(#id)``. A DOCTYPE with an internal subset (entities) is refused; the
    external DTD line Graphviz writes is removed.

    Examples
    --------
    >>> sanitize_svg('<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script><text onclick="y()">a</text></svg>')
    '<svg xmlns="http://www.w3.org/2000/svg"><text>a</text></svg>'
    """
    if not isinstance(svg, str) or len(svg.encode("utf-8", "replace")) > max_bytes:
        return None
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", _clean(svg))
    if re.search(r"<!DOCTYPE[^>]*\[", text, re.I) or re.search(r"<!ENTITY", text, re.I):
        return None
    text = _DOCTYPE.sub("", text)
    try:
        root = ET.fromstring(text)
    except (ET.ParseError, ValueError):
        return None
    if _local(root.tag) != "svg":
        return None
    _sanitize_element(root)
    ET.register_namespace("", _SVG_NS)
    ET.register_namespace("xlink", _XLINK_NS)
    return ET.tostring(root, encoding="unicode")


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _sanitize_element(element: ET.Element) -> None:
    if _local(element.tag) == "a":
        element.tag = f"{{{_SVG_NS}}}g"
    for name in list(element.attrib):
        local = _local(name)
        value = element.attrib[name]
        if local.startswith("on") or local in ("href", "style") or _bad_url(value):
            del element.attrib[name]
    for child in list(element):
        if _local(child.tag) in _SVG_ELEMENTS or _local(child.tag) == "a":
            _sanitize_element(child)
        else:
            element.remove(child)


def _bad_url(value: str) -> bool:
    lowered = value.lower()
    if "javascript:" in lowered or "data:" in lowered:
        return True
    return any(not target.startswith("#") for target in re.findall(r"url\(\s*['\"]?([^'\")]*)", lowered))


# -- HTML --------------------------------------------------------------------------------------------
def _h(value: Any, limit: int = _MESSAGE_LIMIT) -> str:
    """Escaped text for element content."""
    return html.escape(_cut(_clean(value), limit), quote=True)


def _attr(value: Any, limit: int = _MESSAGE_LIMIT) -> str:
    """Escaped text for an attribute value (bidi controls removed, newlines kept as entities)."""
    return html.escape(_BIDI.sub("", _cut(_clean(value), limit)), quote=True).replace("\n", "&#10;")


def _name(value: str) -> str:
    """A student-controlled name: escaped, one line, bidi-isolated."""
    return f"<bdi>{_h(' '.join(_clean(value).split()), _NAME_LIMIT)}</bdi>"


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1a1a1a;background:#ffffff}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #d0d0d0;padding:3px 8px;text-align:left;
vertical-align:top}th{background:#f2f2f2}td.who,td.notes{overflow-wrap:anywhere;max-width:24em}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.pass{background:#e3f4e1}td.fail{background:#fbe3e1}td.error,td.timeout{background:#fdf0d5}
td.none{color:#888888}small{color:#666666}.warning{border:2px solid #c62828;background:#fdecea;padding:8px 12px;
font-weight:600}.bar{display:inline-block;height:10px;background:#4caf50;vertical-align:middle}
.bar-bg{display:inline-block;width:120px;height:10px;background:#eeeeee;margin-right:6px}
figure{margin:8px 0;border:1px solid #dddddd;padding:8px;max-width:100%;overflow:auto}
figure svg{max-width:100%;height:auto}section{margin-bottom:18px}footer{margin-top:32px;color:#777777}
"""
_LINK = "@@link@@"
_MARKS = {"pass": "✓", "fail": "✗", "error": "!", "timeout": "⏱"}


def render_index_html(
    results: Iterable[StudentResult],
    *,
    lang: str = "en",
    ops: Sequence[str] | None = None,
    title: str = "",
    labels: Mapping[str, str] | None = None,
) -> str:
    """The class report as one self-contained HTML page.

    Parameters
    ----------
    results
        The graded students.
    lang
        ``"en"`` or ``"ru"``.
    ops
        Column order; default: the ops in order of first appearance.
    title
        The assignment's name, put before the page's title.
    labels
        Names to show instead of some ops' (``{"training": "обучение"}``).
    """
    results = _sorted(results)
    check_lang(lang, "grade reports")
    ops = list(ops) if ops is not None else list(dict.fromkeys(op.op for r in results for op in r.ops))
    table = {(r.student, op.op): op for r in results for op in r.ops}
    heading = tr("html.title", lang, n=len(results))
    heading = f"{_clean(title)}: {heading}" if title else heading
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(heading)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_h(heading)}</h1>",
        f"<p>{_h(_summary(results, lang))}</p>",
    ]
    names = {op: (labels or {}).get(op, op) for op in ops}
    parts += _warning(results, lang)
    parts += _rates(results, ops, table, lang, names)
    parts += _students_table(results, ops, table, lang, names)
    parts += _diagnoses(results, ops, table, lang, names)
    parts.append(f"<footer>{_h(tr('html.footer', lang))}</footer></body></html>")
    return "\n".join(parts) + "\n"


def _summary(results: list[StudentResult], lang: str) -> str:
    counts = Counter(r.status for r in results)
    mean = sum(_finite(r.score) or 0.0 for r in results) / len(results) if results else 0.0
    top = max((_finite(r.max_score) or 0.0 for r in results), default=0.0)
    return tr(
        "html.summary",
        lang,
        n=len(results),
        n_pass=counts["pass"],
        n_fail=counts["fail"],
        n_error=counts["error"],
        n_timeout=counts["timeout"],
        mean=_number(round(mean, 2)),
        max=_number(top),
    )


def _warning(results: list[StudentResult], lang: str) -> list[str]:
    exposed = [r for r in results if not r.isolated]
    if not exposed:
        return []
    description = exposed[0].isolation
    text = tr("html.warning", lang, n=len(exposed), total=len(results), description=_clean(description))
    return [f'<div class="warning" role="alert">{_h(text, 4000)}</div>']


def _rates(
    results: list[StudentResult],
    ops: list[str],
    table: Mapping[tuple[str, str], OpResult],
    lang: str,
    names: Mapping[str, str],
) -> list[str]:
    rows = [
        f"<h2>{_h(tr('html.rates', lang))}</h2><table><thead><tr><th>{_h(tr('html.col_op', lang))}</th>"
        f"<th>{_h(tr('html.col_passed', lang))}</th><th>{_h(tr('html.col_rate', lang))}</th></tr></thead><tbody>"
    ]
    for op in ops:
        passed = sum(1 for r in results if (found := table.get((r.student, op))) and found.status == "pass")
        rate = passed / len(results) if results else 0.0
        rows.append(
            f'<tr><td>{_name(names[op])}</td><td class="num">{passed}/{len(results)}</td><td>'
            f'<span class="bar-bg"><span class="bar" style="width:{round(rate * 120)}px"></span></span>'
            f"{round(rate * 100)}%</td></tr>"
        )
    rows.append("</tbody></table>")
    return rows


def _students_table(
    results: list[StudentResult],
    ops: list[str],
    table: Mapping[tuple[str, str], OpResult],
    lang: str,
    names: Mapping[str, str],
) -> list[str]:
    head = [tr("html.col_student", lang), tr("html.col_status", lang), tr("html.col_score", lang)]
    tail = [tr("html.col_seconds", lang), tr("html.col_notes", lang)]
    rows = [
        f"<h2>{_h(tr('html.table', lang))}</h2><table><thead><tr>"
        + "".join(f"<th>{_h(h)}</th>" for h in head)
        + "".join(f"<th>{_name(names[op])}</th>" for op in ops)
        + "".join(f"<th>{_h(h)}</th>" for h in tail)
        + "</tr></thead><tbody>"
    ]
    for r in results:
        link = f'<a href="{_attr(r.student)}/report.json">{_h(tr("html.report", lang))}</a>'
        cells = [
            f'<td class="who" title="{_attr(r.display_name, 1000)}">{_name(r.display_name)}<br>'
            f"<small>{_h(r.student)}</small> <small>{link}</small></td>",
            f'<td class="{r.status}">{_h(tr(f"status.{r.status}", lang))}</td>',
            f'<td class="num">{_number(r.score)}/{_number(r.max_score)}</td>',
        ]
        for op in ops:
            found = table.get((r.student, op))
            if found is None:
                cells.append(f'<td class="none">{_h(tr("html.missing", lang))}</td>')
                continue
            verdict = _verdict(found.kind, found.diagnosis, lang)
            tip = "\n".join(x for x in (verdict, found.message) if x)
            cells.append(
                f'<td class="{found.status}" title="{_attr(tip)}">{_MARKS[found.status]} '
                f"{_h(verdict or tr(f'status.{found.status}', lang), 200)}</td>"
            )
        cells.append(f'<td class="num">{_number(r.seconds, 3)}</td>')
        cells.append(f'<td class="notes"><small>{"<br>".join(_h(note, 500) for note in r.notes)}</small></td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    rows.append("</tbody></table>")
    return rows


def _diagnoses(
    results: list[StudentResult],
    ops: list[str],
    table: Mapping[tuple[str, str], OpResult],
    lang: str,
    names: Mapping[str, str],
) -> list[str]:
    parts = [f"<h2>{_h(tr('html.diagnoses', lang))}</h2>"]
    for op in ops:
        failures = [(r, table[(r.student, op)]) for r in results if (r.student, op) in table]
        failures = [(r, o) for r, o in failures if o.status != "pass"]
        parts.append(f"<section><h3>{_name(names[op])}</h3>")
        if not failures:
            parts.append(f"<p>{_h(tr('html.no_failures', lang))}</p></section>")
            continue
        groups = Counter((o.kind or o.status, o.diagnosis or "") for _, o in failures)
        could_not_check = {(o.kind or o.status, o.diagnosis or "") for _, o in failures if o.status == "error"}
        # most students first; on a tie, a mistake in the op's own code before "could not be checked" (a missing class)
        ranked = sorted(groups.items(), key=lambda item: (-item[1], item[0] in could_not_check, item[0]))[:3]
        parts.append("<ol>")
        for (kind, diagnosis), count in ranked:
            label = _verdict(kind, diagnosis, lang)
            parts.append(f"<li>{_h(label, 300)}: {_h(tr('html.count', lang, count=count))}</li>")
        parts.append("</ol>")
        examples_of = {
            key: [r for r, o in failures if (o.kind or o.status, o.diagnosis or "") == key] for key, _ in ranked
        }
        # the example: the commonest mistake that has a diagram to show
        shown = next((key for key, _ in ranked if any(r.graph_svg for r in examples_of[key])), ranked[0][0])
        parts += _example(examples_of[shown], _verdict(*shown, lang), lang)
        parts.append("</section>")
    return parts


def _verdict(kind: str | None, diagnosis: str | None, lang: str) -> str:
    return " — ".join(x for x in (_label("kind", kind, lang), _label("diag", diagnosis, lang)) if x)


def _example(examples: list[StudentResult], verdict: str, lang: str) -> list[str]:
    with_svg = [r for r in examples if r.graph_svg]
    student = (with_svg or examples)[0]
    name = " ".join(_clean(student.display_name).split())
    example = tr("html.example", lang, student=_cut(name, _NAME_LIMIT))
    caption = f"<figcaption>{_h(example)} ({_h(verdict, 300)})</figcaption>"
    svg = sanitize_svg(student.graph_svg) if student.graph_svg else None
    if svg is None:
        return [f"<figure><p>{_h(tr('html.no_diagram', lang))}</p>{caption}</figure>"]
    if len(svg) > _INLINE_SVG_LIMIT:
        link = f'<a href="{_attr(student.student)}/graph.svg">{_h(student.student)}/graph.svg</a>'
        text = _h(tr("html.diagram_file", lang, link=_LINK)).replace(_LINK, link)
        return [f"<figure><p>{text}</p>{caption}</figure>"]
    return [f"<figure>{svg}{caption}</figure>"]


def write_index_html(
    results: Iterable[StudentResult],
    path: os.PathLike[str] | str,
    *,
    lang: str = "en",
    ops: Sequence[str] | None = None,
    title: str = "",
    labels: Mapping[str, str] | None = None,
) -> Path:
    """Write :func:`render_index_html` to ``path`` (UTF-8)."""
    path = Path(path)
    path.write_text(render_index_html(results, lang=lang, ops=ops, title=title, labels=labels), encoding="utf-8")
    return path


# -- everything --------------------------------------------------------------------------------------
def write_reports(
    results: Iterable[StudentResult],
    out: os.PathLike[str] | str,
    *,
    lang: str = "en",
    gradescope: bool = False,
    ops: Sequence[str] | None = None,
    title: str = "",
    labels: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write every report of the module docstring into ``out``.

    Parameters
    ----------
    results
        The graded students (ids must be unique).
    out
        The output folder (created).
    lang
        Language of the HTML page, the CSV header and Gradescope's texts.
    gradescope
        Also write Gradescope's ``results.json`` (per student, and at the top for a single student).
    ops
        Column order of the page.
    title
        The assignment's name, for the page's title.
    labels
        Names the page shows instead of some ops' (the CSV, JUnit and JSON keep the ops' own).

    Returns
    -------
    dict
        ``{"index", "summary", "junit", "results"?}`` plus one ``"student:<id>"`` per student folder.

    Raises
    ------
    ValueError
        Two results with the same id (case-insensitively), or an unknown language.
    """
    results = _sorted(results)
    check_lang(lang, "grade reports")
    seen = Counter(r.student.casefold() for r in results)
    duplicated = sorted(name for name, count in seen.items() if count > 1)
    if duplicated:
        raise ValueError(f"duplicated student ids: {', '.join(duplicated[:5])}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for result in results:
        folder = write_student_report(result, out)
        written[f"student:{result.student}"] = folder
        if gradescope:
            write_gradescope(result, folder / "results.json", lang=lang)
    if gradescope and len(results) == 1:
        written["results"] = write_gradescope(results[0], out / "results.json", lang=lang)
    written["summary"] = write_summary_csv(results, out / "summary.csv", lang=lang)
    written["junit"] = write_junit(results, out / "junit.xml")
    written["index"] = write_index_html(results, out / "index.html", lang=lang, ops=ops, title=title, labels=labels)
    return written
