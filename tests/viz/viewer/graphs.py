"""The two graphs of the viewer's tests: the lecture's regression and a two-layer network.

This file's text is also the setup cell of the notebook the Voila test serves
(``tests/browser/test_viewer_voila.py``), so it imports only the package and NumPy.
"""

from __future__ import annotations

import numpy as np

import graphviz_autodiff as gad
from graphviz_autodiff.ops import CrossEntropy, Identity, Linear, ReLU, Squared, Sum


def lecture_loss() -> gad.Tensor:
    """L = Sum(Squared(Identity(Linear(4)(X)), y)) on the lecture's 5 × 4 data (7 nodes, 4 steps)."""
    X = gad.Tensor(
        np.array(
            [
                [0.5, 1.0, -0.2, 2.0],
                [1.5, -0.5, 0.3, 1.0],
                [-1.0, 2.0, 0.8, 0.0],
                [0.2, 0.4, -1.2, 1.5],
                [2.0, 1.0, 0.5, -0.5],
            ]
        ),
        name="X",
    )
    y = gad.Tensor(np.array([1.0, 0.5, 2.0, -0.5, 1.5]), name="y")
    z = Linear(4, theta=np.array([0.5, -0.25, 0.1, 0.3]))(X)
    z.name = "z"
    mu = Identity()(z)
    mu.name = "μ"
    L = Sum()(Squared()(mu, y))
    L.name = "L"
    return L


def mlp_loss() -> gad.Tensor:
    """CrossEntropy(Linear(8, 3)(ReLU(Linear(4, 8)(X))), y) on 6 samples of 4 features, 3 classes."""
    rng = np.random.default_rng(0)
    X = gad.Tensor(rng.normal(size=(6, 4)), name="X")
    y = gad.Tensor(np.array([0, 1, 2, 0, 1, 2]), name="y")
    hidden = ReLU()(Linear(4, 8, bias=True, seed=1)(X))
    return CrossEntropy()(Linear(8, 3, bias=True, seed=2)(hidden), y)
