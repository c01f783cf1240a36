"""debug.isolation: op copies share nothing with the op; a check leaves random states, classes, globals unchanged."""

from __future__ import annotations

import random
import threading
import warnings

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable, Parameter, Tensor
from graphviz_autodiff.call import latest_output
from graphviz_autodiff.debug import gradcheck
from graphviz_autodiff.debug.isolation import clone_op, quiet
from graphviz_autodiff.nn import Module
from graphviz_autodiff.ops import Dropout, Linear, Squared

COUNTER = 0


@pytest.fixture(autouse=True)
def _keep_random_states():
    """These tests reseed the global generators; give the rest of the suite its own states back."""
    library, legacy, python = gad.rng.get_generator(), np.random.get_state(), random.getstate()
    yield
    gad.rng.set_generator(library)
    np.random.set_state(legacy)
    random.setstate(python)


class Noisy(Differentiable):
    """Draws from every global generator and writes a module global and a class attribute in forward."""

    calls = 0

    def forward(self, x):
        global COUNTER
        COUNTER += 1
        type(self).calls += 1
        type(self).seen = True
        noise = np.random.random() + random.random() + gad.rng.get_generator().random()
        return x * (1.0 + 0.0 * noise)

    def backward(self, upstream_grad):
        return upstream_grad


def test_clone_op_copies_parameters_and_saved_arrays_and_drops_the_call_link():
    lin = Linear(2, theta=np.array([1.0, 2.0]))
    out = lin(np.ones((3, 2)))  # kept alive: the op links to it weakly
    lin.theta.grad = np.array([5.0, 5.0])
    clone = clone_op(lin)
    assert clone is not lin and clone.theta is not lin.theta
    np.testing.assert_array_equal(clone.theta.data, [1.0, 2.0])
    clone.theta.data[0] = 9.0
    clone.x[0, 0] = -1.0
    assert lin.theta.data[0] == 1.0 and lin.x[0, 0] == 1.0
    assert latest_output(clone) is None and latest_output(lin) is out


def test_clone_op_strips_links_of_sub_ops_and_shares_held_tensors():
    class Wrapper(Module):
        def __init__(self):
            super().__init__()
            self.inner = Squared()
            self.target = Tensor(np.zeros(2))

    w = Wrapper()
    out = w.inner(np.ones(2), np.zeros(2))
    clone = clone_op(w)
    assert latest_output(clone.inner) is None and latest_output(w.inner) is out
    assert clone.target is w.target


def test_clone_op_falls_back_to_a_shallow_copy_for_an_op_holding_a_lock():
    class Locked(Differentiable):
        def __init__(self):
            self.lock = threading.Lock()
            self.w = Parameter(np.array([1.0, 2.0]), name="w")
            self.cache = np.zeros(2)

    op = Locked()
    clone = clone_op(op)
    assert clone.lock is op.lock
    assert clone.w is not op.w and clone.w.name == "w"
    clone.w.data[0] = 7.0
    clone.cache[0] = 7.0
    assert op.w.data[0] == 1.0 and op.cache[0] == 0.0


def test_quiet_silences_warnings_and_floating_point_errors_then_puts_them_back():
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        with quiet():
            warnings.warn("hidden", UserWarning, stacklevel=1)
            assert np.isinf(np.array([1.0]) / 0.0)[0]
            assert set(np.geterr().values()) == {"ignore"}
        assert set(np.geterr().values()) == {"raise"}
        with pytest.raises(UserWarning, match="shown"):
            warnings.warn("shown", UserWarning, stacklevel=1)


def test_a_check_restores_random_states_globals_and_class_attributes():
    np.random.seed(3)
    random.seed(3)
    gad.manual_seed(3)
    expected = (np.random.random(), random.random(), gad.rng.get_generator().random())
    np.random.seed(3)
    random.seed(3)
    gad.manual_seed(3)
    before = COUNTER
    assert gradcheck(Noisy(), np.array([1.0, 2.0])).ok
    assert before == COUNTER and Noisy.calls == 0 and not hasattr(Noisy, "seen")
    assert (np.random.random(), random.random(), gad.rng.get_generator().random()) == expected


def test_a_stochastic_op_draws_the_same_numbers_in_every_forward_of_a_check():
    x = np.linspace(-1.0, 1.0, 8)
    gad.manual_seed(9)
    expected = Dropout(0.5)(x).data  # the mask the next call would draw without a check in between
    gad.manual_seed(9)
    result = gradcheck(Dropout(0.5), x)  # passes only if every perturbed forward drew the same mask
    assert result.ok, result.message
    np.testing.assert_array_equal(Dropout(0.5)(x).data, expected)
