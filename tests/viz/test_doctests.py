"""The examples in the docstrings of viz's drawing and stepper modules run and say what they show.

(The viewer's own are in ``tests/viz/viewer/test_doctests.py``.)
"""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "viz.drawing.fallback",
    "viz.drawing.names",
    "viz.drawing.nodes",
    "viz.drawing.states",
    "viz.readable",
    "viz.stepper.frames",
    "viz.stepper.model",
    "viz.stepper.slides",
    "viz.stepper.timeline",
    "viz.stepper.widget",
]


@pytest.mark.dot
@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no example"
    assert result.failed == 0
