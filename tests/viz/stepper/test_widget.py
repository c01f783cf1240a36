"""The Stepper widget without a browser: buttons, slider, Play, run-to controls, errors shown in the widget."""

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
from tests.viz.conftest import lecture5, parse_svg, svg_nodes

pytestmark = [pytest.mark.dot, pytest.mark.filterwarnings("error::viz.GraphvizWarning")]


def current_node(html: str) -> list[str]:
    return [t for t, g in svg_nodes(parse_svg(html)).items() if "current" in g.get("class").split()]


class NaNGrad(Differentiable):
    def forward(self, x):
        return x

    def backward(self, upstream_grad):
        return upstream_grad * np.nan


@pytest.fixture
def stepper():
    return viz.Stepper(lecture5())


def test_buttons_move_the_model_and_the_picture(stepper):
    view = stepper.view
    assert view.picture.value == stepper.svg(0) and current_node(view.picture.value) == []
    assert view.text.value == stepper.describe_html(0)
    pictures = [view.picture.value]
    for k in range(1, 5):
        view.next.click()
        assert stepper.step_index == k
        assert view.picture.value == stepper.svg(k) != pictures[-1]
        assert current_node(view.picture.value) == [["n6", "n5", "n3", "n2"][k - 1]]
        assert view.slider.value == k and view.play.value == k
        assert view.status.value == f"step {k} of 4"
        pictures.append(view.picture.value)
    view.next.click()  # at the end: stays
    assert stepper.step_index == 4
    view.back.click()
    assert stepper.step_index == 3 and view.picture.value == pictures[3]
    assert "Identity" in view.text.value and "Step 3 of 4" in view.text.value
    view.first.click()
    assert stepper.step_index == 0 and view.picture.value == pictures[0]
    view.last.click()
    assert stepper.step_index == 4 and view.picture.value == pictures[4]


def test_slider_and_play_drive_the_model(stepper):
    view = stepper.view
    view.slider.value = 3
    assert stepper.step_index == 3 and view.picture.value == stepper.svg(3) and view.play.value == 3
    view.play.value = 1  # what the front end sends while playing
    assert stepper.step_index == 1 and view.slider.value == 1 and current_node(view.picture.value) == ["n6"]
    assert (view.play.min, view.play.max, view.slider.max) == (0, 4, 4)
    view.speed.value = 300
    assert view.play.interval == 300
    stepper.goto(2)  # the Python API moves the widget too
    assert view.slider.value == 2 and view.picture.value == stepper.svg(2)


def test_run_to_and_next_problem_buttons():
    x = gad.Tensor(np.array([1.0, 2.0]), name="x")
    L = Sum()(Squared()(NaNGrad()(Identity()(x)), np.zeros(2)))
    stepper = viz.Stepper(L, report=type("EmptyReport", (), {"nodes": []})())
    view = stepper.view
    assert [label for label, _ in view.target.options][:2] == ["Sum (L) · 1", "Squared (s) · 2"]
    view.target.value = view.target.options[1][1]
    view.run_to.click()
    assert stepper.step_index == 2 and view.status.value == "Step 2: Squared (node 4)."
    view.problem.click()
    assert stepper.step_index == 3 and "Stopped at step 3: NaN / Inf." in view.status.value
    view.problem.click()
    assert stepper.step_index == 4
    view.problem.click()
    assert stepper.step_index == 4 and view.status.value == "No problem after step 4."


def test_fit_toggle_and_css_classes(stepper):
    view = stepper.view
    assert "gad-fit" in view.picture._dom_classes
    view.fit.value = False
    assert "gad-fit" not in view.picture._dom_classes
    view.fit.value = True
    assert "gad-fit" in view.picture._dom_classes
    assert "gad-next" in view.next._dom_classes and "gad-stepper" in stepper.widget._dom_classes
    assert view.next.description == "next ▶" and view.next.tooltip == "One step forward"


def test_russian_widget():
    view = viz.Stepper(lecture5(), lang="ru").view
    assert view.next.description == "вперёд ▶" and view.status.value == "шаг 0 из 4"
    assert "Шаг 0 из 4 · обратный проход" in view.text.value


def test_displays_as_a_widget(stepper):
    bundle = stepper._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == stepper.widget.model_id
    assert repr(stepper) == "<Stepper backward: step 0 of 4>"


def test_an_error_in_a_button_is_shown_not_swallowed(stepper, monkeypatch):
    view = stepper.view

    def broken() -> None:
        raise RuntimeError("the debugger is not there")

    monkeypatch.setattr(stepper, "run_to_problem", broken)
    view.problem.click()  # ipywidgets would only log the exception; the widget shows it
    assert "RuntimeError: the debugger is not there" in view.status.value
    assert "color:#c62828" in view.status.value


def test_a_drawing_error_is_shown_in_the_picture(monkeypatch):
    stepper = viz.Stepper(lecture5())
    monkeypatch.setenv("PATH", "/nonexistent")  # no Graphviz: the first frame cannot be drawn
    view = stepper.view
    assert "The picture could not be drawn: GraphvizNotFoundError" in view.picture.value
    assert "Step 0 of 4" in view.text.value  # the text panel still works


# -- closing -------------------------------------------------------------------------------------------------
def open_and_close(loss) -> None:
    stepper = viz.Stepper(loss)
    assert stepper.widget is not None
    stepper.close()


def test_close_releases_the_widgets_and_their_comms(stepper):
    view = stepper.view
    widgets = [view.box, view.next, view.next.layout, view.next.style, view.slider, view.picture, view.play]
    assert all(w.comm is not None for w in widgets)
    stepper.close()
    assert all(w.comm is None for w in widgets)  # closed: the front end drops them
    view.next.click()  # a closed button no longer moves the model
    assert stepper.step_index == 0
    stepper.next()  # the model still works, and no closed widget follows it
    assert stepper.step_index == 1 and view.slider.value == 0
    stepper.close()  # twice is fine
    assert stepper.view is not view and stepper.view.slider.value == 1  # shown again: a new view


def test_a_closed_stepper_is_freed():
    ref = weakref.ref(viz.Stepper(lecture5()))
    gc.collect()
    assert ref() is None  # nothing keeps a stepper without a view alive
    stepper = viz.Stepper(lecture5())
    assert stepper.widget is not None
    ref = weakref.ref(stepper)
    stepper.close()
    del stepper
    gc.collect()
    assert ref() is None  # the widgets no longer hold the model (and its frames)


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
    assert growth / 200 < 8_000, f"{growth / 200:.0f} bytes kept per closed stepper"  # unclosed: about 180 kB
