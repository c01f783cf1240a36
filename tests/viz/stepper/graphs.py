"""Graphs, student ops and small helpers shared by the stepper's tests."""

from __future__ import annotations

import inspect

import numpy as np

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable
from graphviz_autodiff.ops import Add, Identity, Linear, Squared, Sum
from tests.viz.conftest import LECTURE_THETA, LECTURE_X, LECTURE_Y, parse_svg, svg_nodes
from viz.drawing.labels import format_value


def fmt(a) -> str:
    return " ".join(format_value(np.asarray(a), 4, 6, "en"))


def lecture_numbers() -> dict[str, np.ndarray]:
    z = LECTURE_X @ LECTURE_THETA
    r = z - LECTURE_Y
    return {"dmu": 2 * r, "dtheta": LECTURE_X.T @ (2 * r), "dy": -2 * r}


def current_nodes(svg: str) -> list[str]:
    """Titles (``n3``) of the node groups whose class holds ``current``."""
    return [title for title, g in svg_nodes(parse_svg(svg)).items() if "current" in g.get("class").split()]


def node_classes(svg: str) -> dict[str, list[str]]:
    return {title: g.get("class").split()[1:] for title, g in svg_nodes(parse_svg(svg)).items()}


# -- student ops -------------------------------------------------------------------------------------------
class Broken(Differentiable):
    """An op whose backward raises, as a student's unfinished homework does."""

    def forward(self, x):
        self.x = x
        return 2.0 * x

    def backward(self, upstream_grad):
        raise ValueError("student forgot to return the gradient")


class WrongShape(Differentiable):
    """Returns a gradient of the wrong shape (the engine's shape rule catches it)."""

    def forward(self, x):
        return 2.0 * x

    def backward(self, upstream_grad):
        return np.ones(7)


class WrongSign(Differentiable):
    """Runs, but its gradient has the wrong sign: only the gradient check finds it."""

    def forward(self, x):
        return 3.0 * x

    def backward(self, upstream_grad):
        return -3.0 * upstream_grad


class NaNGrad(Differentiable):
    def forward(self, x):
        return x

    def backward(self, upstream_grad):
        return upstream_grad * np.nan


class CountingIdentity(Differentiable):
    calls = 0

    def forward(self, z):
        return z

    def backward(self, upstream_grad):
        type(self).calls += 1
        return upstream_grad


def branching_graph():
    """x → Identity(a) → Broken(b); w → Identity(c); L = Sum(Add(b, c)). Nodes 0 x, 1 a, 2 b, 3 w, 4 c, 5 Add, 6 L."""
    x = gad.Tensor(np.array([1.0, 2.0, 3.0]), name="x")
    w = gad.Tensor(np.array([0.5, -1.0, 2.0]), name="w")
    a = Identity()(x)
    a.name = "a"
    b = Broken()(a)
    b.name = "b"
    c = Identity()(w)
    c.name = "c"
    L = Sum()(Add()(b, c))
    L.name = "L"
    return L


def line_of(cls, needle: str) -> int:
    """The line number of the first line of ``cls.backward`` that contains ``needle``."""
    lines, start = inspect.getsourcelines(cls.backward)
    return start + next(i for i, line in enumerate(lines) if needle in line)


def mlp_loss():
    """The two-layer network of the MLP lectures on 8 points of two moons, with CrossEntropy."""
    from graphviz_autodiff.course.datasets import two_moons
    from graphviz_autodiff.course.models import mlp
    from graphviz_autodiff.ops import CrossEntropy

    X, y = two_moons(8)
    return CrossEntropy()(mlp(2, 4, 2)(X), y)


def folded_constants():
    """``Sum(Squared(2x + 1, 0))``: scalar constants folded into op labels."""
    x = gad.Tensor(np.array([1.0, -2.0]), name="x")
    return Sum()(Squared()(x * 2.0 + 1.0, np.zeros(2)))


class MissingHalf(Differentiable):
    """y = x / 2, but backward forgets the factor 1/2: a wrong gradient that every node before it inherits."""

    def forward(self, x):
        return x / 2

    def backward(self, upstream_grad):
        return upstream_grad


def inherited_graph():
    """X, θ → Linear (z) → Identity (μ) → MissingHalf → Squared(·, y) → Sum (L); nodes 0 X, 1 θ, 2 z, 3 μ,
    4 MissingHalf (the culprit), 5 y, 6 Squared, 7 L. Steps: 1 Sum, 2 Squared, 3 MissingHalf, 4 Identity, 5 Linear."""
    X = gad.Tensor(np.arange(12.0).reshape(3, 4) / 10, name="X")
    y = gad.Tensor(np.ones(3), name="y")
    z = Linear(4, theta=np.array([0.5, -0.25, 0.1, 0.3]))(X)
    return Sum()(Squared()(MissingHalf()(Identity()(z)), y))


def big_graph(size: int = 5000):
    """A balanced sum of size/2 leaf vectors: ``size`` nodes, ``size/2`` backward steps (as benchmarks/render.py)."""
    level = [gad.Tensor(np.full(3, float(i)), name=f"x{i}") for i in range(size // 2)]
    while len(level) > 1:
        pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        level = pairs + (level[-1:] if len(level) % 2 else [])
    return level[0].sum()
