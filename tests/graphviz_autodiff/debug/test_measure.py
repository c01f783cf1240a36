"""debug.measure: measure_call records raw numbers on a copy of the op, never raises for it; independent streams."""

from __future__ import annotations

import numpy as np
import pytest

from graphviz_autodiff import Differentiable
from graphviz_autodiff.debug.measure import Streams, measure_call, random_streams, user_location
from graphviz_autodiff.debug.numeric import numeric_gradient
from graphviz_autodiff.errors import ShapeRuleError
from graphviz_autodiff.ops import Linear, Squared

MU, Y = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.0, -1.0])


def measure(op, arrays, needs, **kwargs):
    settings = {"upstreams": [None], "eps": 1e-6, "streams": random_streams(0), "label": type(op).__name__}
    return measure_call(op, arrays, needs, None, **{**settings, **kwargs})


def test_random_streams_are_independent_and_reproducible():
    a, b = random_streams(0), random_streams(0)
    assert isinstance(a, Streams)
    x, u, p = a.inputs.standard_normal(4), a.upstream.standard_normal(4), a.perturbation.standard_normal(4)
    assert not np.isin(x, u).any() and not np.isin(u, p).any()
    np.testing.assert_array_equal(b.inputs.standard_normal(4), x)
    assert not np.array_equal(random_streams(0, 1).inputs.standard_normal(4), x)
    np.testing.assert_array_equal(random_streams(0, 1).upstream.random(2), random_streams(0, 1).upstream.random(2))


def test_a_correct_op_gives_its_output_gradients_and_differences():
    up = np.array([1.0, -1.0, 2.0])
    ev = measure(Squared(), [MU, Y], (True, True), upstreams=[up])
    assert [(s.name, s.role, s.shape, s.needs) for s in ev.slots] == [
        ("mu", "argument", (3,), True),
        ("y", "argument", (3,), True),
    ]
    np.testing.assert_array_equal(ev.output, (MU - Y) ** 2)
    assert ev.forward_error is None and ev.cast == ()
    trial = ev.trials[0]
    np.testing.assert_array_equal(trial.upstream, up)
    assert trial.count == 2 and trial.error is None
    np.testing.assert_allclose(trial.gradients[0].values, 2 * (MU - Y) * up)
    np.testing.assert_allclose(trial.gradients[1].values, -2 * (MU - Y) * up)
    for d, expected in zip(trial.differences, [2 * (MU - Y) * up, -2 * (MU - Y) * up]):
        np.testing.assert_allclose(numeric_gradient(d)[0], expected, rtol=1e-7)


def test_the_users_op_and_parameters_are_left_untouched():
    lin = Linear(2, theta=np.array([1.0, -1.0]))
    out = lin(np.ones((3, 2)))
    state = dict(lin.__dict__)
    ev = measure(lin, [np.ones((3, 2), dtype=np.float32)], (True,))
    assert lin.__dict__ == state and lin.theta.grad is None and lin(np.ones((1, 2))) is not out
    assert [(s.name, s.role, s.dtype) for s in ev.slots] == [
        ("x", "argument", "float32"),
        ("theta", "parameter", "float64"),
    ]
    assert ev.cast == ("float32",)
    np.testing.assert_allclose(ev.trials[0].gradients[1].values, np.ones((3, 2)).T @ ev.trials[0].upstream)


class Crashes(Differentiable):
    def forward(self, x):
        return x + undefined_name  # noqa: F821


class BackwardCrashes(Differentiable):
    def forward(self, x):
        return 2 * x

    def backward(self, upstream_grad):
        raise ValueError("broken backward")


def test_what_the_op_raises_is_recorded_not_raised():
    ev = measure(Crashes(), [MU], (True,))
    assert ev.forward_error == "NameError: name 'undefined_name' is not defined"
    assert ev.forward_where == f"test_measure.py:{Crashes.forward.__code__.co_firstlineno + 1}"
    assert ev.trials == ()
    ev = measure(BackwardCrashes(), [MU], (True,))
    assert ev.trials[0].error == "ValueError: broken backward"


def test_an_upstream_of_the_wrong_shape_from_the_caller_raises():
    message = r"gradcheck\(Squared\): upstream_grad has shape \(4,\) but the output has shape \(3,\)"
    with pytest.raises(ShapeRuleError, match=message):
        measure(Squared(), [MU, Y], (True, True), upstreams=[np.ones(4)])


def test_user_location_skips_library_and_numpy_frames():
    first = test_user_location_skips_library_and_numpy_frames.__code__.co_firstlineno
    with pytest.raises(ValueError, match="n_features=3") as raised:
        Linear(3)(np.ones((2, 2)))
    assert user_location(raised.value) == f"test_measure.py:{first + 3}"
    with pytest.raises(ValueError, match="matmul") as raised:
        np.ones(2) @ np.ones(3)
    assert user_location(raised.value) == f"test_measure.py:{first + 6}"


class DoublesInPlace(Differentiable):
    def forward(self, x):
        x *= 2
        return x

    def backward(self, upstream_grad):
        return 2 * upstream_grad


class TriplesUpstreamInPlace(Differentiable):
    def forward(self, x):
        return 3 * x

    def backward(self, upstream_grad):
        upstream_grad *= 3
        return upstream_grad


def test_in_place_changes_of_inputs_and_upstream_are_recorded_and_the_callers_arrays_kept():
    x = np.array([1.0, 2.0])
    ev = measure(DoublesInPlace(), [x], (True,))
    assert ev.mutated_inputs == ("x",)
    np.testing.assert_array_equal(x, [1.0, 2.0])
    np.testing.assert_array_equal(ev.output, [2.0, 4.0])
    up = np.array([1.0, -1.0])
    ev = measure(TriplesUpstreamInPlace(), [x], (True,), upstreams=[up])
    assert ev.mutated_inputs == () and ev.trials[0].mutated_upstream
    np.testing.assert_array_equal(up, [1.0, -1.0])
