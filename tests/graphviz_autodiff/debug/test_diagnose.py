"""debug.diagnose: the usual mistakes recognised in a wrong gradient, their messages (en, ru), the table helpers."""

from __future__ import annotations

import numpy as np
import pytest

from graphviz_autodiff import Differentiable
from graphviz_autodiff.debug import gradcheck
from graphviz_autodiff.debug.diagnose import (
    argument_message,
    diagnosis_text,
    format_error,
    format_table,
    reduction_axes,
)

X = np.array([1.0, 2.0, -3.0])


class Cube(Differentiable):
    def forward(self, x):
        self.x = x
        return x**3


class HalfFactor(Cube):
    def backward(self, upstream_grad):
        return 1.5 * self.x**2 * upstream_grad


class WrongSign(Cube):
    def backward(self, upstream_grad):
        return -3 * self.x**2 * upstream_grad


class IgnoresUpstream(Cube):
    def backward(self, upstream_grad):
        return 3 * self.x**2


class MulSwapped(Differentiable):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, upstream_grad):
        return upstream_grad * self.a, upstream_grad * self.b


class MatMulTransposed(Differentiable):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, upstream_grad):
        return self.b @ upstream_grad.T, self.a.T @ upstream_grad


class MaskOnUpstream(Differentiable):
    def forward(self, x):
        self.x = x
        return np.maximum(x, 0.0)

    def backward(self, upstream_grad):
        return upstream_grad * (upstream_grad > 0)


class BiasNotSummed(Differentiable):
    def forward(self, x, b):
        return x + b

    def backward(self, upstream_grad):
        return upstream_grad, upstream_grad


@pytest.mark.parametrize(
    ("op", "args", "kind", "diagnosis", "en", "ru"),
    [
        (
            HalfFactor(),
            [X],
            "wrong_gradient",
            "factor",
            "∂L/∂x is too small by a constant factor: backward returns 0.5 × the correct gradient "
            "(a factor 2 is missing)",
            "∂L/∂x меньше в постоянное число раз: backward возвращает 0.5 × правильный градиент "
            "(не хватает множителя 2)",
        ),
        (
            WrongSign(),
            [X],
            "wrong_gradient",
            "sign",
            "∂L/∂x has the wrong sign: backward returns −1 × the correct gradient",
            "у ∂L/∂x неверный знак: backward возвращает −1 × правильный градиент",
        ),
        (
            IgnoresUpstream(),
            [X],
            "wrong_gradient",
            "ignores_upstream",
            "∂L/∂x ignores upstream_grad: backward returns the same gradient whatever upstream_grad is; "
            "multiply the local derivative by upstream_grad",
            None,
        ),
        (
            BiasNotSummed(),
            [np.ones((4, 3)), np.ones(3)],
            "shape",
            "missing_reduction",
            "backward returned a gradient of shape (4, 3) for b of shape (3,): a sum over axis 0 is missing "
            "(e.g. grad.sum(axis=0))",
            "backward вернул градиент формы (4, 3) для b формы (3,): не хватает суммы по оси 0 "
            "(например, grad.sum(axis=0))",
        ),
        (
            MulSwapped(),
            [np.array([1.0, -2.0, 0.5]), np.array([3.0, 0.25, -1.0])],
            "wrong_gradient",
            "swapped",
            "∂L/∂a is the gradient of b: the gradients of two arguments are swapped",
            None,
        ),
        (
            MatMulTransposed(),
            [np.arange(9.0).reshape(3, 3) / 4 - 1, np.array([[1.0, 2.0, 0.0], [-1.0, 0.5, 3.0], [2.0, 0.0, 1.0]])],
            "wrong_gradient",
            "transpose",
            "∂L/∂a is transposed: backward returns the transpose of the correct gradient (a missing or extra .T)",
            None,
        ),
        (
            MaskOnUpstream(),
            [np.array([1.0, -2.0, 3.0, -0.5, 0.75, -1.5])],
            "wrong_gradient",
            "wrong_mask",
            "∂L/∂x has the right values where it is not zero, but zeros in the wrong places: the mask is computed "
            "on the wrong array (e.g. upstream_grad > 0 instead of x > 0)",
            None,
        ),
    ],
)
def test_classic_mistakes_are_named_with_their_messages(op, args, kind, diagnosis, en, ru):
    result = gradcheck(op, *args)
    assert (result.kind, result.diagnosis) == (kind, diagnosis)
    assert argument_message(result.failing, "en", "Op") == en
    if ru is not None:
        assert argument_message(result.failing, "ru", "Op") == ru


def test_the_factor_is_measured():
    assert gradcheck(HalfFactor(), X).failing.factor == pytest.approx(0.5, rel=1e-6)


def test_diagnosis_text_says_which_way_a_factor_goes():
    assert diagnosis_text("factor", 0.5, "en") == "missing factor 2"
    assert diagnosis_text("factor", -3.0, "en") == "extra factor 3"
    assert diagnosis_text("factor", 0.5, "ru") == "не хватает множителя 2"
    assert diagnosis_text("sign", None, "en") == "sign flipped"
    assert diagnosis_text(None, None, "en") == ""


def test_format_error_and_table():
    assert format_error(None) == "-"
    assert format_error(1.234e-9) == "1.2e-09"
    assert format_table(["name", "err"], [["x", "1.2e-09"], ["theta", "-"]]) == (
        "name   err\n-----  -------\nx      1.2e-09\ntheta  -"
    )


@pytest.mark.parametrize(
    ("expected", "got", "axes"),
    [((3,), (4, 3), (0,)), ((4, 1), (4, 3), (1,)), ((1, 3), (2, 5, 3), (0, 1)), ((2, 3), (2, 3), ())],
)
def test_reduction_axes_undo_broadcasting(expected, got, axes):
    assert reduction_axes(expected, got) == axes
    assert np.ones(got).sum(axis=axes).reshape(expected).shape == expected
