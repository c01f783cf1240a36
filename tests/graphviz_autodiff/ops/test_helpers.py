"""The checker itself: check_op must fail on a wrong forward, a wrong backward or an ignored needs_input_grad."""

from __future__ import annotations

import numpy as np
import pytest

from graphviz_autodiff.ops import Mul, Sigmoid

from .helpers import TORCH_REASON, check_op

torch = pytest.importorskip("torch", reason=TORCH_REASON)
pytestmark = pytest.mark.oracle


class SlightlyWrongSigmoid(Sigmoid):
    def backward(self, upstream_grad):
        return upstream_grad * self.y * (1.0 - self.y) * (1 + 1e-5)


class MulIgnoringNeeds(Mul):
    def backward(self, upstream_grad):
        return upstream_grad * self.b, upstream_grad * self.a


def test_a_correct_op_passes():
    check_op(Sigmoid, torch.sigmoid, [(3, 2)])


def test_a_wrong_backward_fails_against_pytorch():
    with pytest.raises(AssertionError, match="input 0 gradient vs PyTorch"):
        check_op(SlightlyWrongSigmoid, torch.sigmoid, [(3, 2)])


def test_a_wrong_backward_fails_against_finite_differences():
    with pytest.raises(AssertionError, match="finite differences: input 0"):
        check_op(SlightlyWrongSigmoid, None, [(3, 2)], fd_rtol=1e-6)


def test_a_wrong_forward_fails():
    with pytest.raises(AssertionError, match="forward vs PyTorch"):
        check_op(Sigmoid, lambda x: torch.sigmoid(x) + 1e-9, [(3,)])


def test_ignoring_needs_input_grad_fails():
    check_op(Mul, torch.mul, [(2, 3), (2, 3)])
    with pytest.raises(AssertionError, match="computed a gradient for input 0 nobody needs"):
        check_op(MulIgnoringNeeds, torch.mul, [(2, 3), (2, 3)])


def test_given_arrays_are_used_as_is():
    x = np.array([-1.0, 0.0, 2.0])
    check_op(Sigmoid, torch.sigmoid, [x], fd=False)
