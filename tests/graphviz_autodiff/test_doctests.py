"""The examples in the core's docstrings run and say what they show (a stale example is a wrong document)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import graphviz_autodiff

MODULES = sorted(m.name for m in pkgutil.walk_packages(graphviz_autodiff.__path__, "graphviz_autodiff."))
WITH_EXAMPLES = [
    name for name in MODULES if any(t.examples for t in doctest.DocTestFinder().find(importlib.import_module(name)))
]


def test_the_core_has_examples_to_run():
    assert {"graphviz_autodiff.errors", "graphviz_autodiff.i18n", "graphviz_autodiff.util"} <= set(WITH_EXAMPLES)
    assert len(WITH_EXAMPLES) >= 20


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples(name: str) -> None:
    with np.printoptions(legacy=False):
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no example"
    assert result.failed == 0
