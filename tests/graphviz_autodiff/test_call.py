"""graphviz_autodiff.call: a call's snapshot of its op's state, restore and undo, the link to the latest call."""

from __future__ import annotations

import numpy as np

import graphviz_autodiff as gad
from graphviz_autodiff.call import LINK, Call, forget_call, latest_output, undo_restores
from graphviz_autodiff.ops import Linear, Squared


def test_each_call_keeps_what_forward_saved_although_the_op_is_called_again():
    sq = Squared()
    first = sq(np.array([1.0, 2.0]), np.zeros(2))
    second = sq(np.array([5.0]), np.zeros(1))
    assert isinstance(first.call, Call)
    np.testing.assert_array_equal(sq.mu, [5.0])
    np.testing.assert_array_equal(first.call.saved["mu"], [1.0, 2.0])
    np.testing.assert_array_equal(second.call.saved["mu"], [5.0])
    assert first.call.needs == (True, True)
    assert first.call.stamp < second.call.stamp
    assert repr(first.call) == f"<Call Squared #{first.call.stamp}: 2 inputs, 0 params>"


def test_restore_puts_the_calls_state_back_and_undo_restores_gives_the_newer_state_back():
    sq = Squared()
    first = sq(np.array([1.0, 2.0]), np.array([0.5, 0.5]))
    sq(np.array([7.0]), np.zeros(1))
    undo: dict = {}
    first.call.restore(undo)
    np.testing.assert_array_equal(sq.mu, [1.0, 2.0])
    np.testing.assert_array_equal(sq.y, [0.5, 0.5])
    assert list(undo) == [id(sq)]
    undo_restores(undo)
    np.testing.assert_array_equal(sq.mu, [7.0])
    assert undo == {}


def test_restore_of_the_latest_call_changes_nothing_and_records_no_undo():
    sq = Squared()
    out = sq(np.array([3.0]), np.zeros(1))
    undo: dict = {}
    out.call.restore(undo)
    assert undo == {}
    np.testing.assert_array_equal(sq.mu, [3.0])


def test_gradients_of_a_shared_op_use_each_calls_own_inputs():
    # One Linear applied to two inputs: θ's gradient is X1ᵀg1 + X2ᵀg2, which needs each call's own X.
    x1, x2 = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[-1.0, 0.5]])
    lin = Linear(2, theta=np.array([0.3, -0.2]))
    total = gad.ops.Sum()(lin(x1)) + gad.ops.Sum()(lin(x2))
    total.backward()
    np.testing.assert_allclose(lin.theta.grad, x1.sum(axis=0) + x2.sum(axis=0))


def test_latest_output_and_previous_output_follow_calls_in_one_graph():
    sq = Squared()
    first = sq(gad.Tensor(np.array([1.0, 2.0]), name="mu"), np.zeros(2))
    second = sq(first, np.ones(2))  # a loop applying the same op: one graph
    assert latest_output(sq) is second
    assert second.call.previous_output() is first
    assert first.call.previous_output() is None
    unrelated = sq(np.array([3.0]), np.zeros(1))  # another graph: no previous call there
    assert unrelated.call.previous_output() is None


def test_forget_call_drops_the_link():
    sq = Squared()
    sq(np.array([1.0]), np.zeros(1))
    assert LINK in sq.__dict__
    forget_call(sq)
    assert LINK not in sq.__dict__
    assert latest_output(sq) is None
    forget_call(sq)  # a second time is harmless
    assert latest_output(Squared()) is None
