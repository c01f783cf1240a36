"""Tensor and Parameter behave like arrays where the lecture needs them to."""

from __future__ import annotations

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Parameter, Tensor
from graphviz_autodiff.ops import Add, MatMul, Mean, Mul, Neg, Pow, Sub, Sum, Transpose


class TestParameter:
    def test_works_where_an_ndarray_does(self):
        theta = Parameter(np.array([1.0, 2.0]), name="θ")
        x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        np.testing.assert_array_equal(x @ theta, [1.0, 2.0, 3.0])
        np.testing.assert_array_equal(theta @ x.T, [1.0, 2.0, 3.0])
        assert type(x @ theta) is np.ndarray
        assert type(theta * 2) is np.ndarray and type(np.exp(theta)) is np.ndarray
        assert np.asarray(theta) is theta.data
        np.testing.assert_array_equal(theta.T, theta.data)
        assert theta.shape == (2,) and len(theta) == 2 and theta[1] == 2.0

    def test_hashable_by_identity(self):
        a, b = Parameter([1.0]), Parameter([1.0])
        assert len({a, b}) == 2

    def test_integer_data_becomes_float(self):
        assert Parameter([1, 2]).data.dtype == np.float64

    def test_rejects_non_numeric(self):
        with pytest.raises(TypeError, match="expected a float array"):
            Parameter(np.array(["a"]), name="p")

    def test_as_op_argument_gets_gradient(self):
        W = Parameter(np.array([[1.0, 2.0], [3.0, 4.0]]), name="W")
        x = Tensor(np.array([[1.0, 1.0]]), name="x")
        out = (x @ W).sum()
        out.backward()
        np.testing.assert_array_equal(W.grad, [[1.0, 1.0], [1.0, 1.0]])
        G = out.graph.nx
        assert x.graph is out.graph
        (param_node,) = [n for n in G if G.nodes[n]["kind"] == "parameter"]
        assert G.nodes[param_node]["label"] == "W"


class TestParameterUpdates:
    """Issue 13.1: the lecture's update line keeps a parameter a parameter, with a new array in ``.data``."""

    @pytest.mark.parametrize(
        ("update", "expected"),
        [
            (lambda p, g: p.__isub__(0.5 * g), [0.0, 1.0]),
            (lambda p, g: p.__iadd__(0.5 * g), [2.0, 3.0]),
            (lambda p, g: p.__imul__(g), [2.0, 4.0]),
            (lambda p, g: p.__itruediv__(g), [0.5, 1.0]),
            (lambda p, g: np.subtract(p, g, out=p), [-1.0, 0.0]),
        ],
        ids=["-=", "+=", "*=", "/=", "np.subtract(out=)"],
    )
    def test_in_place_operators_keep_the_parameter(self, update, expected):
        theta = Parameter(np.array([1.0, 2.0]), name="θ")
        old = theta.data
        result = update(theta, np.array([2.0, 2.0]))
        assert result is theta and type(theta) is Parameter and theta.name == "θ"
        np.testing.assert_array_equal(theta.data, expected)
        assert theta.data is not old
        np.testing.assert_array_equal(old, [1.0, 2.0])  # the old array (maybe recorded in a graph) is untouched

    def test_augmented_assignment_statement(self):
        class Holder:
            pass

        holder = Holder()
        holder.theta = theta = Parameter(np.array([1.0, 2.0]), name="θ")
        holder.theta -= 0.5 * np.array([2.0, 2.0])
        assert holder.theta is theta
        np.testing.assert_array_equal(theta.data, [0.0, 1.0])

    def test_graphs_recorded_before_keep_the_old_value(self):
        linear = gad.ops.Linear(2, theta=np.array([1.0, 2.0]))
        z = linear(np.ones((1, 2)))
        (node,) = [n for n in z.graph.nx if z.graph.nx.nodes[n]["kind"] == "parameter"]
        linear.theta -= np.array([1.0, 1.0])
        np.testing.assert_array_equal(z.graph.nx.nodes[node]["value"], [1.0, 2.0])
        np.testing.assert_array_equal(linear.theta.data, [0.0, 1.0])

    def test_in_place_update_keeps_shape_and_dtype(self):
        theta = Parameter(np.array([1.0, 2.0]), name="θ")
        with pytest.raises(ValueError, match=r"would change its shape from \(2,\) to \(2, 2\)"):
            theta += np.ones((2, 2))
        with pytest.raises(TypeError, match="cannot take a value of dtype complex128"):
            theta -= np.array([1j, 0])
        np.testing.assert_array_equal(theta.data, [1.0, 2.0])
        theta += np.array([1, 1])  # integers are fine: the parameter stays float64
        assert theta.data.dtype == np.float64

    def test_assign(self):
        theta = Parameter(np.array([1.0, 2.0]), name="θ")
        theta.assign([3, 4])
        assert theta.data.dtype == np.float64
        np.testing.assert_array_equal(theta.data, [3.0, 4.0])
        with pytest.raises(TypeError, match=r"Linear\.theta: cannot take a value of dtype <U1"):
            theta.assign(np.array(["a", "b"]), where="Linear.theta")


class TestTensorOperators:
    @pytest.mark.parametrize(
        ("expr", "op_class"),
        [
            (lambda a, b: a + b, Add),
            (lambda a, b: a - b, Sub),
            (lambda a, b: a * b, Mul),
            (lambda a, b: a @ b, MatMul),
            (lambda a, b: a**2, Pow),
            (lambda a, b: -a, Neg),
            (lambda a, b: a.sum(), Sum),
            (lambda a, b: a.mean(), Mean),
            (lambda a, b: a.T, Transpose),
            (lambda a, b: 1.0 - a, Sub),
            (lambda a, b: b @ a, MatMul),
        ],
    )
    def test_operators_record_ops(self, expr, op_class):
        a = Tensor(np.eye(2), name="a")
        b = np.ones((2, 2))
        out = expr(a, b)
        assert isinstance(out, Tensor) and isinstance(out.op, op_class)
        assert out.graph.nx.nodes[out.node]["op_class"] == op_class.__name__

    def test_reflected_with_ndarray_on_the_left(self):
        a = Tensor(np.array([1.0, 2.0]), name="a")
        out = np.array([3.0, 4.0]) - a
        assert isinstance(out, Tensor)
        np.testing.assert_array_equal(out.data, [2.0, 2.0])

    def test_array_protocol(self):
        t = Tensor([1.0, 2.0])
        assert np.asarray(t) is t.data
        assert t.shape == (2,) and t.ndim == 1 and t.size == 2 and len(t) == 2
        assert float(Tensor(3.0)) == 3.0 and Tensor(3.0).item() == 3.0
        assert "Tensor 'z'" in repr(Tensor([1.0], name="z"))

    def test_integer_leaf_needs_no_grad(self):
        assert not Tensor(np.array([1, 2])).requires_grad
        assert Tensor(np.array([1.0])).requires_grad


def test_lecture_expression_with_operators_matches_formula():
    rng = np.random.default_rng(5)
    X = Tensor(rng.normal(size=(10, 3)), name="X")
    theta = Parameter(rng.normal(size=3), name="θ")
    y = rng.normal(size=10)
    loss = ((X @ theta - y) ** 2).mean()
    loss.backward()
    expected = 2 * X.data.T @ (X.data @ theta.data - y) / 10
    np.testing.assert_allclose(theta.grad, expected, rtol=1e-12)
    assert gad.last_graph() is loss.graph
