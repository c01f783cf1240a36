"""The backward engine: chain rule, fan-out, weight sharing, manual chains, step generator."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable, Parameter, Tensor
from graphviz_autodiff.ops import MSE, Identity, Linear, Mul, Squared, Sum
from tests.conftest import StudentIdentity, StudentLinear, StudentLinearAdds, StudentSquared, StudentSum


def numeric_grad(f, x, eps=1e-6):
    """Central finite differences of scalar f with respect to array x (modified in place, restored)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        plus = f()
        x[i] = old - eps
        minus = f()
        x[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def lecture_loss(X, y, linear, act=None, sq=None, total=None):
    act, sq, total = act or Identity(), sq or Squared(), total or Sum()
    return total(sq(act(linear(X)), y))


class TestLinearRegression:
    def test_sgd_recovers_least_squares(self, regression_data):
        X, y = regression_data
        linear = Linear(4)
        opt = gad.optim.SGD(linear.parameters(), lr=0.005)
        for _ in range(500):
            loss = Sum()(Squared()(Identity()(linear(X)), y))
            loss.backward()
            opt.step()
        expected = np.linalg.lstsq(X, y, rcond=None)[0]
        np.testing.assert_allclose(linear.theta.data, expected, rtol=1e-6)

    def test_gradient_matches_formula_and_finite_differences(self, regression_data):
        X, y = regression_data
        linear = Linear(4, theta=np.array([0.3, -0.1, 0.2, 0.5]))
        loss = lecture_loss(X, y, linear)
        loss.backward()
        expected = 2 * X.T @ (X @ linear.theta.data - y)
        np.testing.assert_allclose(linear.theta.grad, expected, rtol=1e-12)
        theta = linear.theta.data
        numeric = numeric_grad(lambda: float(np.sum((X @ theta - y) ** 2)), theta)
        np.testing.assert_allclose(linear.theta.grad, numeric, rtol=1e-6)

    def test_gradients_of_every_tensor_have_their_shapes(self, regression_data):
        X, y = regression_data
        x_leaf, y_leaf = Tensor(X, name="X"), Tensor(y, name="y")
        z = Linear(4)(x_leaf)
        mu = Identity()(z)
        s = Squared()(mu, y_leaf)
        loss = Sum()(s)
        loss.backward()
        for t in (x_leaf, y_leaf, z, mu, s, loss):
            assert t.grad.shape == t.data.shape
        np.testing.assert_allclose(y_leaf.grad, -2 * (mu.data - y))


class TestPasses:
    def test_gradients_do_not_accumulate_across_passes(self, regression_data):
        X, y = regression_data
        for cls in (StudentLinear, StudentLinearAdds, Linear):
            linear = cls(4)
            first = lecture_loss(X, y, linear)
            first.backward()
            g1 = linear.theta.grad.copy()
            first.backward()
            np.testing.assert_allclose(linear.theta.grad, g1)
            lecture_loss(X, y, linear).backward()
            np.testing.assert_allclose(linear.theta.grad, g1)

    def test_assign_and_add_styles_agree(self, regression_data):
        X, y = regression_data
        a, b = StudentLinear(4), StudentLinearAdds(4)
        a.theta.data[:] = b.theta.data[:] = [0.1, 0.2, 0.3, 0.4]
        lecture_loss(X, y, a).backward()
        lecture_loss(X, y, b).backward()
        np.testing.assert_allclose(a.theta.grad, b.theta.grad)
        np.testing.assert_allclose(a.theta.grad, 2 * X.T @ (X @ a.theta.data - y))


class TestManualChain:
    def test_manual_chain_equals_automatic(self, regression_data):
        X, y = regression_data
        linear, act, sq, total = StudentLinear(4), StudentIdentity(), StudentSquared(), StudentSum()
        linear.theta.data[:] = [0.5, -0.5, 1.0, 0.0]
        loss = total(sq(act(linear(X)), y))
        loss.backward()
        auto_theta = linear.theta.grad.copy()
        graph = loss.graph
        auto_nodes = {n: graph.nx.nodes[n]["grad"] for n in graph.nx}

        d_sq = total.backward(1.0)
        d_mu, d_y = sq.backward(d_sq)
        d_z = act.backward(d_mu)
        d_x = linear.backward(d_z)

        np.testing.assert_allclose(linear.theta.grad, auto_theta)
        assert d_x.shape == X.shape and d_y.shape == y.shape
        for n, grad in auto_nodes.items():
            np.testing.assert_allclose(graph.nx.nodes[n]["grad"], grad, err_msg=f"node {n}")
            assert graph.nx.nodes[n]["status"] == "done"

    @pytest.mark.parametrize("keep_output", [True, False])
    def test_manual_chain_repeated_is_fresh(self, regression_data, keep_output):
        X, y = regression_data
        linear, act, sq, total = StudentLinearAdds(4), Identity(), Squared(), Sum()
        loss = total(sq(act(linear(X)), y))
        if not keep_output:
            del loss  # the recorded call is gone: backward still runs on the op's cached state
        for _ in range(3):
            linear.backward(act.backward(sq.backward(total.backward(1.0))[0]))
        np.testing.assert_allclose(linear.theta.grad, -2 * X.T @ y)

    def test_manual_chain_with_builtin_ops_returns_user_values(self):
        x = np.array([1.0, 2.0, 3.0])
        sq, total = Squared(), Sum()
        total(sq(x, np.zeros(3)))
        d_sq = total.backward(1.0)
        np.testing.assert_array_equal(d_sq, np.ones(3))
        d_mu, d_y = sq.backward(d_sq)
        np.testing.assert_array_equal(d_mu, 2 * x)
        np.testing.assert_array_equal(d_y, -2 * x)


class TestWeightSharing:
    def test_same_op_called_twice_matches_finite_differences(self):
        rng = np.random.default_rng(0)
        W = rng.normal(size=(3, 3))
        x = rng.normal(size=(2, 3))
        linear = StudentMatrixLinear(W)
        loss = Sum()(Squared()(linear(linear(x)), np.zeros((2, 3))))
        loss.backward()
        Wp = linear.W.data
        numeric = numeric_grad(lambda: float(np.sum(((x @ Wp) @ Wp) ** 2)), Wp)
        np.testing.assert_allclose(linear.W.grad, numeric, rtol=1e-6)
        assert loss.graph.nx.nodes[loss.graph.op_nodes()[1]]["call_index"] == 1

    def test_state_after_backward_is_the_latest_call(self):
        linear = StudentMatrixLinear(np.eye(2))
        x = np.array([[1.0, 2.0]])
        h = linear(x)
        out = linear(h * 3.0)
        latest = linear.x
        out.sum().backward()
        assert linear.x is latest

    def test_manual_chain_walks_shared_calls_in_reverse(self):
        rng = np.random.default_rng(1)
        W = rng.normal(size=(2, 2))
        x = rng.normal(size=(1, 2))
        linear, total = StudentMatrixLinear(W), StudentSum()
        loss = total(linear(linear(x)))
        loss.backward()
        auto = linear.W.grad.copy()
        loss = total(linear(linear(x)))  # a new forward pass, kept alive
        linear.backward(linear.backward(total.backward(1.0)))
        np.testing.assert_allclose(linear.W.grad, auto)

    def test_loop_of_calls(self):
        scale = Scale(1.1)
        x = Tensor(np.array([1.0, -2.0]), name="x")
        h = x
        for _ in range(5):
            h = scale(h)
        h.sum().backward()
        np.testing.assert_allclose(scale.a.grad, 5 * 1.1**4 * (1.0 - 2.0))
        np.testing.assert_allclose(x.grad, [1.1**5, 1.1**5])


class StudentMatrixLinear(Differentiable):
    def __init__(self, W):
        self.W = Parameter(W, name="W")

    def forward(self, x):
        self.x = x
        return x @ self.W

    def backward(self, upstream_grad):
        self.W.grad = self.x.T @ upstream_grad
        return upstream_grad @ self.W.T


class Scale(Differentiable):
    def __init__(self, a):
        self.a = Parameter(a, name="a")

    def forward(self, x):
        self.x = x
        return self.a * x

    def backward(self, upstream_grad):
        self.a.grad = np.sum(upstream_grad * self.x)
        return upstream_grad * self.a


class TestFanOut:
    def test_fan_out_accumulates(self):
        x = Tensor(np.array([1.0, 2.0, 3.0]), name="x")
        a = x * x
        b = x * 3.0
        loss = (a + b).sum()
        steps = list(gad.iter_backward(loss))
        loss.backward()
        np.testing.assert_allclose(x.grad, 2 * x.data + 3)
        assert x.graph.nx.nodes[x.node]["grad"] is not None
        np.testing.assert_allclose(x.graph.nx.nodes[x.node]["grad"], 2 * x.data + 3)
        assert [s.n_consumers for s in steps][:2] == [0, 1]

    def test_upstream_is_summed_over_consumers(self):
        x = np.array([1.0, 2.0])
        h = Identity()(x)
        loss = (h * 2.0 + h * 5.0).sum()
        steps = {s.label: s for s in gad.iter_backward(loss)}
        np.testing.assert_allclose(steps["Identity"].upstream_grad, [7.0, 7.0])
        assert steps["Identity"].n_consumers == 2

    def test_same_tensor_twice_in_one_call(self):
        x = Tensor(np.array([3.0]), name="x")
        y = x * x
        y.sum().backward()
        np.testing.assert_allclose(x.grad, [6.0])
        assert x.graph.nx.edges[x.node, y.node]["args"] == (0, 1)


class TestStepGenerator:
    def test_one_step_per_call_in_reverse_topological_order(self, regression_data):
        X, y = regression_data
        linear = Linear(4)
        with gad.Graph() as graph:
            h = Identity()(linear(X))
            loss = MSE()(h * 2.0 + h, y)
            unrelated = Sum()(linear(X))  # a call loss does not depend on, same graph
        assert loss.graph is graph and unrelated.graph is graph
        steps = list(gad.iter_backward(loss))
        depends = {n for n in nx.ancestors(graph.nx, loss.node) | {loss.node} if graph.nx.nodes[n]["kind"] == "op"}
        assert [s.node for s in steps].count(None) == 0
        assert sorted(s.node for s in steps) == sorted(depends)
        position = {s.node: i for i, s in enumerate(steps)}
        for u, v in graph.nx.subgraph(depends).edges:
            assert position[v] < position[u], f"{v} consumes {u} but was stepped after it"
        assert [s.index for s in steps] == list(range(len(steps)))

    def test_steps_record_upstream_and_grads(self):
        x = np.array([1.0, 2.0])
        loss = Sum()(Squared()(x, np.zeros(2)))
        sum_step, sq_step = gad.iter_backward(loss)
        assert sum_step.label == "Sum" and sum_step.upstream_grad.shape == ()
        np.testing.assert_allclose(sq_step.upstream_grad, [1.0, 1.0])
        np.testing.assert_allclose(sq_step.grads[0], [2.0, 4.0])
        assert sq_step.inputs == tuple(loss.graph.nx.predecessors(sq_step.node))

    def test_graph_attributes_follow_the_walk(self):
        x = np.array([1.0, 2.0])
        loss = Sum()(Squared()(x, np.zeros(2)))
        G = loss.graph.nx
        assert all(G.nodes[n]["status"] == "forward" and G.nodes[n]["grad"] is None for n in G)
        walk = gad.iter_backward(loss)
        first = next(walk)
        assert G.nodes[first.node]["status"] == "done"
        sq_node = next(iter(G.predecessors(first.node)))
        assert G.nodes[sq_node]["status"] == "pending"
        np.testing.assert_allclose(G.edges[sq_node, first.node]["grad"], [1.0, 1.0])
        list(walk)
        assert all(G.nodes[n]["status"] == "done" for n in G)

    def test_partial_walk_commits_nothing(self, regression_data):
        X, y = regression_data
        linear = Linear(4)
        loss = lecture_loss(X, y, linear)
        walk = gad.iter_backward(loss)
        next(walk)
        next(walk)
        assert linear.theta.grad is None and loss.grad is None

    def test_record_mode_goes_on_after_a_failing_node(self):
        x = Tensor(np.array([1.0, 2.0]), name="x")
        w = Tensor(np.array([3.0, 4.0]), name="w")
        loss = (Raises()(x) + w * 2.0).sum()
        steps = list(gad.iter_backward(loss, on_error="record"))
        by_label = {s.label: s for s in steps}
        assert by_label["Raises"].status == "failed"
        assert isinstance(by_label["Raises"].error, ZeroDivisionError)
        assert by_label["Mul"].status == "done"
        assert x.grad is None and w.grad is None
        G = loss.graph.nx
        assert G.nodes[by_label["Raises"].node]["status"] == "failed"
        assert "ZeroDivisionError" in G.nodes[by_label["Raises"].node]["error"]
        assert G.nodes[x.node]["status"] == "skipped"


class Raises(Differentiable):
    def forward(self, x):
        return x * 1.0

    def backward(self, upstream_grad):
        return 1 / 0


class TestNonDifferentiableArguments:
    def test_none_for_integer_argument(self):
        loss = Sum()(PickOp()(np.array([1.0, 2.0, 3.0]), np.array([2, 0])))
        loss.backward()
        assert loss.graph is not None

    def test_requires_grad_false_leaf_accepts_none_and_gets_no_grad(self):
        X = Tensor(np.ones((3, 2)), requires_grad=False)
        linear = Linear(2)
        loss = Sum()(linear(X))
        steps = list(gad.iter_backward(loss))
        assert steps[-1].grads == (None,)
        loss.backward()
        assert X.grad is None
        np.testing.assert_allclose(linear.theta.grad, [3.0, 3.0])


class PickOp(Differentiable):
    def forward(self, x, idx):
        self.x, self.idx = x, idx
        return x[idx]

    def backward(self, upstream_grad):
        g = np.zeros_like(self.x)
        np.add.at(g, self.idx, upstream_grad)
        return g, None


def test_backward_on_leaf_sets_its_grad():
    x = Tensor(np.array(2.0))
    x.backward()
    assert x.grad == 1.0


def test_explicit_upstream_for_non_scalar():
    x = Tensor(np.array([1.0, 2.0]), name="x")
    h = x * 3.0
    h.backward(np.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad, [3.0, 30.0])


@pytest.mark.parametrize("grad", [2.0, np.array(2.0)])
def test_scalar_upstream_accepted(grad):
    x = Tensor(np.array([1.0, 2.0]), name="x")
    loss = (x * x).sum()
    loss.backward(grad)
    np.testing.assert_allclose(x.grad, [4.0, 8.0])


# -- issue 13: no silent wrong gradient -------------------------------------------------------------------
class RoundToInt(Differentiable):
    """A forward that returns integers: the gradient path stops here."""

    def forward(self, x):
        return np.round(x).astype(np.int64)

    def backward(self, upstream_grad):
        return upstream_grad


class TestNoStaleGradient:
    """Issue 13.2: a pass never leaves the previous pass's .grad behind a cut."""

    def test_parameters_behind_an_integer_output_get_none_and_a_warning(self, regression_data):
        X, y = regression_data
        linear = Linear(4, theta=np.array([0.1, 0.2, 0.3, 0.4]))
        lecture_loss(X, y, linear).backward()
        assert linear.theta.grad is not None
        loss = Sum()(Squared()(RoundToInt()(linear(Tensor(X, requires_grad=False))), y))
        with pytest.warns(
            gad.errors.GradientCutWarning, match=r"RoundToInt \(graph node 3\) returned an array of dtype int64.*θ"
        ):
            loss.backward()
        assert linear.theta.grad is None
        G = loss.graph.nx
        assert [G.nodes[n]["label"] for n in (2, 3)] == ["Linear", "RoundToInt"]
        assert G.nodes[2]["status"] == "skipped" and G.nodes[3]["status"] == "skipped"

    def test_an_input_leaf_behind_a_cut_gets_none(self):
        x = Tensor(np.array([1.4, 2.6]), name="x")
        (x * x).sum().backward()
        assert x.grad is not None
        with pytest.warns(gad.errors.GradientCutWarning, match="no gradient reaches x"):
            Sum()(RoundToInt()(x * 2.0) * 1.0).backward()
        assert x.grad is None

    def test_a_parameter_reached_another_way_keeps_that_gradient_and_no_warning(self, recwarn):
        x = Tensor(np.array([1.0, 2.0]), name="x")
        loss = Sum()(x * 3.0 + RoundToInt()(x))
        loss.backward()
        np.testing.assert_array_equal(x.grad, [3.0, 3.0])
        assert not [w for w in recwarn if issubclass(w.category, gad.errors.GradientCutWarning)]

    def test_integer_labels_are_not_a_cut(self, recwarn):
        loss = Sum()(PickOp()(np.array([1.0, 2.0, 3.0]), np.array([2, 0])))
        loss.backward()
        assert not [w for w in recwarn if issubclass(w.category, gad.errors.GradientCutWarning)]


class GivesGradient(Differentiable):
    """backward returns whatever it was built with, for the single argument."""

    def __init__(self, grad):
        self.grad = grad

    def forward(self, x):
        return x * 1.0

    def backward(self, upstream_grad):
        return self.grad


class SetsThetaGrad(Differentiable):
    def __init__(self, grad):
        self.theta = Parameter(np.array([1.0, 2.0]), name="θ")
        self.value = grad

    def forward(self, x):
        return x * self.theta.data

    def backward(self, upstream_grad):
        self.theta.grad = self.value
        return upstream_grad * self.theta.data


class TestGradientTypes:
    """Issue 13.3: a gradient that is not real numbers is refused where it is made, naming the op and argument."""

    @pytest.mark.parametrize(
        ("grad", "dtype"),
        [
            (np.array([1.0 + 0j, 2.0]), "complex128"),
            (np.array([True, False]), "bool"),
            (np.array(["1", "2"]), "<U1"),
            (np.array([1.0, None], dtype=object), "object"),
        ],
        ids=["complex", "bool", "str", "object"],
    )
    def test_a_returned_gradient(self, grad, dtype):
        x = Tensor(np.array([1.0, 2.0]), name="x")
        x.grad = before = np.array([7.0, 7.0])
        loss = Sum()(GivesGradient(grad)(x))
        with pytest.raises(
            gad.errors.GradientTypeError,
            match=rf"GivesGradient\.backward gave the gradient for argument 0 \(x\) an array of dtype {dtype}",
        ):
            loss.backward()
        assert x.grad is before

    @pytest.mark.parametrize(
        ("grad", "dtype"),
        [(np.array([1j, 0j]), "complex128"), (np.array([True, True]), "bool"), ("abc", "<U3")],
        ids=["complex", "bool", "str"],
    )
    def test_a_parameter_grad_set_by_backward(self, grad, dtype):
        op = SetsThetaGrad(grad)
        op.theta.grad = before = np.array([5.0, 5.0])
        loss = Sum()(op(np.array([1.0, 1.0])))
        with pytest.raises(
            gad.errors.GradientTypeError,
            match=rf"SetsThetaGrad\.backward gave theta\.grad \(parameter theta\) an array of dtype {dtype}",
        ):
            loss.backward()
        assert op.theta.grad is before and op.theta.data.dtype == np.float64

    def test_a_complex_gradient_no_longer_turns_theta_complex(self):
        op = SetsThetaGrad(np.array([1j, 1j]))
        optimizer = gad.optim.SGD([op.theta], lr=0.1)
        with pytest.raises(gad.errors.GradientTypeError):
            Sum()(op(np.ones(2))).backward()
        optimizer.step()
        assert op.theta.data.dtype == np.float64

    def test_a_ragged_gradient(self):
        loss = Sum()(GivesGradient([np.ones(2), np.ones(3)])(np.array([1.0, 2.0])))
        with pytest.raises(gad.errors.GradientTypeError, match="not an array of numbers"):
            loss.backward()

    def test_integer_gradients_are_converted(self):
        x = Tensor(np.array([1.0, 2.0]), name="x")
        Sum()(GivesGradient(np.array([1, 2]))(x)).backward()
        assert x.grad.dtype == np.float64
        np.testing.assert_array_equal(x.grad, [1.0, 2.0])

    def test_complex_arguments_take_complex_gradients(self):
        x = Tensor(np.array([1.0 + 1j]), name="x")
        x.backward(np.array([2.0 + 0j]))
        assert x.grad.dtype == np.complex128


class ScalesUpstreamInPlace(Differentiable):
    """The issue's example: a backward that multiplies upstream_grad in place by 1000."""

    def forward(self, x):
        return x * 1.0

    def backward(self, upstream_grad):
        upstream_grad *= 1000.0
        return upstream_grad


class WritesThroughOut(ScalesUpstreamInPlace):
    def backward(self, grad):
        return np.multiply(grad, 2.0, out=grad)


class TestUpstreamIsReadOnly:
    """Issue 13.4: a backward writing into upstream_grad cannot change what other nodes recorded."""

    def _graph(self, op):
        x = Tensor(np.array([1.0, 2.0]), name="x")
        h = Identity()(x)
        out = Mul()(op(h), np.array([2000.0, 2000.0]))
        return x, h, out, Sum()(out)

    @pytest.mark.parametrize("op", [ScalesUpstreamInPlace, WritesThroughOut])
    def test_the_error_names_the_op_and_nothing_recorded_changes(self, op):
        _, _, out, loss = self._graph(op())
        steps = list(gad.iter_backward(loss, on_error="record"))
        failed = [s for s in steps if s.status == "failed"]
        assert len(failed) == 1 and isinstance(failed[0].error, gad.errors.InPlaceModificationError)
        assert f"{op.__name__}.backward modified" in str(failed[0].error) and "in place" in str(failed[0].error)
        G = loss.graph.nx
        np.testing.assert_array_equal(G.nodes[out.node]["grad"], [1.0, 1.0])
        np.testing.assert_array_equal(G.nodes[out.node]["grads"][0], [2000.0, 2000.0])  # not 2,000,000
        np.testing.assert_array_equal(G.edges[failed[0].node, out.node]["grad"], [2000.0, 2000.0])
        np.testing.assert_array_equal(failed[0].upstream_grad, [2000.0, 2000.0])

    def test_raised_by_backward_and_no_grad_changes(self):
        x, _, _, loss = self._graph(ScalesUpstreamInPlace())
        with pytest.raises(
            gad.errors.InPlaceModificationError,
            match=r"modified upstream_grad in place \(line: upstream_grad \*= 1000.0\)",
        ):
            loss.backward()
        assert x.grad is None and loss.grad is None

    def test_the_callers_own_gradient_stays_writable(self):
        x = Tensor(np.array([1.0, 2.0]), name="x")
        g = np.array([1.0, 1.0])
        (x * 2.0).backward(g)
        g[0] = 5.0  # the array the user passed is not locked
        np.testing.assert_array_equal(x.grad, [2.0, 2.0])


class ChangesTheta(Differentiable):
    def __init__(self, how):
        self.theta = Parameter(np.array([1.0, 2.0]), name="θ")
        self.how = how

    def forward(self, x):
        self.x = x
        return x * self.theta.data

    def backward(self, upstream_grad):
        self.theta.grad = upstream_grad * self.x
        if self.how == "step":
            self.theta -= 0.1 * self.theta.grad
        else:
            self.theta.data -= 0.1 * self.theta.grad
        return upstream_grad * self.theta.data


@pytest.mark.parametrize("how", ["step", "data"])
def test_a_backward_that_updates_its_parameter_is_stopped_and_the_parameter_kept(how):
    op = ChangesTheta(how)
    loss = Sum()(op(np.array([1.0, 1.0])))
    with pytest.raises(
        gad.errors.InPlaceModificationError, match=r"ChangesTheta\.backward (changed|modified) parameter theta"
    ):
        loss.backward()
    np.testing.assert_array_equal(op.theta.data, [1.0, 2.0])
    assert op.theta.grad is None and op.theta.data.flags.writeable
