"""Every Russian page, figure and report is in Russian: no English UI word is left on it.

Rendered with ``lang="ru"``: the lecture graph (before and after backward, with the legend, every overlay,
collapsed, with a gradient-check report), an MLP and a graph holding NaN; the stepper's ``describe()`` at every
step, both directions, of the lecture graph, an MLP, the NaN graph and graphs with buggy ops
(``tests/buggy_ops``) checked by the debugger; the stepper widget and the exported walk-through HTML; the
debugger's ``Report`` as text and as HTML on every buggy op; the ``check`` command on the student files; the
matplotlib figures of :mod:`viz.plots`. Also every message of the Russian catalogue itself.

A Latin-alphabet word of three letters or more on these pages must be a name, not a UI word:

* code: a word with ``_``, ``.`` or a digit (``upstream_grad``, ``x.shape``, ``float64``, ``student_ok.py``), a
  CamelCase identifier (``ReLU``, ``ShapeRuleError``), an op class, a class of the student or buggy-op files;
* :data:`NAMES`: names used as such in Russian texts (methods ``backward``/``forward``, math functions,
  symbols NaN/Inf, key names Home/End, the names of the course's models...);
* quoted text: the message of an exception and the source line it was raised at (Python's, NumPy's, the
  student's). The library's own errors (a shape rule broken, a missing gradient...) are not quoted text: they
  come from the catalogue and must be in Russian too.
"""

from __future__ import annotations

import ast
import html.parser
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.text
import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff import Tensor, nn, ops
from graphviz_autodiff.course.datasets import lecture5
from graphviz_autodiff.course.lecture import convergence_experiment, lecture_loss, lecture_network, train_lecture_model
from graphviz_autodiff.course.models import mlp
from graphviz_autodiff.i18n import Message, tools
from tests.buggy_ops import CASES, build
from tests.graphviz_autodiff.test_student_mistakes import (
    BACKWARD_CASES,
    FORWARD_CASES,
    Bad,
    _failing_model,
    _model,
    nan_gradient,
)
from viz import plots

# the NaN graph divides by zero on purpose
pytestmark = pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
STUDENT_FILES = ("student_ok.py", "student_buggy.py", "student_crash.py", "student_loops.py")

NAMES = frozenset(
    {
        # methods, arguments and values of the op contract, named in messages as in the code
        "backward",
        "forward",
        "self",
        "None",
        "grad",
        "mask",
        "theta",
        "bias",
        "axis",
        "dtype",
        "collapse",
        "timeout",
        "logits",
        "labels",
        # classes and products named in messages
        "Differentiable",
        "Tensor",
        "Python",
        "Graphviz",
        # mathematics: functions and symbols
        "max",
        "min",
        "log",
        "exp",
        "tanh",
        "softmax",
        "onehot",
        "split",
        "concat",
        "reshape",
        "Bernoulli",
        "NaN",
        "Inf",
        "nan",
        "inf",
        # Python's own type and value names, as a wrong return is described ("вернул list")
        "True",
        "False",
        "bool",
        "int",
        "float",
        "complex",
        "str",
        "bytes",
        "list",
        "tuple",
        "dict",
        "object",
        # file kinds, commands and programs named in the grader's messages
        "ipynb",
        "zip",
        "grade",
        "Gradescope",
        "Moodle",
        "Canvas",
        "JUnit",
        "bubblewrap",
        "nbformat",
        "IPython",
        # keys of the keyboard
        "Home",
        "End",
        "Ctrl",
        "Space",
        # names given by the course's models and by the buggy-op test graphs
        "Network",
        "MLP",
        "weights",
    }
)
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:[./][A-Za-z0-9_]+)*")
TEX_COMMAND = re.compile(r"\\[A-Za-z]+")  # matplotlib's mathtext in tick labels: $\mathdefault{10^{-1}}$
REPEATED = re.compile(r"\b([^\W\d_]{2,})\s+\1\b", re.IGNORECASE)
CODE_OBJECT = re.compile(r"<\w+>")  # Python's names of code that is not a function: <module>, <lambda>


def _class_names(paths: Iterable[Path]) -> set[str]:
    return {
        node.name
        for path in paths
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef)
    }


CLASSES = frozenset(
    {name for module in (ops, nn) for name in module.__all__ if isinstance(getattr(module, name), type)}
    | _class_names((ROOT / "tests" / "buggy_ops").glob("*.py"))
    | _class_names(DATA / name for name in STUDENT_FILES)
)


def _is_name(word: str) -> bool:
    return (
        word in NAMES
        or word in CLASSES
        or any(c in word for c in "_./0123456789")
        or any(c.isupper() for c in word[1:])  # CamelCase: ReLU, ShapeRuleError
    )


def english_words(texts: Iterable[str], quoted: Iterable[str] = ()) -> list[str]:
    """The Latin words of 3+ letters in ``texts`` that are neither names nor words of the ``quoted`` texts.

    A word cut short by ``…`` (a long line shortened in a drawing) counts as the quoted word it starts.
    A word written twice in a row ("Выход выход": a label and a default name that say the same) is listed
    as the pair.
    """
    allowed = {w for text in quoted if text for w in WORD.findall(str(text))}
    found = set()
    for text in texts:
        found.update(m.group() for m in REPEATED.finditer(text))
        text = CODE_OBJECT.sub(" ", TEX_COMMAND.sub(" ", text))
        for match in WORD.finditer(text):
            word = match.group()
            if sum(c.isascii() and c.isalpha() for c in word) < 3 or _is_name(word) or word in allowed:
                continue
            if text.startswith("…", match.end()) and any(w.startswith(word) for w in allowed):
                continue
            found.add(word)
    return sorted(found)


# -- collecting the text a reader sees ------------------------------------------------------------------------
class _VisibleText(html.parser.HTMLParser):
    """Text nodes (not scripts or styles) and tooltips of an HTML page; SVG inside it included."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("script", "style")
        self.texts += [v for k, v in attrs if k in ("title", "alt", "aria-label", "placeholder") and v]

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.texts.append(data)


def html_texts(page: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(page)
    return parser.texts


def svg_texts(svg: str) -> list[str]:
    """The ``<text>`` and ``<title>`` elements of an SVG and its tooltips (``xlink:title``)."""
    texts = []
    for element in ET.fromstring(svg.encode("utf-8")).iter():
        if element.tag.rsplit("}", 1)[-1] in ("text", "title") and element.text:
            texts.append(element.text)
        texts += [value for key, value in element.attrib.items() if key.endswith("title")]
    return texts


def figure_texts(figure: matplotlib.figure.Figure) -> list[str]:
    figure.canvas.draw()  # tick labels exist once drawn
    return [t.get_text() for t in figure.findobj(matplotlib.text.Text) if t.get_text()]


def payload_texts(payload: dict) -> list[str]:
    """Every text the viewer (widget or page) shows from its payload: its words, titles, step texts, frames."""
    from viz.viewer.splice import expand

    texts = [re.sub(r"\{\w+\}", " ", text) for text in payload["strings"].values()]
    texts += [payload["title"], *(entry["label"] for entry in payload["legend"])]
    texts += [line for lines in payload["texts"] for line in lines]
    texts += [p for p in payload["problems"] if p]
    texts += [s["title"] for s in payload["steps"]]
    for node in payload["nodes"]:
        texts += [node["title"], *node["chain"], *(v for v in (node["inherited_from"],) if v)]
    if payload["svg"]["format"] == "splice":
        texts += [t for k in range(payload["n_steps"] + 1) for t in svg_texts(expand(payload["svg"], k))]
    return texts


def page_payload(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="gad-payload">(.*?)</script>', page, flags=re.DOTALL)
    assert found, "no viewer payload in the page"
    return json.loads(found.group(1))


#: The library's errors and warnings: their messages come from the catalogue, so they are never quoted text.
LIBRARY_ERRORS = frozenset(name for name in gad.errors.__all__ if name[0].isupper())
_LIBRARY_TEXT = re.compile(rf"(?:{'|'.join(sorted(LIBRARY_ERRORS))}):")


def _quoted(x: object) -> bool:
    """Whether an error (or its text) is someone else's, quoted as raised: not one of the library's."""
    if isinstance(x, BaseException):
        return type(x).__name__ not in LIBRARY_ERRORS
    return not _LIBRARY_TEXT.match(str(x))


def field_values(message: Any) -> list[str]:
    """The names and texts a catalogue message quotes (an attribute, a type, NumPy's own error): its fields."""
    values = []
    for value in message.fields.values():
        if isinstance(value, Message):
            values += field_values(value)
        elif isinstance(value, tuple) and value and all(isinstance(v, Message) for v in value):
            values += [text for v in value for text in field_values(v)]
        else:
            values.append(str(value))
    return values


def step_quotes(stepper: viz.StepperModel) -> list[str]:
    """The exception messages and source lines the stepper quotes: of the library's own errors, only their fields."""
    quotes = [str(x) for step in stepper.steps for x in (step.error, step.code, step.where) if x and _quoted(x)]
    said = [step.error.said for step in stepper.steps if isinstance(getattr(step.error, "said", None), Message)]
    return quotes + [text for message in said for text in field_values(message)]


def report_quotes(report: gad.Report) -> list[str]:
    return [n.error for n in report.nodes if n.error and _quoted(n.error)]


def all_steps(stepper: viz.StepperModel) -> list[str]:
    return [stepper.describe(k) for k in range(stepper.n_steps + 1)]


# -- the graphs ------------------------------------------------------------------------------------------------
DATASET = lecture5()


def lecture_graph() -> Tensor:
    X, y = Tensor(DATASET.X[:8], name="X"), Tensor(DATASET.y[:8], name="y")
    return lecture_loss(lecture_network(4)(X), y)


def mlp_graph() -> Tensor:
    X = Tensor(DATASET.X[:6], name="X")
    return ops.CrossEntropy()(mlp(4, 5, 3, seed=0)(X), np.array([0, 1, 2, 0, 1, 2]))


def nan_graph() -> Tensor:
    """A graph whose values and gradients hold NaN and Inf: Log of negative numbers and of zeros."""
    x = Tensor(np.array([-1.0, 0.0, 2.0, -3.0, 4.0, 0.0, 5.0, -6.0]), name="x")
    with np.errstate(divide="ignore", invalid="ignore"):
        return ops.Sum()(ops.Log()(ops.Identity()(x)))


def backward(loss: Tensor) -> Tensor:
    with np.errstate(divide="ignore", invalid="ignore"):
        loss.backward()
    return loss


# -- the catalogue ---------------------------------------------------------------------------------------------
def test_no_english_word_in_the_russian_catalogue():
    catalogue = tools.read(tools.po_path("ru"))
    found = {}
    for message in catalogue:
        if message.id:
            forms = [message.string] if isinstance(message.string, str) else list(message.string)
            words = english_words(re.sub(r"\{[^}]*\}", " ", form) for form in forms)
            if words:
                found[message.id if isinstance(message.id, str) else message.id[0]] = words
    assert found == {}


def test_english_words_finds_ui_words_and_passes_names():
    texts = ["Legend · Step 2: Output value", "шаг upstream_grad ReLU NaN Linear float64 x.shape backward"]
    assert english_words(texts) == ["Legend", "Output", "Step", "value"]
    assert english_words(["ValueError: could not broadcast"], quoted=["could not broadcast"]) == []
    assert english_words(["Выход выход: (5,) = [1, 2]"]) == ["Выход выход"]


# -- drawings --------------------------------------------------------------------------------------------------
@pytest.mark.dot
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"overlay": "grad_norm"},
        {"overlay": "magnitude"},
        {"overlay": "nonfinite"},
        {"collapse": True},
        {"heatmap": True},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "plain",
)
def test_drawings_of_the_lecture_graph(options):
    texts = svg_texts(viz.to_svg(lecture_graph(), legend=True, lang="ru", **options))
    texts += svg_texts(viz.to_svg(backward(lecture_graph()), legend=True, lang="ru", **options))
    assert english_words(texts) == []


@pytest.mark.dot
def test_drawings_with_a_report_an_mlp_and_nan():
    loss = backward(lecture_graph())
    report = gad.check(loss, lang="ru")
    texts = svg_texts(viz.to_svg(loss, legend=True, lang="ru", report=report))
    mlp_loss = mlp_graph()
    texts += svg_texts(viz.to_svg(mlp_loss, legend=True, lang="ru"))
    texts += svg_texts(viz.to_svg(backward(mlp_loss), legend=True, lang="ru", collapse=True))
    texts += svg_texts(viz.to_svg(backward(nan_graph()), legend=True, lang="ru", overlay="nonfinite"))
    assert english_words(texts) == []


# -- the stepper -----------------------------------------------------------------------------------------------
@pytest.mark.dot
@pytest.mark.parametrize("direction", ["backward", "forward"])
@pytest.mark.parametrize("graph", [lecture_graph, mlp_graph, nan_graph], ids=lambda f: f.__name__)
def test_stepper_texts(graph, direction):
    stepper = viz.StepperModel(graph(), lang="ru", direction=direction)
    assert english_words(all_steps(stepper), step_quotes(stepper)) == []


@pytest.mark.dot
def test_the_walkthrough_page_and_the_widget(tmp_path):
    stepper = viz.Stepper(lecture_graph(), lang="ru")
    assert english_words(payload_texts(stepper.widget.payload), step_quotes(stepper)) == []
    for direction in ("backward", "forward"):
        model = viz.StepperModel(lecture_graph(), lang="ru", direction=direction)
        page = model.to_html(tmp_path / f"{direction}.html").read_text(encoding="utf-8")
        assert english_words(html_texts(page)) == []
        assert english_words(payload_texts(page_payload(page)), step_quotes(model)) == []
    model = viz.Stepper(nan_graph(), lang="ru")
    assert english_words(model.lines(model.run_to_problem()), step_quotes(model)) == []
    assert english_words(payload_texts(model.widget.payload), step_quotes(model)) == []


# -- the debugger on buggy ops -----------------------------------------------------------------------------------
def _checked(case):
    loss, _ = build(case, case.buggy())
    return loss, gad.check(loss, lang="ru")


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_the_report_of_every_buggy_op(case):
    _, report = _checked(case)
    texts = [str(report), *html_texts(report._repr_html_())]
    assert english_words(texts, report_quotes(report)) == []


# one buggy op per verdict and diagnosis: drawn and stepped through with its report
REPRESENTATIVE = list({(case.kind, case.diagnosis): case for case in CASES}.values())


@pytest.mark.dot
@pytest.mark.parametrize("case", REPRESENTATIVE, ids=lambda case: case.name)
def test_the_drawing_and_the_stepper_of_a_buggy_graph(case):
    loss, report = _checked(case)
    stepper = viz.StepperModel(loss, lang="ru", report=report)
    texts = svg_texts(viz.to_svg(loss, legend=True, lang="ru", report=report)) + all_steps(stepper)
    assert english_words(texts, report_quotes(report) + step_quotes(stepper)) == []


# -- the engine's errors: every mistake of the student-mistakes catalogue, said in Russian ---------------------
ENGINE_MISTAKES = [c for c in BACKWARD_CASES if issubclass(c[1], gad.errors.AutodiffError)]


@pytest.mark.parametrize("case", ENGINE_MISTAKES, ids=lambda case: case[0].__name__)
def test_every_mistake_the_engine_catches_is_said_in_russian(case):
    mistake, error_type, _ = case
    loss, _ = _failing_model(Bad(mistake))
    with pytest.raises(error_type) as caught:
        loss.backward()
    english, russian = caught.value.message("en"), caught.value.message("ru")
    assert english_words([russian], field_values(caught.value.said)) == [], russian
    assert russian != english
    for shape in re.findall(r"\(\d+,\)|\(\d+(?:, \d+)+\)|\(\)", english):  # the same numbers in both
        assert shape in russian, (shape, russian)
    assert "Bad.backward" in russian


@pytest.mark.parametrize(
    "case", [c for c in FORWARD_CASES if c[1] is gad.errors.ForwardOutputError], ids=lambda c: c[0].__name__
)
def test_every_wrong_forward_the_engine_catches_is_said_in_russian(case):
    with pytest.raises(gad.errors.ForwardOutputError) as caught:
        _model(Bad(forward=case[0]))
    russian = caught.value.message("ru")
    assert english_words([russian], field_values(caught.value.said)) == [], russian


def test_anomaly_mode_says_where_a_nan_came_from_in_russian():
    loss, _ = _failing_model(Bad(nan_gradient))
    with gad.detect_anomaly(), pytest.raises(gad.errors.NonFiniteError) as caught:
        loss.backward()
    russian = caught.value.message("ru")
    assert english_words([russian]) == [], russian
    assert russian.startswith("Bad.backward выдал 6 NaN из 6 значений в градиенте для аргумента 0 (x)"), russian


@pytest.mark.dot
def test_a_stepper_in_russian_says_the_engines_error_in_russian():
    mistake = next(c[0] for c in ENGINE_MISTAKES if c[0].__name__ == "missing_sum")
    loss, _ = _failing_model(Bad(mistake))
    stepper = viz.StepperModel(loss, lang="ru")
    lines = stepper.lines(stepper.run_to_problem())
    assert any(
        "ShapeRuleError: Bad.backward вернул градиент формы (3, 2) для аргумента 1 (w)" in line for line in lines
    )
    texts = all_steps(stepper) + payload_texts(viz.Stepper(_failing_model(Bad(mistake))[0], lang="ru").widget.payload)
    assert english_words(texts, [*step_quotes(stepper), "Bad"]) == []  # (Bad: the op's class name)


# -- the check command ---------------------------------------------------------------------------------------------
QUOTED_ERROR = re.compile(
    rf"\b(?!{_LIBRARY_TEXT.pattern})[A-Z]\w*(?:Error|Exception|Exit): .*?(?=;|\s\(где:|$)", re.MULTILINE
)


@pytest.mark.dot
@pytest.mark.parametrize("name", STUDENT_FILES)
def test_the_check_command(name, tmp_path):
    out = tmp_path / "graph.svg"
    command = ["check", str(DATA / name), "--lang", "ru", "--timeout", "5", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "graphviz_autodiff", *command],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.stdout.strip(), done.stderr
    texts = [QUOTED_ERROR.sub(" ", done.stdout), QUOTED_ERROR.sub(" ", done.stderr)]
    if out.exists():
        texts += svg_texts(out.read_text(encoding="utf-8"))
    assert english_words(texts) == [], done.stdout


# -- figures ---------------------------------------------------------------------------------------------------------
def test_the_figures():
    matplotlib.use("Agg")
    experiment = convergence_experiment(DATASET, lang="ru")
    trained = train_lecture_model(DATASET.X, DATASET.y)
    figures = [
        plots.plot_loss_history(trained.history, lang="ru"),
        plots.plot_loss_history(trained.history, lang="ru", label="θ", log=False),
        plots.plot_true_vs_predicted(DATASET.y, trained.predict(DATASET.X), lang="ru"),
        plots.plot_correlation_heatmap(DATASET.X, DATASET.feature_names, lang="ru"),
        plots.plot_scatter_grid(DATASET.X, DATASET.y, DATASET.feature_names, lang="ru"),
        plots.plot_convergence_comparison(experiment, lang="ru"),
        plots.plot_convergence_comparison(experiment, lang="ru", zoom=False),
    ]
    texts = [text for figure in figures for text in figure_texts(figure)]
    assert english_words(texts) == []


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: ops.Linear(4)(np.ones((3, 5))), ValueError),
        (lambda: ops.Linear(4, theta=np.ones(3)), ValueError),
        (lambda: ops.Sum()(np.array(["a", "b"])), TypeError),
        (lambda: gad.Parameter(np.array(["a"]), name="θ"), TypeError),
        (lambda: ops.Linear(2).theta.assign(np.array([1j, 2j])), TypeError),
    ],
    ids=["linear input", "linear theta", "text data", "text parameter", "complex value"],
)
def test_a_session_in_russian_gets_the_librarys_argument_errors_in_russian(make, error):
    gad.set_message_lang("ru")
    try:
        with pytest.raises(error) as caught:
            make()
    finally:
        gad.set_message_lang(None)
    assert english_words([str(caught.value)], quoted=["ndarray"]) == [], str(caught.value)  # (a type's name)
    assert re.search("[а-я]", str(caught.value))
