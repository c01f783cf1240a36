"""A buggy homework: Squared forgot the 2, Sigmoid differentiates at its output, Dense cannot be built."""

import numpy as np

from graphviz_autodiff import Differentiable, Parameter


class Linear(Differentiable):
    def __init__(self, n_features):
        self.theta = Parameter(np.linspace(-1.0, 1.0, n_features), name="θ")

    def forward(self, x):
        self.x = x
        return x @ self.theta

    def backward(self, upstream_grad):
        self.theta.grad = self.x.T @ upstream_grad
        return np.outer(upstream_grad, self.theta)


class Identity(Differentiable):
    def forward(self, z):
        return z

    def backward(self, upstream_grad):
        return upstream_grad


class Squared(Differentiable):
    def forward(self, mu, y):
        self.mu, self.y = mu, y
        return (mu - y) ** 2

    def backward(self, upstream_grad):
        return (self.mu - self.y) * upstream_grad, -(self.mu - self.y) * upstream_grad


class Sum(Differentiable):
    def forward(self, x):
        self.x = x
        return np.sum(x)

    def backward(self, upstream_grad):
        return upstream_grad * np.ones_like(self.x)


class Sigmoid(Differentiable):
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, upstream_grad):
        s = 1 / (1 + np.exp(-self.out))
        return upstream_grad * s * (1 - s)


class Dense(Differentiable):
    def __init__(self, n_in, n_out):
        self.W = Parameter(np.ones((n_in, n_out)), name="W")

    def forward(self, x):
        self.x = x
        return x @ self.W

    def backward(self, upstream_grad):
        self.W.grad = self.x.T @ upstream_grad
        return upstream_grad @ self.W.T
