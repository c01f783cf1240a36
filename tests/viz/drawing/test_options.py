"""viz.drawing.options: every option is checked, with a ValueError naming it."""

from __future__ import annotations

import dataclasses
import inspect
import re

import numpy as np
import pytest

import viz
from tests.viz.conftest import (
    lecture5,
)
from viz.drawing.options import RenderOptions, node_id, validate_options
from viz.themes import THEMES

# Graphviz printing anything on stderr (an unknown colour, a bad attribute) fails the test.
pytestmark = pytest.mark.filterwarnings("error::viz.GraphvizWarning")


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("theme", "neon", "'lecture', 'compact', 'dark', 'print'"),
        ("rankdir", "XY", "'LR', 'TB', 'RL', 'BT'"),
        ("overlay", "speed", "None, 'grad_norm', 'magnitude', 'nonfinite'"),
        ("lang", "de", "'en', 'ru'"),
    ],
)
def test_bad_choice_is_a_value_error_naming_the_option(option, value, allowed):
    with pytest.raises(ValueError, match=re.escape(f"{option} must be one of {allowed}")):
        viz.render(lecture5(), **{option: value})


@pytest.mark.parametrize(
    ("option", "value"),
    [("precision", 0), ("precision", 18), ("max_array", -1), ("collapse", -1), ("max_nodes", 0), ("timeout", 0)],
)
def test_bad_numbers_are_value_errors(option, value):
    with pytest.raises(ValueError, match=option):
        viz.render(lecture5(), **{option: value})


def test_bad_states_are_value_errors():
    with pytest.raises(ValueError, match=r"states\[2\] must be one of 'pending', 'current', 'done'"):
        viz.render(lecture5(), states={2: "running"})
    with pytest.raises(ValueError, match="states keys must be graph node ids"):
        viz.render(lecture5(), states={"Linear": "current"})


def test_rankdir():
    L = lecture5()
    assert "rankdir=LR" in viz.to_dot(L)
    assert "rankdir=TB" in viz.to_dot(L, rankdir="TB")


def test_validate_options_returns_one_frozen_object():
    opts = validate_options(theme="dark", collapse=True, states={"n2": "current"}, timeout=5)
    assert isinstance(opts, RenderOptions)
    assert opts.theme is THEMES["dark"] and opts.collapse == 0 and opts.states == {2: "current"}
    assert opts.timeout == 5.0 and isinstance(opts.timeout, float)
    assert validate_options(collapse=2).collapse == 2 and validate_options().collapse is None
    with pytest.raises(AttributeError):
        opts.rankdir = "TB"


def test_node_id():
    assert node_id(3) == 3 and node_id(np.int64(4)) == 4 and node_id("n12") == 12
    assert node_id(True) is None and node_id("x3") is None and node_id("n") is None and node_id(None) is None


def test_render_defaults_are_those_of_render_options():
    """render's signature and RenderOptions hold the defaults; validate_options() fills left-out ones the same way."""
    keywords = inspect.signature(viz.render).parameters.values()
    defaults = {p.name: p.default for p in keywords if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert validate_options(**defaults) == validate_options()
    assert list(defaults) == [f.name for f in dataclasses.fields(RenderOptions)]


def test_validate_options_rejects_an_unknown_option():
    with pytest.raises(TypeError, match="unknown option 'colour'"):
        validate_options(colour="red")
