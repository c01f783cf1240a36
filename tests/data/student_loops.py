"""A homework whose backward never returns."""

import numpy as np

from graphviz_autodiff import Differentiable


class Square(Differentiable):
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, upstream_grad):
        grad = np.zeros_like(self.x)
        i = 0
        while i < grad.size:  # forgot i += 1
            grad.flat[i] = 2 * self.x.flat[i] * upstream_grad.flat[i]
        return grad
