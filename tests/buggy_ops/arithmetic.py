"""Mistakes in binary ops: swapped gradients, missing sum over the batch axis, transposes."""

from __future__ import annotations

from graphviz_autodiff import Differentiable

from . import Case


class MulRef(Differentiable):
    """z = a ⊙ b: ∂L/∂a = g ⊙ b, ∂L/∂b = g ⊙ a."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, upstream_grad):
        return upstream_grad * self.b, upstream_grad * self.a


class MulSwapped(MulRef):
    """Each argument gets the other's gradient."""

    def backward(self, upstream_grad):
        return upstream_grad * self.a, upstream_grad * self.b


class AddBiasRef(Differentiable):
    """z = x + b with x (n, d), b (d,): ∂L/∂x = g, ∂L/∂b = Σₙ g."""

    def forward(self, x, b):
        return x + b

    def backward(self, upstream_grad):
        return upstream_grad, upstream_grad.sum(axis=0)


class AddBiasMissingSum(AddBiasRef):
    """∂L/∂b not summed over the batch axis: shape (n, d) for b of shape (d,)."""

    def backward(self, upstream_grad):
        return upstream_grad, upstream_grad


class MatMulRef(Differentiable):
    """z = a·b: ∂L/∂a = G·bᵀ, ∂L/∂b = aᵀ·G."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, upstream_grad):
        return upstream_grad @ self.b.T, self.a.T @ upstream_grad


class MatMulTransposed(MatMulRef):
    """∂L/∂a computed as b·Gᵀ = (G·bᵀ)ᵀ: right shape for square matrices, transposed values."""

    def backward(self, upstream_grad):
        return self.b @ upstream_grad.T, self.a.T @ upstream_grad


class MatMulSwappedOrder(MatMulRef):
    """Returns (∂L/∂b, ∂L/∂a): shapes (4, 5) and (3, 4) for arguments (3, 4) and (4, 5)."""

    def backward(self, upstream_grad):
        return self.a.T @ upstream_grad, upstream_grad @ self.b.T


def _two(rng):
    return rng.standard_normal((5, 3)), rng.standard_normal((5, 3))


def _bias(rng):
    return rng.standard_normal((6, 3)), rng.standard_normal(3)


def _square(rng):
    return rng.standard_normal((4, 4)), rng.standard_normal((4, 4))


def _rect(rng):
    return rng.standard_normal((3, 4)), rng.standard_normal((4, 5))


CASES = [
    Case("mul_swapped", MulSwapped, MulRef, _two, "wrong_gradient", "swapped", "a"),
    Case("add_bias_missing_sum", AddBiasMissingSum, AddBiasRef, _bias, "shape", "missing_reduction", "b"),
    Case("matmul_transposed", MatMulTransposed, MatMulRef, _square, "wrong_gradient", "transpose", "a"),
    Case("matmul_swapped_order", MatMulSwappedOrder, MatMulRef, _rect, "shape", "swapped", "a"),
]
