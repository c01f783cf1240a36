"""debug.numeric: relative steps, contracted differences, the numeric gradient with its rounding bound, compare()."""

from __future__ import annotations

import numpy as np
import pytest

from graphviz_autodiff.debug import ArgumentCheck
from graphviz_autodiff.debug.numeric import compare, contract, numeric_gradient, relative_steps
from graphviz_autodiff.debug.verdict import Differences


def differences_of(f, x, upstream, eps=1e-6):
    """The Differences of Σ upstream ⊙ f at x, element by element, as the measuring side records them."""
    steps = relative_steps(x, eps, np.zeros_like(x))
    f0 = f(x)
    rows = []
    for k in range(x.size):
        plus, minus = x.copy(), x.copy()
        plus.flat[k] += steps.flat[k]
        minus.flat[k] -= steps.flat[k]
        rows.append(contract(upstream, f0, f(plus), f(minus)))
    central, right, left, scale = (np.array(c).reshape(x.shape) for c in zip(*rows))
    return Differences(central, right, left, scale, steps, steps, float(np.finfo(np.float64).eps))


def test_relative_steps_scale_with_the_value_and_the_jitter():
    x = np.array([0.0, 0.5, -3.0, 1e12])
    np.testing.assert_allclose(relative_steps(x, 1e-6, np.zeros(4)), [1e-6, 1e-6, 3e-6, 1e6])
    np.testing.assert_allclose(relative_steps(x, 1e-6, np.full(4, 0.5)), [1.5e-6, 1.5e-6, 4.5e-6, 1.5e6])


def test_contract_gives_central_right_left_and_scale():
    u = np.array([1.0, -2.0])
    f0, fp, fm = np.array([1.0, 1.0]), np.array([1.5, 0.0]), np.array([0.5, 3.0])
    central, right, left, scale = contract(u, f0, fp, fm)
    assert central == pytest.approx(1.0 * 1.0 + -2.0 * -3.0)
    assert right == pytest.approx(0.5 + -2.0 * -1.0)
    assert left == pytest.approx(0.5 + -2.0 * -2.0)
    assert scale == pytest.approx(1.0 * 2.0 + 2.0 * 3.0)


def test_contract_when_nothing_moved_or_forward_failed():
    u, f0 = np.array([1.0, -1.0]), np.array([3.0, 4.0])
    assert contract(u, f0, f0.copy(), f0.copy()) == (0.0, 0.0, 0.0, 2.0 * 7.0)
    assert all(np.isnan(contract(u, f0, None, f0)))
    assert all(np.isnan(contract(u, f0, np.zeros(3), f0)))


def test_numeric_gradient_matches_the_closed_form_and_finds_kinks():
    x = np.array([-1.5, 0.7, 2.0])
    u = np.array([1.0, 2.0, -0.5])
    values, bound, kinks = numeric_gradient(differences_of(lambda v: v**3, x, u))
    np.testing.assert_allclose(values, u * 3 * x**2, rtol=1e-8)
    assert np.all(bound > 0) and np.all(bound < 1e-8)
    assert not kinks.any()
    values, _, kinks = numeric_gradient(differences_of(np.abs, np.array([0.0, 1.0]), np.ones(2)))
    np.testing.assert_array_equal(kinks, [True, False])
    np.testing.assert_allclose(values[1], 1.0)


def record(analytic, status="ok"):
    return ArgumentCheck("x", "x", "argument", 0, np.shape(analytic), status=status, analytic=analytic)


def test_compare_passes_a_right_gradient_and_fails_a_wrong_one():
    n, quiet, none = np.array([2.0, -4.0]), np.zeros(2), np.zeros(2, dtype=bool)
    right = record(np.array([2.0, -4.0 + 1e-9]))
    compare(right, n, quiet, none, 1e-5, 1e-8)
    assert right.status == "ok" and right.max_abs_error == pytest.approx(1e-9)
    wrong = record(np.array([1.0, -2.0]))
    compare(wrong, n, quiet, none, 1e-5, 1e-8)
    assert wrong.status == "wrong_gradient"
    assert (wrong.max_abs_error, wrong.max_rel_error) == (pytest.approx(2.0), pytest.approx(0.5))


def test_compare_with_a_missing_or_nonfinite_gradient():
    quiet, none = np.zeros(2), np.zeros(2, dtype=bool)
    missing = record(None, status="pending_none")
    compare(missing, np.array([0.0, 1e-12]), quiet, none, 1e-5, 1e-8)
    assert (missing.status, missing.note) == ("ok", "no gradient, and none needed")
    needed = record(None, status="pending_none")
    compare(needed, np.array([0.0, 3.0]), quiet, none, 1e-5, 1e-8)
    assert needed.status == "no_gradient" and needed.max_abs_error == 3.0
    nan = record(np.array([np.nan, 1.0]))
    compare(nan, np.array([1.0, 1.0]), quiet, none, 1e-5, 1e-8)
    assert (nan.status, nan.count) == ("nonfinite_backward", "1 NaN of 2 values")


def test_compare_ignores_kinks_and_notes_them():
    r = record(np.array([5.0, 1.0]))
    compare(r, np.array([0.0, 1.0]), np.zeros(2), np.array([True, False]), 1e-5, 1e-8)
    assert (r.status, r.note) == ("ok", "kinks")
