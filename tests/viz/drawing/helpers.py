"""Helpers of the drawing tests: DOT statements, the lecture numbers by hand, small models with groups."""

from __future__ import annotations

import re

import numpy as np

import graphviz_autodiff as gad
from graphviz_autodiff.nn import Module
from graphviz_autodiff.ops import MSE, Identity, Linear
from tests.viz.conftest import LECTURE_THETA, LECTURE_X, LECTURE_Y
from viz.drawing.labels import format_value


def node_stmt(source: str, name: str) -> str:
    """The DOT statement of node ``name`` (one line)."""
    match = re.search(rf"^\s*{re.escape(name)} \[.*$", source, flags=re.MULTILINE)
    assert match, f"node {name} not in the DOT source"
    return match.group(0)


def lecture_numbers() -> dict[str, np.ndarray]:
    """The lecture-5 forward values and gradients, computed by hand with NumPy."""
    z = LECTURE_X @ LECTURE_THETA
    r = z - LECTURE_Y
    return {
        "z": z,
        "L": np.sum(r**2),
        "dmu": 2 * r,
        "dtheta": LECTURE_X.T @ (2 * r),
        "dy": -2 * r,
    }


def fmt(a: np.ndarray, precision: int = 4) -> str:
    return " ".join(format_value(a, precision, 6, "en"))


def fill(source: str, name: str) -> str:
    return re.search(r'fillcolor="(#[0-9a-f]{6})"', node_stmt(source, name)).group(1)


class Regression(Module):
    """μ = Identity(Linear(x)) as one group with 4 parameters."""

    def __init__(self):
        super().__init__(name="Regression")
        self.linear = Linear(4, theta=LECTURE_THETA.copy())
        self.act = Identity()

    def forward(self, x):
        return self.act(self.linear(x))


class Model(Module):
    """A group with a nested group: Regression, then MSE (itself a group)."""

    def __init__(self):
        super().__init__(name="Model")
        self.reg = Regression()
        self.loss = MSE()

    def forward(self, x, y):
        return self.loss(self.reg(x), y)


def tree_sum(n_leaves: int) -> gad.Tensor:
    """A balanced sum of ``n_leaves`` leaves: 2·n_leaves nodes (with the final Sum)."""
    level = [gad.Tensor(np.full(2, float(i)), name=f"x{i}") for i in range(n_leaves)]
    while len(level) > 1:
        pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        level = pairs + (level[-1:] if len(level) % 2 else [])
    return level[0].sum()
