"""detect_anomaly(): the first NaN/Inf in forward or backward raises, naming the node and the call site."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable, Parameter
from graphviz_autodiff.anomaly import detect_anomaly, is_anomaly_enabled
from graphviz_autodiff.errors import NonFiniteError
from graphviz_autodiff.ops import Identity, Log, Sum

HERE = __file__


class DividesByZero(Differentiable):
    """backward divides by x − x: infinite gradients from finite inputs."""

    def forward(self, x):
        self.x = x
        return 2.0 * x

    def backward(self, upstream_grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            return upstream_grad / (self.x - self.x)


class NaNParameterGrad(Differentiable):
    """backward sets a NaN parameter gradient."""

    def __init__(self):
        self.w = Parameter(np.ones(3), name="w")

    def forward(self, x):
        return x * self.w

    def backward(self, upstream_grad):
        self.w.grad = np.full(3, np.nan)
        return upstream_grad * self.w


def _line_after(marker: str) -> int:
    """The line number of the statement tagged with ``# <marker>`` in this file."""
    lines = inspect.getsource(inspect.getmodule(_line_after)).splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.rstrip().endswith(f"# {marker}"))


def test_forward_nan_raises_at_once_naming_node_and_line():
    with detect_anomaly():
        hidden = Identity()(np.array([1.0, -2.0, 3.0]))
        with np.errstate(invalid="ignore"), pytest.raises(NonFiniteError) as info:
            Log()(hidden)  # forward-site
    graph = hidden.graph
    log_node = max(graph.nx)
    message = str(info.value)
    assert message.startswith("Log.forward produced 1 NaN of 3 values")
    assert f"(graph node {log_node})" in message
    assert f"the call was made at {HERE}:{_line_after('forward-site')}" in message
    assert graph.nx.nodes[log_node]["site"] == f"{HERE}:{_line_after('forward-site')}"


def test_backward_inf_raises_naming_node_and_forward_line():
    x = np.array([1.0, 2.0])
    with detect_anomaly():
        hidden = DividesByZero()(x)  # backward-site
        loss = Sum()(hidden)
        with pytest.raises(NonFiniteError) as info:
            loss.backward()
    message = str(info.value)
    assert message.startswith("DividesByZero.backward produced 2 Inf of 2 values in the gradient for argument 0 (x)")
    assert f"(graph node {hidden.node})" in message
    assert f"the forward call was made at {HERE}:{_line_after('backward-site')}" in message
    assert hidden.grad is None and loss.grad is None  # a failed pass commits no gradient


def test_a_nan_parameter_gradient_raises():
    layer = NaNParameterGrad()
    with detect_anomaly():
        loss = Sum()(layer(np.ones(3)))
        expected = r"NaNParameterGrad\.backward produced 3 NaN of 3 values in the gradient for parameter w"
        with pytest.raises(NonFiniteError, match=expected):
            loss.backward()
    assert layer.w.grad is None


def test_without_anomaly_mode_nothing_raises_and_no_site_is_recorded():
    assert not is_anomaly_enabled()
    with np.errstate(invalid="ignore"):
        out = Log()(np.array([-1.0]))
    assert np.isnan(out.data).all()
    assert out.graph.nx.nodes[out.node]["site"] is None
    loss = Sum()(DividesByZero()(np.array([1.0])))
    with np.errstate(divide="ignore", invalid="ignore"):
        loss.backward()
    assert not np.isfinite(loss.graph.nx.nodes[0]["grad"]).all()


def test_the_previous_setting_is_restored_and_blocks_nest():
    assert not is_anomaly_enabled()
    with detect_anomaly():
        assert is_anomaly_enabled()
        with detect_anomaly(False):
            assert not is_anomaly_enabled()
            with np.errstate(invalid="ignore"):
                Log()(np.array([-1.0]))  # allowed here
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()
    with pytest.raises(NonFiniteError), detect_anomaly(), np.errstate(invalid="ignore"):
        Log()(np.array([-1.0]))
    assert not is_anomaly_enabled()  # restored after the exception too


def test_works_as_a_decorator():
    @detect_anomaly()
    def step():
        assert is_anomaly_enabled()
        return Log()(np.array([0.0]))

    with np.errstate(divide="ignore"), pytest.raises(NonFiniteError, match="1 Inf of 1 value"):
        step()
    assert not is_anomaly_enabled()


def test_under_no_record_forward_and_backward_still_raise():
    with detect_anomaly(), gad.no_record():
        with np.errstate(invalid="ignore"), pytest.raises(NonFiniteError) as forward:
            Log()(np.array([-1.0, 4.0]))
        loss = Sum()(DividesByZero()(np.array([3.0])))
        with pytest.raises(NonFiniteError) as backward:
            loss.backward()
    assert str(forward.value).startswith("Log.forward produced 1 NaN of 2 values")
    assert str(backward.value).startswith("DividesByZero.backward produced 1 Inf of 1 value")
