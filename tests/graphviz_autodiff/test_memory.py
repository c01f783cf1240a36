"""Loops of any length must not grow memory: no global graph keeps dead tensors alive."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Tensor
from graphviz_autodiff.ops import Identity, Linear, Squared, Sum


def _train_step(linear, opt, X, y):
    loss = Sum()(Squared()(Identity()(linear(X)), y))
    loss.backward()
    opt.step()


def _inference_step(linear, opt, X, y):
    Identity()(linear(X))


def _explicit_leaf_step(linear, opt, X, y):
    loss = Sum()(Squared()(Identity()(linear(X)), y))
    loss.backward()
    opt.step()


def _traced_growth(step, *, record: bool, explicit_leaf: bool = False) -> tuple[int, int]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 4))
    y = rng.normal(size=32)
    if explicit_leaf:
        X = Tensor(X, name="X")
    linear = Linear(4)
    opt = gad.optim.SGD(linear.parameters(), lr=1e-3)
    with gad.graph.no_record() if not record else _nothing():
        tracemalloc.start()
        try:
            for _ in range(1_000):
                step(linear, opt, X, y)
            gc.collect()
            warm = tracemalloc.get_traced_memory()[0]
            for _ in range(10_000):
                step(linear, opt, X, y)
            gc.collect()
            after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
    return warm, after


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


@pytest.mark.parametrize(
    ("step", "record", "explicit"),
    [
        (_train_step, True, False),
        (_train_step, False, False),
        (_inference_step, True, False),
        (_inference_step, False, False),
        (_explicit_leaf_step, True, True),
    ],
    ids=["train-recorded", "train-unrecorded", "inference-recorded", "inference-unrecorded", "train-explicit-leaf"],
)
def test_loop_memory_is_flat(step, record, explicit):
    warm, after = _traced_growth(step, record=record, explicit_leaf=explicit)
    assert after - warm <= max(0.1 * warm, 100_000), f"grew from {warm} to {after} bytes"


def test_no_reference_cycles_created():
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        X = np.ones((8, 4))
        linear = Linear(4)
        for _ in range(200):
            loss = Sum()(Squared()(Identity()(linear(X)), np.zeros(8)))
            loss.backward()
        del loss
        found = gc.collect()
        assert found == 0, f"{found} objects were only reclaimable by the cycle collector"
        assert len(gc.get_objects()) - before < 200
    finally:
        gc.enable()
