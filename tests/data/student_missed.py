"""Real bugs that a checker drawing its inputs and upstream gradients from one seed passes ("max rel. error 0.0")."""

import numpy as np

from graphviz_autodiff import Differentiable, Parameter


class ReLU(Differentiable):
    """The mask is computed on upstream_grad instead of the input."""

    def forward(self, x):
        self.x = x
        return np.maximum(x, 0.0)

    def backward(self, upstream_grad):
        return upstream_grad * (upstream_grad > 0)


class Squared(Differentiable):
    """upstream_grad and mu swapped: right only when upstream_grad == mu."""

    def forward(self, mu, y):
        self.mu, self.y = mu, y
        return (mu - y) ** 2

    def backward(self, upstream_grad):
        return 2 * (upstream_grad - self.y) * self.mu, -2 * (upstream_grad - self.y) * self.mu


class SquareLinear(Differentiable):
    """Square weights: dL/dtheta computed as G^T X, the transpose of X^T G (the same when G == X)."""

    check_inputs = ((4, 4),)

    def __init__(self):
        self.theta = Parameter(np.arange(16.0).reshape(4, 4) / 16 - 0.5, name="Θ")

    def forward(self, x):
        self.x = x
        return x @ self.theta

    def backward(self, upstream_grad):
        self.theta.grad = upstream_grad.T @ self.x
        return upstream_grad @ self.theta.T


class Sigmoid(Differentiable):
    """Returns the local derivative and forgets upstream_grad."""

    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, upstream_grad):
        return self.out * (1 - self.out)


class Exp(Differentiable):
    """backward reads an attribute forward never saved."""

    def forward(self, x):
        return np.exp(x)

    def backward(self, upstream_grad):
        return upstream_grad * self.out  # AttributeError: forward never set self.out
