"""debug.subject: forward's result as one array (typed errors otherwise); the checked copy casts to float64, repeats."""

from __future__ import annotations

import numpy as np
import pytest

from graphviz_autodiff import Differentiable, Parameter, Tensor
from graphviz_autodiff.debug import gradcheck
from graphviz_autodiff.debug.measure import measure_call, random_streams
from graphviz_autodiff.debug.subject import output_array
from graphviz_autodiff.errors import ForwardOutputError


def test_output_array_accepts_numbers_arrays_and_tensors():
    assert output_array("Op", np.float32(2.5)).dtype == np.float32
    np.testing.assert_array_equal(output_array("Op", Tensor(np.array([1.0, 2.0]))), [1.0, 2.0])
    np.testing.assert_array_equal(output_array("Op", Parameter(np.array([3.0]))), [3.0])
    assert output_array("Op", 4.0).shape == ()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            (1.0, 2.0),
            r"^Op\.forward returned tuple; it must return one array or number\."
            r" Split an op with several outputs into several ops\.$",
        ),
        (
            {"a": 1.0},
            r"^Op\.forward returned dict; it must return one array or number\."
            r" Split an op with several outputs into several ops\.$",
        ),
        (
            [1.0, 2.0],
            r"^Op\.forward returned list; it must return one array or number\."
            r" Split an op with several outputs into several ops\.$",
        ),
        (
            None,
            r"^Op\.forward returned NoneType; it must return one array or number\."
            r" Split an op with several outputs into several ops\.$",
        ),
        (object(), r"^Op\.forward returned object, not numeric data\.$"),
    ],
)
def test_output_array_rejects_what_is_not_one_array(value, message):
    with pytest.raises(ForwardOutputError, match=message):
        output_array("Op", value)


class ReturnsTuple(Differentiable):
    def forward(self, x):
        return x, x

    def backward(self, upstream_grad):
        return upstream_grad


class Accumulates(Differentiable):
    """Keeps a running total on self: a check must start every forward from the state before the call."""

    def __init__(self):
        self.total = 0.0
        self.scale = Parameter(np.array(2.0), name="scale")

    def forward(self, x):
        self.total = self.total + 1.0
        self.x = x
        return self.scale.data * x * self.total

    def backward(self, upstream_grad):
        self.scale.grad = np.sum(upstream_grad * self.x * self.total)
        return upstream_grad * self.scale.data * self.total


class ReturnsText(ReturnsTuple):
    def forward(self, x):
        return "text"


def test_what_forward_returns_decides_the_verdict():
    result = gradcheck(ReturnsTuple(), np.ones(2))
    assert (result.kind, result.diagnosis) == ("exception", "forward")
    assert result.message == (
        "re-run on the recorded inputs, forward raised ForwardOutputError: ReturnsTuple.forward returned tuple; "
        "it must return one array or number. Split an op with several outputs into several ops."
    )
    result = gradcheck(ReturnsText(), np.ones(2))
    assert (result.kind, result.diagnosis) == ("wrong_type", "output_type")
    assert result.message == "ReturnsText.forward returned ndarray of str128, not an array of real numbers"


def test_every_forward_of_the_check_starts_from_the_state_before_the_call():
    op = Accumulates()
    result = gradcheck(op, np.array([1.0, -2.0]))
    assert result.ok, result.message
    assert op.total == 0.0 and op.scale.grad is None


def test_float32_inputs_and_parameters_are_checked_in_float64():
    op = Accumulates()
    evidence = measure_call(
        op,
        [np.array([1.0, 2.0], dtype=np.float32)],
        (True,),
        None,
        upstreams=[np.ones(2)],
        eps=1e-6,
        streams=random_streams(0),
        label="Accumulates",
    )
    assert evidence.cast == ("float32",)
    assert evidence.output.dtype == np.float64
    assert [(s.name, s.dtype) for s in evidence.slots] == [("x", "float32"), ("scale", "float64")]
    np.testing.assert_allclose(evidence.trials[0].gradients[0].values, [2.0, 2.0])
