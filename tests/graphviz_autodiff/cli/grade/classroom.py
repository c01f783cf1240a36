"""A generated class for the grader's end-to-end tests: honest, buggy and hostile submissions, with the verdicts.

Every submission is written from the same correct ops (:data:`CORRECT`), one op
replaced by a classic mistake, or with hostile code added at module level.
:data:`EXPECTED` says, per student, what the grader must report for every op
that is not a plain pass. The grader's assignment is :data:`ASSIGNMENT_TOML`.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

ASSIGNMENT_TOML = """
[assignment]
name = "HW 5: backpropagation"

[training]
points = 1

[[ops]]
name = "Linear"
points = 2

[[ops]]
name = "Squared"
points = 2

[[ops]]
name = "ReLU"
inputs = [[3, 4]]
reference = "graphviz_autodiff.ops.ReLU"

[[ops]]
name = "Dense"
init = [4, 4]
inputs = [[4, 4]]
reference = "graphviz_autodiff.ops.Linear"

[[ops]]
name = "AddBias"
init = [4]
inputs = [[8, 4]]
"""

#: The required checks in report order, with their points.
CHECKS = {
    "Linear": 2,
    "Identity": 1,
    "Squared": 2,
    "Sum": 1,
    "ReLU": 1,
    "Dense": 1,
    "AddBias": 1,
    "training": 1,
}

HEADER = "import numpy as np\n\nfrom graphviz_autodiff import Differentiable, Parameter\n"

CORRECT = {
    "Linear": """
class Linear(Differentiable):
    def __init__(self, n_features):
        self.theta = Parameter(np.linspace(-1.0, 1.0, n_features), name="θ")

    def forward(self, x):
        self.x = x
        return x @ self.theta

    def backward(self, upstream_grad):
        self.theta.grad = self.x.T @ upstream_grad
        return np.outer(upstream_grad, self.theta)
""",
    "Identity": """
class Identity(Differentiable):
    def forward(self, z):
        self.z = z
        return z

    def backward(self, upstream_grad):
        return upstream_grad
""",
    "Squared": """
class Squared(Differentiable):
    def forward(self, mu, y):
        self.mu, self.y = mu, y
        return (mu - y) ** 2

    def backward(self, upstream_grad):
        d = 2 * (self.mu - self.y) * upstream_grad
        return d, -d
""",
    "Sum": """
class Sum(Differentiable):
    def forward(self, x):
        self.x = x
        return np.sum(x)

    def backward(self, upstream_grad):
        return upstream_grad * np.ones_like(self.x)
""",
    "ReLU": """
class ReLU(Differentiable):
    def forward(self, x):
        self.x = x
        return np.maximum(x, 0.0)

    def backward(self, upstream_grad):
        return upstream_grad * (self.x > 0)
""",
    "Dense": """
class Dense(Differentiable):
    def __init__(self, n_in, n_out):
        self.W = Parameter(np.arange(n_in * n_out, dtype=float).reshape(n_in, n_out) / (n_in * n_out) - 0.5, name="W")

    def forward(self, x):
        self.x = x
        return x @ self.W

    def backward(self, upstream_grad):
        self.W.grad = self.x.T @ upstream_grad
        return upstream_grad @ self.W.T
""",
    "AddBias": """
class AddBias(Differentiable):
    def __init__(self, n):
        self.b = Parameter(np.linspace(0.1, 0.4, n), name="b")

    def forward(self, x):
        return x + self.b

    def backward(self, upstream_grad):
        self.b.grad = upstream_grad.sum(axis=0)
        return upstream_grad
""",
}


def replace_backward(op: str, body: str) -> str:
    """The op's source with its backward's body replaced (``body``: lines indented by 8 spaces)."""
    source = CORRECT[op]
    head, _, _ = source.partition("    def backward(self, upstream_grad):\n")
    return head + "    def backward(self, upstream_grad):\n" + body


def module(*, prelude: str = "", tail: str = "", **ops: str | None) -> str:
    """A submission: the header, ``prelude``, every op (``ops`` replaces or, with ``None``, omits one), ``tail``."""
    parts = [HEADER, prelude]
    for name, source in CORRECT.items():
        chosen = ops.get(name, source)
        if chosen is not None:
            parts.append(chosen)
    parts.append(tail)
    return "\n".join(parts)


def notebook(cells: list[tuple[str, str]]) -> str:
    """An nbformat-4 notebook from ``(kind, source)`` cells."""
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "cells": [
                {
                    "cell_type": kind,
                    "metadata": {},
                    "source": source,
                    **({"outputs": [], "execution_count": None} if kind == "code" else {}),
                }
                for kind, source in cells
            ],
        }
    )


def notebook_of_ops(extra_last: str | None = None, **ops: str | None) -> tuple[str, list[tuple[str, str]]]:
    """A notebook with a markdown cell and a code cell per op; returns its JSON and its cells."""
    cells = [
        ("markdown", "# Homework 5\nBackpropagation by hand."),
        ("code", "%matplotlib inline\n!pip install numpy\n" + HEADER),
    ]
    for name, source in CORRECT.items():
        chosen = ops.get(name, source)
        if chosen is not None:
            cells.append(("markdown", f"## {name}"))
            cells.append(("code", chosen.strip("\n")))
    cells.append(("code", "Squared?\nz = np.ones(3)\nz"))
    if extra_last is not None:
        cells.append(("code", extra_last))
    return notebook(cells), cells


def cell_of(cells: list[tuple[str, str]], needle: str) -> tuple[int, int]:
    """``(cell number, line)`` (1-based, all cells counted) of the first line containing ``needle``."""
    for number, (kind, source) in enumerate(cells, 1):
        for line_number, line in enumerate(source.splitlines(), 1):
            if kind == "code" and needle in line:
                return number, line_number
    raise ValueError(needle)


def line_of(source: str, needle: str) -> int:
    """The 1-based line of ``source`` holding ``needle``."""
    return next(i for i, line in enumerate(source.splitlines(), 1) if needle in line)


def simulated_training(d_mu: str, d_theta: str = "X.T @ g_z", steps: int = 5, lr: float = 0.01) -> bool:
    """Whether 5 steps of gradient descent with these (buggy) gradient formulas lower the lecture's loss.

    An independent oracle for bugs whose effect on training is not obvious: plain NumPy, the grader's data.
    """
    from graphviz_autodiff.cli.grade.assignment import training_data

    X, y = training_data(0)
    theta = np.linspace(-1.0, 1.0, 4)
    losses = []
    for _ in range(steps + 1):
        mu = X @ theta
        losses.append(float(np.sum((mu - y) ** 2)))
        g = np.ones_like(mu)
        g_z = eval(d_mu, {"np": np}, {"mu": mu, "y": y, "g": g})
        theta = theta - lr * eval(d_theta, {"np": np}, {"X": X, "g_z": g_z, "theta": theta})
    return losses[-1] < losses[0]


def write_zip(path: Path, files: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
