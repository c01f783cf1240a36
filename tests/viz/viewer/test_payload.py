"""viz.viewer.payload: the JSON a viewer steps through, read from a stepper model's public API."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

import viz
from viz.viewer import PAYLOAD_VERSION, build_payload, strings, summarize
from viz.viewer.splice import clean, expand

from .graphs import lecture_loss

KEYS = {"version", "lang", "direction", "title", "n_steps", "start", "strings", "svg", "steps", "texts", "problems"}
NODE_KEYS = {
    "id", "element", "title", "label", "name", "kind", "op", "shape", "dtype",
    "value", "grad", "value_step", "grad_step", "step", "chain", "inherited_from",
}  # fmt: skip


@pytest.fixture(scope="module")
def lecture(lecture_model: viz.StepperModel) -> dict[str, Any]:
    return build_payload(lecture_model)


def test_schema_and_json(lecture: dict[str, Any], lecture_model: viz.StepperModel) -> None:
    assert KEYS | {"nodes", "legend", "view"} == set(lecture)
    assert lecture["version"] == PAYLOAD_VERSION
    assert (lecture["lang"], lecture["direction"], lecture["n_steps"], lecture["start"]) == ("en", "backward", 4, 0)
    assert lecture["title"] == "Backpropagation step by step"
    assert lecture["strings"] == strings("en")
    assert json.loads(json.dumps(lecture, allow_nan=False)) == lecture  # JSON types only, no NaN
    for node in lecture["nodes"]:
        assert set(node) == NODE_KEYS


def test_the_same_model_gives_the_same_text() -> None:
    texts = [json.dumps(build_payload(viz.StepperModel(lecture_loss())), ensure_ascii=False) for _ in range(2)]
    assert texts[0] == texts[1]


def test_steps_texts_and_frames_follow_the_model(lecture: dict[str, Any], lecture_model: viz.StepperModel) -> None:
    assert [(s["node"], s["element"], s["title"]) for s in lecture["steps"]] == [
        (6, "node6", "Sum (L)"),
        (5, "node5", "Squared (s)"),
        (3, "node3", "Identity (μ)"),
        (2, "node2", "Linear (z)"),
    ]
    for k in range(lecture_model.n_steps + 1):
        assert lecture["texts"][k] == lecture_model.lines(k)
        assert expand(lecture["svg"], k) == clean(lecture_model.svg(k))
    assert lecture["problems"] == [None] * 5


def test_nodes_carry_the_hover_card(lecture: dict[str, Any]) -> None:
    nodes = {n["title"]: n for n in lecture["nodes"]}
    assert list(nodes) == ["X", "θ", "Linear (z)", "Identity (μ)", "y", "Squared (s)", "Sum (L)"]
    assert [n["name"] for n in lecture["nodes"]] == ["X", "θ", "z", "μ", "y", "s", "L"]
    linear = nodes["Linear (z)"]
    assert (linear["id"], linear["element"], linear["kind"], linear["op"]) == (2, "node2", "op", "Linear")
    assert (linear["shape"], linear["dtype"], linear["step"], linear["value_step"], linear["grad_step"]) == (
        [5], "float64", 4, 0, 4,
    )  # fmt: skip
    assert linear["value"]["values"] == "[0.58, 1.205, -0.92, 0.33, 0.65]"
    assert linear["grad"]["values"] == "[-0.84, 1.41, -5.84, 1.66, -1.7]"
    assert linear["chain"] == ["∂L/∂X = ∂L/∂z·θᵀ", "∂L/∂θ = Xᵀ·∂L/∂z"]
    # A leaf gets the line of its consumer that gives its own gradient.
    assert nodes["θ"]["chain"] == ["∂L/∂θ = Xᵀ·∂L/∂z"]
    assert nodes["y"]["chain"] == ["∂L/∂y = −2(μ − y) ⊙ ∂L/∂s"]
    assert (nodes["θ"]["kind"], nodes["θ"]["op"], nodes["θ"]["grad_step"]) == ("parameter", None, 4)
    X = nodes["X"]
    assert X["value"]["values"] is None and X["value"]["shape"] == [5, 4]  # 20 values: summarised
    assert (X["value"]["min"], X["value"]["max"]) == ("-1.2", "2")
    assert nodes["Sum (L)"]["value"]["values"] == "10.61" and nodes["Sum (L)"]["shape"] == []


def test_problems_and_user_ops(broken_model: viz.StepperModel) -> None:
    payload = build_payload(broken_model)
    assert payload["problems"] == [None, None, None, "NaN / Inf", "backward raised an exception, NaN / Inf"]
    nodes = {n["title"]: n for n in payload["nodes"]}
    assert nodes["NaNGrad (v)"]["chain"] == ["∂L/∂b = ∂L/∂v · ∂v/∂b"]  # the general chain rule, in the graph's names
    assert nodes["x"]["grad"] is None  # the broken backward sent nothing further
    assert any(line.startswith("✗") for line in payload["texts"][4])


def test_a_forward_walk_shows_values_as_they_appear() -> None:
    model = viz.StepperModel(lecture_loss(), direction="forward")
    payload = build_payload(model)
    nodes = {n["title"]: n for n in payload["nodes"]}
    assert payload["direction"] == "forward" and payload["title"] == "The forward pass step by step"
    assert nodes["Linear (z)"]["value_step"] == 1 and nodes["Sum (L)"]["value_step"] == 4
    assert nodes["X"]["value_step"] == 0
    assert all(n["grad"] is None and n["grad_step"] is None for n in payload["nodes"])


def test_russian_payload(lecture_model: viz.StepperModel) -> None:
    model = viz.StepperModel(lecture_loss(), lang="ru")
    payload = build_payload(model, title="Лекция 5")
    assert payload["lang"] == "ru" and payload["strings"] == strings("ru") and payload["title"] == "Лекция 5"
    assert payload["texts"][1][0].startswith("Шаг 1 из 4")
    assert {n["title"]: n["chain"] for n in payload["nodes"]}["θ"] == ["∂L/∂θ = Xᵀ·∂L/∂z"]


def test_the_view_options(lecture: dict[str, Any], lecture_model: viz.StepperModel) -> None:
    view = lecture["view"]
    assert view["text_size"] == 14.0  # the values' font size in viz.render's default theme
    assert view["background"] == "#ffffff" and view["picture"] == "light"
    dark = build_payload(viz.StepperModel(lecture_loss(), theme="dark"), min_font_px=9, start=3)
    assert dark["view"]["picture"] == "dark" and dark["view"]["min_font_px"] == 9.0 and dark["start"] == 3


@pytest.mark.parametrize(
    ("option", "value"),
    [("start", 5), ("start", -1), ("start", True), ("min_font_px", 0), ("max_height", 1.5), ("min_height_px", 0)],
)
def test_bad_options(lecture_model: viz.StepperModel, option: str, value: Any) -> None:
    with pytest.raises(ValueError, match=option):
        build_payload(lecture_model, **{option: value})


def test_summaries() -> None:
    assert summarize(None) is None
    assert summarize(np.float64(2.0))["values"] == "2"
    assert summarize(np.array([[1, 2], [3, 4]]))["values"] == "[[1, 2], [3, 4]]"
    big = summarize(np.array([np.nan, -np.inf, 1.0, 2.0, 3.0, 4.0, 5.0, -0.0]))
    assert (big["nan"], big["inf"], big["min"], big["mean"], big["max"]) == (1, 1, "0", "2.5", "5")
    nothing = summarize(np.full(10, np.nan))
    assert nothing["min"] is None and nothing["nan"] == 10
    assert summarize(np.array([True, False]))["values"] == "[True, False]"
    assert summarize(np.array(["a", "b"]))["dtype"] == "<U1"
