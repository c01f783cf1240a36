"""A correct homework: the lecture's ops, an activation and a log, written as a student would."""

import numpy as np

from graphviz_autodiff import Differentiable, Parameter
from graphviz_autodiff.ops import ReLU  # imported, not defined here: not checked  # noqa: F401


class Layer(Differentiable):
    """A base class without forward of its own: skipped."""


class Linear(Layer):
    def __init__(self, n_features):
        self.theta = Parameter(np.linspace(-1.0, 1.0, n_features), name="θ")

    def forward(self, x):
        self.x = x
        return x @ self.theta

    def backward(self, upstream_grad):
        self.theta.grad = self.x.T @ upstream_grad
        return np.outer(upstream_grad, self.theta)


class Identity(Layer):
    def forward(self, z):
        return z

    def backward(self, upstream_grad):
        return upstream_grad


class Squared(Layer):
    def forward(self, mu, y):
        self.mu, self.y = mu, y
        return (mu - y) ** 2

    def backward(self, upstream_grad):
        return 2 * (self.mu - self.y) * upstream_grad, -2 * (self.mu - self.y) * upstream_grad


class Sum(Layer):
    def forward(self, x):
        self.x = x
        return np.sum(x)

    def backward(self, upstream_grad):
        return upstream_grad * np.ones_like(self.x)


class Sigmoid(Layer):
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, upstream_grad):
        return upstream_grad * self.out * (1 - self.out)


class Log(Layer):
    @staticmethod
    def check_inputs(rng):
        return [rng.uniform(0.5, 2.0, size=(3, 4))]

    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, upstream_grad):
        return upstream_grad / self.x


class Scale(Layer):
    check_init = {"factor": 3.0}  # noqa: RUF012 - read once by the checker
    check_inputs = [(5,)]  # noqa: RUF012

    def __init__(self, factor):
        self.factor = factor

    def forward(self, x):
        return self.factor * x

    def backward(self, upstream_grad):
        return self.factor * upstream_grad
