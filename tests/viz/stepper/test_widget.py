"""The Stepper's widget is the viewer (anywidget), linked both ways to the model; close() frees it (no browser)."""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff import Differentiable
from graphviz_autodiff.ops import Identity, Squared, Sum
from tests.viz.conftest import lecture5
from viz.viewer import Viewer, build_payload, strings
from viz.viewer.splice import clean, expand

pytestmark = [pytest.mark.dot, pytest.mark.filterwarnings("error::viz.GraphvizWarning")]


class NaNGrad(Differentiable):
    def forward(self, x):
        return x

    def backward(self, upstream_grad):
        return upstream_grad * np.nan


@pytest.fixture
def stepper():
    return viz.Stepper(lecture5())


def test_the_widget_is_the_viewer_of_the_whole_walk(stepper):
    widget = stepper.widget
    assert isinstance(widget, Viewer) and stepper.widget is widget  # built once
    payload = widget.payload
    assert payload == build_payload(viz.StepperModel(lecture5()))  # the same walk, built from the model
    assert [s["title"] for s in payload["steps"]] == ["Sum (L)", "Squared (s)", "Identity (μ)", "Linear (z)"]
    for k in range(stepper.n_steps + 1):  # every frame and text is in the browser already
        assert expand(payload["svg"], k) == clean(stepper.svg(k))
        assert payload["texts"][k] == stepper.lines(k)


def test_the_model_and_the_widget_follow_each_other(stepper):
    widget = stepper.widget
    assert widget.step == 0
    for k in range(1, 5):
        stepper.next()  # Python moves the picture ...
        assert widget.step == k
    widget.step = 2  # ... and a click in the browser (the synced trait) moves the model
    assert stepper.step_index == 2 and stepper.current.label == "Squared"
    stepper.run_to("Linear")
    assert widget.step == 4
    stepper.reset()
    assert widget.step == 0


def test_a_stepper_opens_its_widget_at_its_step_with_its_payload_options():
    stepper = viz.Stepper(lecture5(), payload_options={"min_font_px": 9, "title": "Lecture 5"})
    stepper.goto(3)
    widget = stepper.widget
    assert widget.step == 3 and widget.payload["start"] == 3
    assert widget.payload["view"]["min_font_px"] == 9.0 and widget.payload["title"] == "Lecture 5"


def test_next_problem_and_run_to_data():
    x = gad.Tensor(np.array([1.0, 2.0]), name="x")
    L = Sum()(Squared()(NaNGrad()(Identity()(x)), np.zeros(2)))
    stepper = viz.Stepper(L, report=type("EmptyReport", (), {"nodes": []})())
    payload = stepper.widget.payload
    assert payload["problems"] == [None, None, None, "NaN / Inf", "NaN / Inf"]
    targets = {n["title"]: n["step"] for n in payload["nodes"]}
    assert targets["Squared (s)"] == 2 and targets["x"] == 4  # run to: the step that completes each node


def test_russian_widget():
    widget = viz.Stepper(lecture5(), lang="ru").widget
    assert widget.lang == "ru" and widget.payload["strings"] == strings("ru")
    assert widget.payload["texts"][0][0].startswith("Шаг 0 из 4 · обратный проход")


def test_displays_as_a_widget(stepper):
    data, _ = stepper._repr_mimebundle_()
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == stepper.widget.model_id
    assert repr(stepper) == "<Stepper backward: step 0 of 4>"


def test_a_drawing_error_is_shown_instead_of_the_picture(monkeypatch):
    stepper = viz.Stepper(lecture5())
    monkeypatch.setenv("PATH", "/nonexistent")  # no Graphviz: the frames cannot be drawn
    payload = stepper.widget.payload
    assert payload["svg"]["format"] == "error"
    assert payload["svg"]["message"].startswith("✗ The picture could not be drawn: GraphvizNotFoundError")
    assert payload["texts"][0][0].startswith("Step 0 of 4")  # the text panel still works
    stepper.next()
    assert stepper.widget.step == 1


# -- closing -------------------------------------------------------------------------------------------------
def open_and_close(loss) -> None:
    stepper = viz.Stepper(loss)
    assert stepper.widget is not None
    stepper.close()


def test_close_releases_the_widget_and_its_links(stepper):
    widget = stepper.widget
    assert widget.comm is not None
    stepper.close()
    assert widget.comm is None  # closed: the front end drops it
    widget.step = 3  # a closed widget no longer moves the model
    assert stepper.step_index == 0
    stepper.next()  # the model still works, and the closed widget does not follow it
    assert stepper.step_index == 1 and widget.step == 3
    stepper.close()  # twice is fine
    again = stepper.widget
    assert again is not widget and again.step == 1  # shown again: a new widget, at the model's step


def test_a_closed_stepper_is_freed():
    ref = weakref.ref(viz.Stepper(lecture5()))
    gc.collect()
    assert ref() is None  # nothing keeps a stepper without a widget alive
    stepper = viz.Stepper(lecture5())
    assert stepper.widget is not None
    ref = weakref.ref(stepper)
    stepper.close()
    del stepper
    gc.collect()
    assert ref() is None  # the widget no longer holds the model (and its frames)


def test_200_steppers_opened_and_closed_keep_memory_flat(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")  # the widgets without the cost of 200 Graphviz layouts
    loss = Sum()(gad.Tensor(np.ones(2), name="x"))
    for _ in range(10):
        open_and_close(loss)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(200):
            open_and_close(loss)
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert growth / 200 < 8_000, f"{growth / 200:.0f} bytes kept per closed stepper"
