"""Maximum and Clip vs torch.maximum / torch.clamp (ties and bounds included) and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

from graphviz_autodiff.ops import Clip, Maximum

from .helpers import SETTINGS, TORCH_REASON, away_from, check_op

torch = pytest.importorskip("torch", reason=TORCH_REASON)
pytestmark = pytest.mark.oracle


@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), seed=st.integers(0, 2**16))
def test_maximum_with_broadcasting(shapes, seed):
    a_shape, b_shape = shapes.input_shapes
    rng = np.random.default_rng(seed)
    # a on the grid 0.25·k + 0.1 and b on 0.25·k + 0.2: |a − b| ≥ 0.1 everywhere, so finite
    # differences never cross the kink (ties are tested separately).
    a = rng.integers(-8, 9, size=a_shape) * 0.25 + 0.1
    b = rng.integers(-8, 9, size=b_shape) * 0.25 + 0.2
    check_op(Maximum, torch.maximum, [a, b], seed=seed)


def test_maximum_splits_the_gradient_of_ties_like_pytorch():
    a = np.array([1.0, 2.0, 3.0, -1.0])
    b = np.array([1.0, 5.0, 0.0, -1.0])
    check_op(Maximum, torch.maximum, [a, b], fd=False)


@SETTINGS
@given(
    shape=array_shapes(min_dims=1, max_dims=3, max_side=4),
    seed=st.integers(0, 2**16),
    bounds=st.sampled_from([(-1.0, 1.0), (0.0, None), (None, 0.5), (-0.25, 0.75)]),
)
def test_clip(shape, seed, bounds):
    low, high = bounds
    kinks = [b for b in bounds if b is not None]
    check_op(lambda: Clip(low, high), lambda x: torch.clamp(x, low, high), [shape], sample=away_from(kinks), seed=seed)


def test_clip_keeps_the_gradient_on_the_bounds_like_pytorch():
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    check_op(lambda: Clip(-1.0, 1.0), lambda t: torch.clamp(t, -1.0, 1.0), [x], fd=False)


def test_clip_with_low_above_high_matches_pytorch():
    x = np.array([-2.0, 0.5, 2.0])
    check_op(lambda: Clip(1.0, 0.0), lambda t: torch.clamp(t, 1.0, 0.0), [x], fd=False)


def test_clip_needs_a_bound_and_numbers():
    with pytest.raises(ValueError, match="Clip: give at least one bound"):
        Clip()
    with pytest.raises(ValueError, match="Clip: high must be a number or None, got 'x'"):
        Clip(0.0, "x")
