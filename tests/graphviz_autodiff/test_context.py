"""Recording state is per thread (issue 13.5): two threads training and recording at once get separate,
correct graphs and gradients.

Each test runs two threads that meet at barriers, so that one is inside a block (``with Graph()``,
``no_record()``, ``group()``, ``detect_anomaly()``, a ``backward``) exactly while the other records or
runs its own: the overlap is forced, not left to the scheduler.
"""

from __future__ import annotations

import contextvars
import threading

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable, Graph, Tensor
from graphviz_autodiff.context import DEFAULT_MODE, get_mode, local
from graphviz_autodiff.errors import NonFiniteError
from graphviz_autodiff.ops import Identity, Linear, Log, Squared, Sum


def run_together(*targets):
    """Run each target in its own thread, re-raising the first error; return their results."""
    results: list = [None] * len(targets)
    errors: list[BaseException] = []

    def wrap(i, target):
        try:
            results[i] = target()
        except BaseException as error:  # re-raised in the main thread
            errors.append(error)

    threads = [threading.Thread(target=wrap, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


def labels(graph):
    return sorted(graph.nx.nodes[n]["label"] for n in graph.nx)


def test_two_graph_blocks_at_once():
    barrier = threading.Barrier(2)

    def record(name):
        with Graph(name=name) as g:
            barrier.wait()  # both blocks are open now
            x = Tensor(np.array([1.0, 2.0]), name=f"x_{name}")
            out = Identity(name=f"id_{name}")(x)
            barrier.wait()
            y = Squared(name=f"sq_{name}")(out, np.zeros(2))
        return g, y

    (ga, ya), (gb, yb) = run_together(lambda: record("a"), lambda: record("b"))
    assert ya.graph is ga and yb.graph is gb and ga is not gb
    assert len(ga) == len(gb) == 4
    assert {"x_a", "id_a", "sq_a"} <= set(labels(ga)) and not any(label.endswith("_b") for label in labels(ga))
    assert {"x_b", "id_b", "sq_b"} <= set(labels(gb)) and not any(label.endswith("_a") for label in labels(gb))


def test_a_block_in_one_thread_does_not_capture_the_other():
    inside, done = threading.Event(), threading.Event()

    def with_block():
        with Graph() as g:
            inside.set()
            done.wait(60)
            Identity(name="mine")(np.ones(2))
        return g

    def without_block():
        inside.wait(60)
        out = Identity(name="theirs")(np.ones(2))
        done.set()
        return out

    g, out = run_together(with_block, without_block)
    assert out.graph is not g
    assert "theirs" not in labels(g) and "mine" in labels(g)
    assert get_mode() == DEFAULT_MODE


def test_no_record_is_per_thread():
    inside, done = threading.Event(), threading.Event()

    def quiet():
        with gad.no_record():
            inside.set()
            done.wait(60)
            return Identity()(np.ones(2)), gad.is_recording()

    def loud():
        inside.wait(60)
        out = Identity()(np.ones(2))
        done.set()
        return out, gad.is_recording()

    (quiet_out, quiet_flag), (loud_out, loud_flag) = run_together(quiet, loud)
    assert quiet_out.graph is None and quiet_flag is False
    assert loud_out.graph is not None and loud_flag is True


class Meet(Differentiable):
    """An identity whose backward waits for the other thread's: both backward calls run at once."""

    def __init__(self, barrier):
        self.barrier = barrier

    def forward(self, x, data):
        return x * 1.0

    def backward(self, upstream_grad):
        needs_before = self.needs_input_grad
        self.barrier.wait()
        assert self.needs_input_grad == needs_before  # not the other thread's
        assert len(local().running) == 1
        return upstream_grad, (upstream_grad if needs_before[1] else None)


def test_concurrent_training_gives_each_thread_its_own_correct_gradients(regression_data):
    X, y = regression_data
    barrier = threading.Barrier(2)
    expected = np.linalg.lstsq(X, y, rcond=None)[0]

    def train(extra_needs_grad):
        linear = Linear(4)
        meet = Meet(barrier)
        extra = Tensor(np.zeros(len(X)), requires_grad=extra_needs_grad)
        optimizer = gad.optim.SGD(linear.parameters(), lr=0.005)
        for _ in range(300):
            loss = Sum()(Squared()(meet(Identity()(linear(X)), extra), y))
            loss.backward()
            ops = [n for n in loss.graph.nx if loss.graph.nx.nodes[n]["kind"] == "op"]
            assert len(ops) == 5 and len(loss.graph) == 9  # nothing of the other thread's
            optimizer.step()
        return linear.theta.data, extra.grad, gad.last_graph() is loss.graph

    (theta_a, extra_a, last_a), (theta_b, extra_b, last_b) = run_together(lambda: train(False), lambda: train(True))
    np.testing.assert_allclose(theta_a, expected, rtol=1e-6)
    np.testing.assert_allclose(theta_b, expected, rtol=1e-6)
    assert extra_a is None and extra_b is not None
    assert last_a and last_b


def test_groups_are_per_thread():
    inside, done = threading.Event(), threading.Event()

    def grouped():
        with gad.group("block A"):
            inside.set()
            done.wait(60)
            return Identity()(np.ones(2))

    def plain():
        inside.wait(60)
        out = Identity()(np.ones(2))
        done.set()
        return out

    a, b = run_together(grouped, plain)
    assert [info["label"] for info in a.graph.groups.values()] == ["block A"]
    assert b.graph.groups == {} and b.graph.nx.nodes[b.node]["groups"] == ()


def test_anomaly_mode_is_per_thread():
    inside, done = threading.Event(), threading.Event()

    def strict():
        with gad.detect_anomaly():
            inside.set()
            done.wait(60)
            with pytest.raises(NonFiniteError, match=r"Log\.forward produced 1 NaN"), np.errstate(invalid="ignore"):
                Log()(np.array([-1.0]))
            return gad.is_anomaly_enabled()

    def lenient():
        inside.wait(60)
        with np.errstate(invalid="ignore"):
            out = Log()(np.array([-1.0]))
        done.set()
        return gad.is_anomaly_enabled(), out

    on, (off, out) = run_together(strict, lenient)
    assert on is True and off is False and np.isnan(out.data).all()


def test_a_copied_context_keeps_its_own_mode():
    with gad.no_record():
        copied = contextvars.copy_context()
    assert gad.is_recording() and not copied.run(gad.is_recording)
