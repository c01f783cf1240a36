"""The debugger's catalogue: every bad op or bad return gets a specific verdict naming the op and the argument.

Neither ``gradcheck`` nor ``check`` raises on what a student's op does; the other nodes keep their verdicts; the
model (parameters, ``.grad``, the op's saved state) is the same afterwards.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable, Tensor
from graphviz_autodiff.debug import DIAGNOSES, KINDS, check, gradcheck
from graphviz_autodiff.ops import Identity, Mul, Sum
from tests.buggy_ops import CASES, Case, build


# -- bad forwards and bad returns that are not a buggy version of a reference op ------------------------
class _Base(Differentiable):
    def forward(self, x):
        self.x = x
        return 2.0 * x

    def backward(self, upstream_grad):
        return 2.0 * upstream_grad


class ForwardReturnsString(_Base):
    def forward(self, x):
        return "2x"


class ForwardReturnsTuple(_Base):
    def forward(self, x):
        return 2.0 * x, x


class ForwardReturnsNone(_Base):
    def forward(self, x):
        self.x = x


class ForwardReturnsComplex(_Base):
    def forward(self, x):
        return 2.0 * x + 0j


class BackwardReturnsGenerator(_Base):
    def backward(self, upstream_grad):
        return (g for g in [2.0 * upstream_grad])


class BackwardReturnsNestedTuple(_Base):
    def backward(self, upstream_grad):
        return ((2.0 * upstream_grad,),)


class BackwardReturnsTensor(_Base):
    """A Tensor of the right values is accepted as its data (no false positive)."""

    def backward(self, upstream_grad):
        return Tensor(2.0 * upstream_grad)


class BackwardRaises(_Base):
    def backward(self, upstream_grad):
        raise RuntimeError("not implemented yet")


class BackwardRecursion(_Base):
    def backward(self, upstream_grad):
        return self.backward(upstream_grad)


class BackwardEmptyTuple(_Base):
    def backward(self, upstream_grad):
        return ()


class BackwardIntegerZeros(_Base):
    def backward(self, upstream_grad):
        return np.zeros(upstream_grad.shape, dtype=int)


class BackwardFloat16(_Base):
    """Right values in float16: too imprecise for the comparison, reported as a wrong gradient."""

    def backward(self, upstream_grad):
        return (2.0 * upstream_grad + 0.01).astype(np.float16)


#: (op class, kind, diagnosis, argument, a piece of the message)
EXTRA = [
    (ForwardReturnsString, "wrong_type", "output_type", None, "forward returned ndarray of str"),
    (ForwardReturnsTuple, "exception", "forward", None, "it must return one array or number"),
    (ForwardReturnsNone, "exception", "forward", None, "returned NoneType"),
    (ForwardReturnsComplex, "wrong_type", "output_type", None, "complex128"),
    (BackwardReturnsGenerator, "wrong_type", "not_numeric", "x", "returned a generator for x"),
    (BackwardReturnsNestedTuple, "shape", "missing_reduction", "x", "shape (1, 3, 4) for x of shape (3, 4)"),
    (BackwardRaises, "exception", None, None, "RuntimeError: not implemented yet at test_catalogue.py:"),
    (BackwardRecursion, "exception", None, None, "RecursionError"),
    (BackwardEmptyTuple, "exception", "gradient_count", None, "returned 0 gradients but forward took 1 argument"),
    (BackwardIntegerZeros, "wrong_gradient", "zero", "x", "∂L/∂x is zero"),
    (BackwardFloat16, "wrong_gradient", None, "x", "∂L/∂x is wrong"),
]


@pytest.mark.parametrize("cls, kind, diagnosis, argument, text", EXTRA, ids=lambda v: getattr(v, "__name__", None))
def test_bad_forwards_and_returns_get_a_specific_verdict(cls, kind, diagnosis, argument, text):
    x = np.random.default_rng(1).standard_normal((3, 4))
    result = gradcheck(cls(), x)
    assert (result.kind, result.diagnosis, result.argument) == (kind, diagnosis, argument), str(result)
    assert text in result.message, result.message
    # in a graph: whatever the engine accepted is checked, and the op's node gets the same verdict
    op = cls()
    with gad.Graph() as graph:
        try:
            out = op(Identity()(x))
            loss = Sum()(out) if out.dtype.kind == "f" else None
        except Exception:  # the engine rejects this forward at the call: nothing of it is recorded
            loss = None
    if loss is not None:
        for _ in gad.iter_backward(loss, on_error="record"):
            pass
    report = check(graph)
    assert all(n.kind in KINDS and (n.diagnosis is None or n.diagnosis in DIAGNOSES) for n in report.nodes)
    mine = [n for n in report.nodes if n.op is op]
    assert all((n.kind, n.argument) == (kind, argument) for n in mine), str(report)
    assert all(n.kind in ("ok", "inherits_wrong") for n in report.nodes if n.op is not op), str(report)


def test_a_correct_gradient_returned_as_a_tensor_passes():
    assert gradcheck(BackwardReturnsTensor(), np.linspace(-1, 1, 6)).ok


def test_the_catalogue_has_at_least_twenty_bad_ops():
    assert len(CASES) + len(EXTRA) >= 40
    assert len({(c.kind, c.diagnosis) for c in CASES} | {(k, d) for _, k, d, _, _ in EXTRA}) >= 20


# -- every Case: a verdict naming the op and the argument; the model is unchanged -----------------------
def _model_state(ops: list[Differentiable]) -> list:
    state = []
    for op in ops:
        for p in op.parameters():
            state.append((p, p.data, p.data.copy(), p.grad, None if p.grad is None else np.array(p.grad, copy=True)))
    return state


def _assert_model_unchanged(state: list) -> None:
    for p, data, data_copy, grad, grad_copy in state:
        assert p.data is data and np.array_equal(p.data, data_copy)
        assert p.grad is grad
        if grad is not None:
            assert np.array_equal(np.asarray(p.grad), np.asarray(grad_copy))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_bad_op_is_named_with_its_argument_and_the_model_is_unchanged(case: Case):
    op = case.buggy()
    loss, outputs = build(case, op)
    state = _model_state([op])
    op_state = {k: v for k, v in op.__dict__.items()}
    op_copy = {k: copy.deepcopy(v) for k, v in op.__dict__.items() if k != "_gad_call"}
    report = check(loss)
    record = report.for_node(outputs[case.flagged_call].node)
    assert record is report.culprit
    assert record.label == type(op).__name__
    if case.argument is not None:
        failing = record.result.failing if record.result is not None else None
        shown = failing.display if failing is not None else case.argument
        assert shown in record.message, record.message
    culprit_line = next(line for line in str(report).splitlines() if line.startswith("first culprit"))
    assert f"({type(op).__name__})" in culprit_line
    _assert_model_unchanged(state)
    assert op.__dict__.keys() == op_state.keys() and all(op.__dict__[k] is v for k, v in op_state.items())
    for k, v in op_copy.items():
        if isinstance(v, np.ndarray):
            assert np.array_equal(op.__dict__[k], v, equal_nan=v.dtype.kind == "f")


def test_a_plain_array_target_without_a_gradient_gets_the_tensor_hint():
    class SquaredNoY(Differentiable):
        def forward(self, mu, y):
            self.mu, self.y = mu, y
            return (mu - y) ** 2

        def backward(self, upstream_grad):
            return 2 * (self.mu - self.y) * upstream_grad, None

    mu, y = np.linspace(-1, 1, 5), np.ones(5)
    result = gradcheck(SquaredNoY(), mu, y)
    assert (result.kind, result.argument) == ("no_gradient", "y")
    assert "pass it as Tensor(y, requires_grad=False)" in result.message
    loss = Sum()(SquaredNoY()(Identity()(mu), y))
    for _ in gad.iter_backward(loss, on_error="record"):
        pass
    record = check(loss).culprit
    assert (record.kind, record.argument) == ("no_gradient", "y")
    assert "Tensor(y, requires_grad=False)" in record.message
    assert gradcheck(SquaredNoY(), mu, Tensor(y, requires_grad=False)).ok
    produced = gradcheck(SquaredNoY(), mu, Tensor(y))  # a Tensor that asks for a gradient: no data hint
    assert produced.kind == "no_gradient" and "Tensor(y" not in produced.message


def test_one_bad_node_does_not_cost_the_others_their_verdicts():
    from tests.buggy_ops.lecture import SquaredForgotTwo
    from tests.buggy_ops.returns import ReLUReturnsMask

    x = np.random.default_rng(2).standard_normal((4, 3))
    relu, squared = ReLUReturnsMask(), SquaredForgotTwo()
    loss = Sum()(squared(relu(Identity()(x)), np.zeros((4, 3))))
    for _ in gad.iter_backward(loss, on_error="record"):
        pass
    report = check(loss)
    kinds = {n.label: (n.kind, n.diagnosis) for n in report.nodes if n.op is not None}
    assert kinds == {
        "Sum": ("ok", None),
        "SquaredForgotTwo": ("wrong_gradient", "factor"),
        "ReLUReturnsMask": ("wrong_type", "boolean"),
        "Identity": ("ok", None),  # the pass stopped at the mask: Identity never received a gradient
    }
    assert report.culprit.op is squared


def test_float128_and_float32_are_named_in_the_cast_message():
    x = np.linspace(-1, 1, 6)
    with pytest.warns(gad.debug.PrecisionWarning, match=r"2 array\(s\) of float128, float32 were cast"):
        result = gradcheck(Mul(), x.astype(np.longdouble), x.astype(np.float32))
    assert result.ok and sorted(result.cast) == ["float128", "float32"]
    loss = Sum()(Mul()(x.astype(np.longdouble), x))
    loss.backward()
    with pytest.warns(gad.debug.PrecisionWarning, match=r"array\(s\) of float128 were cast"):
        report = check(loss)
    assert report.ok and "array(s) of float128 were checked in float64" in str(report)
    assert "float32" not in str(report)
