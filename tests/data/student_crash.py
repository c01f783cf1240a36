"""A homework that crashes on import (a typo at module level)."""

import numpy as np

from graphviz_autodiff import Differentiable

LEARNING_RATE = 0.1
STEPS = int(LEARNING_RAET * 100)  # noqa: F821 - the typo this file is about


class Identity(Differentiable):
    def forward(self, z):
        return np.asarray(z)

    def backward(self, upstream_grad):
        return upstream_grad
