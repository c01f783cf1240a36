"""The examples in the viewer's docstrings run and say what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "viz.viewer",
    "viz.viewer.splice",
    "viz.viewer.payload",
    "viz.viewer.page",
    "viz.viewer.strings",
    "viz.viewer.widget",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no example"
    assert result.failed == 0
