"""viz.viewer.Viewer: the anywidget widget's traits, and its link to a stepper model (no browser needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import traitlets

import viz
from viz.viewer import PAYLOAD_VERSION, Viewer, build_payload
from viz.viewer.assets import css, esm

from .graphs import lecture_loss


@pytest.fixture
def model() -> viz.StepperModel:
    return viz.StepperModel(lecture_loss())


def test_the_widget_carries_the_front_end_and_the_payload(model: viz.StepperModel) -> None:
    viewer = Viewer(build_payload(model), step=2)
    assert viewer._esm == esm() and viewer._css == css()
    assert (viewer.step, viewer.n_steps, viewer.lang, viewer.speed) == (2, 4, "en", 800)
    state = viewer.get_state()
    assert {"payload", "step", "speed", "lang", "_esm", "_css"} <= set(state)
    assert state["payload"]["version"] == PAYLOAD_VERSION
    assert repr(viewer) == "<Viewer: step 2 of 4>"


def test_from_model_links_both_ways(model: viz.StepperModel) -> None:
    model.goto(1)
    viewer = Viewer.from_model(model, min_font_px=9)
    assert viewer.step == 1 and viewer.payload["start"] == 1 and viewer.payload["view"]["min_font_px"] == 9.0
    viewer.step = 3  # a click in the browser sets the trait
    assert model.step_index == 3 and model.current.label == "Identity"
    model.last()  # Python moves the view
    assert viewer.step == 4
    viewer.unlink()
    viewer.step = 0
    assert model.step_index == 4


def test_a_new_payload_replaces_the_walk(model: viz.StepperModel) -> None:
    viewer = Viewer(build_payload(model), step=4)
    small = viz.StepperModel(lecture_loss(), lang="ru")
    viewer.payload = build_payload(small)
    assert viewer.lang == "ru" and viewer.step == 4
    with pytest.raises(traitlets.TraitError):
        viewer.lang = "en"  # read from the payload


@pytest.mark.parametrize(
    ("trait", "value", "match"),
    [("step", 5, "step 5 does not exist"), ("step", -1, "0 to 4"), ("speed", 50, "between 100 and 3000")],
)
def test_bad_values(model: viz.StepperModel, trait: str, value: int, match: str) -> None:
    viewer = Viewer(build_payload(model))
    with pytest.raises(traitlets.TraitError, match=match):
        setattr(viewer, trait, value)


def test_bad_payload() -> None:
    with pytest.raises(traitlets.TraitError, match="build_payload"):
        Viewer({"version": 0, "start": 0})


def test_importing_viz_does_not_import_anywidget() -> None:
    code = "import sys, viz, viz.viewer; print('anywidget' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
