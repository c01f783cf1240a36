"""viz.dot: run_dot draws with Graphviz and turns every way it can fail into one clear, typed error."""

from __future__ import annotations

import json
import warnings

import graphviz
import pytest

from viz.dot import (
    ENGINES,
    INSTALL_HINT,
    GraphvizNotFoundError,
    GraphvizWarning,
    RenderError,
    RenderTimeoutError,
    VizError,
    run_dot,
)

pytestmark = pytest.mark.dot


def test_run_dot_returns_what_graphviz_writes():
    svg = run_dot("digraph { a -> b }", "svg")
    assert svg.startswith(b"<?xml") and b"<svg" in svg
    layout = json.loads(run_dot('digraph { a [label="α"] ; a -> b }', "json"))
    assert [o["name"] for o in layout["objects"]] == ["a", "b"]
    assert layout["objects"][0]["label"] == "α"  # UTF-8 in and out
    png = run_dot("digraph { a }", "png", args=["-Gdpi=36"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_neato_keeps_given_positions():
    layout = json.loads(run_dot('digraph { a [pos="10,20"] b [pos="100,200"] }', "json", engine="neato", args=["-n2"]))
    pos = {o["name"]: [float(v) for v in o["pos"].split(",")] for o in layout["objects"]}
    # The drawing is shifted into the positive quadrant; the given geometry is kept.
    assert (pos["b"][0] - pos["a"][0], pos["b"][1] - pos["a"][1]) == (90.0, 180.0)


def test_a_graphviz_error_is_a_render_error_with_its_message():
    with pytest.raises(RenderError, match=r"Graphviz 'dot -Tsvg' failed with exit code 1: .*syntax error") as raised:
        run_dot("digraph { a -> }", "svg")
    assert isinstance(raised.value, RuntimeError) and isinstance(raised.value, VizError)


def test_graphviz_warnings_become_python_warnings():
    with pytest.warns(GraphvizWarning, match=r"Graphviz 'dot -Tsvg': Warning: .*nonsense"):
        run_dot("digraph { a [shape=nonsense] }", "svg")


def test_a_missing_program_says_how_to_install_graphviz(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(GraphvizNotFoundError) as raised:
        run_dot("digraph { a }", "svg")
    message = str(raised.value)
    assert message.startswith("viz could not run the Graphviz program 'dot' (FileNotFoundError: it is not installed")
    assert message.endswith(INSTALL_HINT)
    assert isinstance(raised.value, graphviz.ExecutableNotFound)  # code catching the graphviz package's error


def test_a_layout_that_takes_too_long_is_stopped():
    big = "digraph {\n" + "\n".join(f"n{i} -> n{j}" for i in range(300) for j in range(i + 1, min(i + 40, 300))) + "}\n"
    with pytest.raises(RenderTimeoutError, match=r"did not finish within timeout=0\.01 s \(the source has \d+ lines\)"):
        run_dot(big, "svg", timeout=0.01)
    assert issubclass(RenderTimeoutError, TimeoutError)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"engine": "circo"}, r"run_dot: engine must be one of \('dot', 'neato'\), got 'circo'"),
        ({"timeout": 0}, r"run_dot: timeout must be a positive number of seconds or None, got 0"),
        ({"timeout": -1.0}, r"got -1\.0"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_dot("digraph { a }", "svg", **kwargs)


def test_no_warning_for_a_clean_graph():
    assert ENGINES == ("dot", "neato")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_dot("digraph { a -> b }", "svg", timeout=None)
