"""check(): every node of a recorded graph re-checked on the inputs it saw; the first culprit."""

from __future__ import annotations

import copy
import html.parser
import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable, Tensor, ops
from graphviz_autodiff.debug import DIAGNOSES, KINDS, NodeCheck, PrecisionWarning, Report, check, gradcheck
from graphviz_autodiff.i18n import UnknownLanguageError
from graphviz_autodiff.ops import Identity, Linear, Mul, Squared, Sum
from tests.buggy_ops import CASES, Case, build
from tests.buggy_ops.activations import SigmoidRef, SigmoidUsesOutput
from tests.buggy_ops.lecture import SquaredForgotTwo, SquaredYWrongSign

RNG = np.random.default_rng(11)


def _op_nodes(report: Report) -> list[NodeCheck]:
    return [n for n in report.nodes if n.op is not None]


# -- the classic mistakes, on the right node ----------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_buggy_op_is_flagged_on_its_node(case: Case):
    loss, outputs = build(case, case.buggy())
    report = check(loss)
    target = outputs[case.flagged_call].node
    record = report.for_node(target)
    assert (record.kind, record.diagnosis, record.argument) == (case.kind, case.diagnosis, case.argument), str(report)
    assert report.culprit is record
    assert not report.ok
    # every other node passes, inherits a NaN, or inherits the wrong gradient from this node (never blamed)
    others = [n for n in report.nodes if n is not record and n.kind != "ok"]
    for n in others:
        inherits_nan = n.kind == "nonfinite_forward" and not n.inputs_ok and n.diagnosis == "propagated"
        inherits_gradient = n.kind == "inherits_wrong" and n.inherits_from == record.node and n.received_error > 1e-3
        assert inherits_nan or inherits_gradient, str(report)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_correct_implementation_is_not_flagged(case: Case):
    loss, _ = build(case, case.reference())
    report = check(loss)
    assert report.ok, str(report)
    assert report.culprit is None


def _snapshot(loss: Tensor) -> dict:
    """Deep copies of everything check must leave alone: parameters, .grad, op state, graph attributes."""
    graph = loss.graph
    ops_seen = {id(a["op"]): a["op"] for _, a in graph.nx.nodes(data=True) if a["op"] is not None}
    state = {}
    for key, op in ops_seen.items():
        state[key] = {k: (v, copy.deepcopy(v)) for k, v in op.__dict__.items() if k != "_gad_call"}
        state[key]["_gad_call"] = (op.__dict__.get("_gad_call"), None)
    params = [p for op in ops_seen.values() for p in op.parameters()]
    return {
        "state": state,
        "params": [(p, p.data, p.data.copy(), p.grad, None if p.grad is None else p.grad.copy()) for p in params],
        "nodes": {
            n: (dict(a), copy.deepcopy({k: v for k, v in a.items() if k != "op"})) for n, a in graph.nx.nodes(data=True)
        },
        "edges": {e: copy.deepcopy(a) for *e_, a in graph.nx.edges(data=True) for e in [tuple(e_)]},
    }


def _assert_same(before: dict, loss: Tensor) -> None:
    graph = loss.graph
    for key, saved in before["state"].items():
        op = next(a["op"] for _, a in graph.nx.nodes(data=True) if id(a["op"]) == key)
        assert op.__dict__.keys() == saved.keys()
        for k, (obj, value) in saved.items():
            assert op.__dict__[k] is obj, k
            if k != "_gad_call":
                assert _equal(obj, value), k
    for p, data, data_copy, grad, grad_copy in before["params"]:
        assert p.data is data and np.array_equal(p.data, data_copy)
        assert p.grad is grad and (grad is None or np.array_equal(p.grad, grad_copy))
    for n, (attrs, values) in before["nodes"].items():
        now = graph.nx.nodes[n]
        assert dict(now) == attrs or all(now[k] is v for k, v in attrs.items())
        assert all(_equal(now[k], v) for k, v in values.items()), n
    for e, attrs in before["edges"].items():
        assert _equal(dict(graph.nx.edges[e]), attrs)


def _equal(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
        )
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, gad.Parameter):
        return isinstance(b, gad.Parameter) and np.array_equal(a.data, b.data)
    return a == b or a is b


@pytest.mark.parametrize("which", ["buggy", "reference"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_check_changes_nothing(case: Case, which: str):
    op = case.buggy() if which == "buggy" else case.reference()
    loss, _ = build(case, op)
    before = _snapshot(loss)
    check(loss)
    check(loss.graph)
    _assert_same(before, loss)


def test_check_changes_nothing_after_a_training_step():
    X, y = RNG.standard_normal((8, 4)), RNG.standard_normal(8)
    linear = Linear(4, bias=True, theta=np.linspace(-1, 1, 4))
    loss = Sum()(Squared()(Identity()(linear(X)), y))
    loss.backward()
    gad.optim.SGD(linear.parameters(), lr=0.1).step()  # parameters move on after recording
    before = _snapshot(loss)
    theta_seen = loss.graph.nx.nodes[1]["value"]
    report = check(loss)
    assert report.ok, str(report)
    _assert_same(before, loss)
    assert not np.array_equal(linear.theta.data, theta_seen)  # checked on the recorded θ, not the new one


# -- every built-in op, and random graphs of them ----------------------------------------------------
def _positive(shape):
    return RNG.uniform(0.5, 2.0, size=shape)


BUILT_INS = {
    "Linear": (lambda: Linear(4, 3, bias=True, seed=0), lambda: [RNG.standard_normal((6, 4))]),
    "Identity": (Identity, lambda: [RNG.standard_normal((6, 4))]),
    "Squared": (Squared, lambda: [RNG.standard_normal(6), RNG.standard_normal(6)]),
    "Sum": (lambda: ops.Sum(axis=0), lambda: [RNG.standard_normal((6, 4))]),
    "Mean": (lambda: ops.Mean(axis=1, keepdims=True), lambda: [RNG.standard_normal((6, 4))]),
    "MSE": (ops.MSE, lambda: [RNG.standard_normal(6), RNG.standard_normal(6)]),
    "Add": (ops.Add, lambda: [RNG.standard_normal((6, 4)), RNG.standard_normal(4)]),
    "Sub": (ops.Sub, lambda: [RNG.standard_normal((6, 4)), RNG.standard_normal((6, 1))]),
    "Mul": (ops.Mul, lambda: [RNG.standard_normal((6, 4)), RNG.standard_normal(4)]),
    "Div": (ops.Div, lambda: [RNG.standard_normal((6, 4)), _positive((6, 4))]),
    "Neg": (ops.Neg, lambda: [RNG.standard_normal((6, 4))]),
    "Pow": (ops.Pow, lambda: [_positive((6, 4)), RNG.standard_normal((6, 4))]),
    "MatMul": (ops.MatMul, lambda: [RNG.standard_normal((6, 4)), RNG.standard_normal((4, 3))]),
    "Transpose": (ops.Transpose, lambda: [RNG.standard_normal((6, 4))]),
    "Log": (ops.Log, lambda: [_positive((6, 4))]),
    "LeakyReLU": (lambda: ops.LeakyReLU(0.1), lambda: [RNG.standard_normal((6, 4))]),
    "Softmax": (lambda: ops.Softmax(axis=0), lambda: [RNG.standard_normal((6, 4))]),
    "CrossEntropy": (ops.CrossEntropy, lambda: [RNG.standard_normal((6, 4)), RNG.integers(0, 4, size=6)]),
    "BinaryCrossEntropy": (ops.BinaryCrossEntropy, lambda: [RNG.standard_normal((6, 4)), RNG.uniform(size=(6, 4))]),
    "Reshape": (lambda: ops.Reshape((4, 6)), lambda: [RNG.standard_normal((6, 4))]),
    "Concat": (lambda: ops.Concat(axis=1), lambda: [RNG.standard_normal((6, 4)), RNG.standard_normal((6, 2))]),
    "Dropout": (lambda: ops.Dropout(0.4), lambda: [RNG.standard_normal((6, 4))]),
    "Maximum": (ops.Maximum, lambda: [RNG.standard_normal((6, 4)), RNG.standard_normal((6, 4))]),
    "Clip": (lambda: ops.Clip(-0.5, 0.5), lambda: [RNG.standard_normal((6, 4))]),
}


def _make(name: str):
    """An instance and inputs for a built-in op (a no-argument op on one (6, 4) input by default)."""
    cls = getattr(ops, name)
    make, inputs = BUILT_INS.get(name, (cls, lambda: [RNG.standard_normal((6, 4))]))
    return make(), inputs()


@pytest.mark.parametrize("name", ops.__all__)
def test_no_false_positive_on_a_built_in_op(name):
    obj = getattr(ops, name)
    if not isinstance(obj, type):
        assert name == "unbroadcast" and callable(obj)  # the one helper function, not an op
        return
    op, inputs = _make(name)
    if isinstance(op, Differentiable):
        assert gradcheck(op, *inputs).ok
    with gad.Graph() as graph:
        out = op(*inputs)
        loss = Sum()(Mul()(out, RNG.standard_normal(out.shape)))
    loss.backward()
    report = check(graph)
    assert report.ok, str(report)
    assert any(n.op is op or (n.op is not None and isinstance(op, gad.nn.Module)) for n in report.nodes)


UNARY = [
    "Identity", "Neg", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "ExpTanh", "LogSigmoid", "Clip", "Dropout",
    "Softmax", "LogSoftmax", "Square", "Transpose", "Reshape", "SumAxis", "MeanKeep",
]  # fmt: skip
BINARY = [
    "Add", "Sub", "Mul", "Maximum", "Squared", "DivLeaf", "AddBias", "MatMulT", "Concat", "PowLeaf", "Linear",
    "CrossEntropy", "BCE",
]  # fmt: skip


def _apply(name: str, a: Tensor, b: Tensor, rng: np.random.Generator, k: int) -> Tensor | None:
    """One random op on tensors of the pool (None when the shapes do not fit)."""
    s = a.shape
    unary = {
        "Identity": lambda: ops.Identity()(a),
        "Neg": lambda: -a,
        "ReLU": lambda: ops.ReLU()(a),
        "LeakyReLU": lambda: ops.LeakyReLU(0.1)(a),
        "Sigmoid": lambda: ops.Sigmoid()(a),
        "Tanh": lambda: ops.Tanh()(a),
        "ExpTanh": lambda: ops.Exp()(ops.Tanh()(a)),
        "LogSigmoid": lambda: ops.Log()(ops.Sigmoid()(a)),
        "Clip": lambda: ops.Clip(-1.0, 1.0)(a),
        "Dropout": lambda: ops.Dropout(0.3, seed=k)(a) if k % 2 else ops.Dropout(0.3)(a),
        "Softmax": lambda: ops.Softmax()(a) if a.ndim else None,
        "LogSoftmax": lambda: ops.LogSoftmax()(a) if a.ndim else None,
        "Square": lambda: a**2,
        "Transpose": lambda: a.T,
        "Reshape": lambda: ops.Reshape(-1)(a),
        "SumAxis": lambda: a.sum(axis=0) if a.ndim else a.sum(),
        "MeanKeep": lambda: a.mean(axis=-1, keepdims=True) if a.ndim else a.mean(),
    }
    if name in unary:
        return unary[name]()
    other = b if b.shape == s else rng.standard_normal(s)
    if name in ("Add", "Sub", "Mul", "Maximum", "Squared"):
        return getattr(ops, name)()(a, other)
    if name == "DivLeaf":
        return ops.Div()(a, rng.uniform(0.5, 2.0, size=s))
    if name == "PowLeaf":
        return ops.Pow()(rng.uniform(0.5, 2.0, size=s), ops.Tanh()(a))
    if a.ndim == 0 and name != "BCE":
        return None
    if name == "AddBias":
        return a + rng.standard_normal(s[-1:])
    if name == "Concat":
        return ops.Concat(axis=0)(a, other)
    if a.ndim != 2 and name != "BCE":
        return None
    if name == "MatMulT":
        return a @ (other if isinstance(other, Tensor) else Tensor(other, name="W")).T
    if name == "Linear":
        return ops.Linear(s[-1], 2, bias=True, seed=k)(a)
    if name == "CrossEntropy":
        return ops.CrossEntropy()(a, rng.integers(0, s[1], size=s[0]))
    return ops.BinaryCrossEntropy()(a, rng.uniform(size=s))


@st.composite
def _programs(draw):
    steps = draw(
        st.lists(
            st.tuples(st.sampled_from(UNARY + BINARY), st.integers(0, 10**6), st.integers(0, 10**6)),
            min_size=1,
            max_size=6,
        )
    )
    return draw(st.integers(0, 2**16)), steps


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(_programs())
def test_no_false_positive_on_random_graphs(program):
    seed, steps = program
    rng = np.random.default_rng(seed)
    with gad.Graph() as graph:
        pool = [Tensor(rng.standard_normal((3, 4)), name="X"), Tensor(rng.standard_normal((3, 4)), name="Y")]
        for name, i, j in steps:
            out = _apply(name, pool[i % len(pool)], pool[j % len(pool)], rng, i)
            if out is not None:
                pool.append(out)
        loss = pool[-1].sum() if pool[-1].ndim else pool[-1]
    loss.backward()
    report = check(graph)
    assert report.ok, f"{steps}\n{report}"
    assert len(_op_nodes(report)) == len(graph.op_nodes())


# -- the first culprit ----------------------------------------------------------------------------
def test_the_first_culprit_is_the_failing_node_nearest_the_loss():
    X, y = RNG.standard_normal((8, 4)), RNG.standard_normal(8)
    act = SigmoidUsesOutput()
    squared = SquaredForgotTwo()
    loss = Sum()(squared(act(Linear(4, theta=np.linspace(-1, 1, 4))(X)), y))
    for _ in gad.iter_backward(loss, on_error="record"):
        pass
    report = check(loss)
    labels = [(n.label, n.kind) for n in _op_nodes(report)]
    assert labels == [
        ("Sum", "ok"),
        ("SquaredForgotTwo", "wrong_gradient"),
        ("SigmoidUsesOutput", "wrong_gradient"),
        ("Linear", "inherits_wrong"),  # receives a wrong upstream gradient, but its own backward is right
    ]
    assert report.culprit.op is squared
    assert [n.op for n in report.failures] == [squared, act]
    linear, theta = report.inherited[0], next(n for n in report.nodes if n.label == "θ")
    assert linear.inherits_from == report.failures[1].node  # the nearest failing node: the Sigmoid
    assert theta.kind == "inherits_wrong"  # the parameter shows a wrong ∂L/∂θ
    assert linear.message.startswith("this node's backward is right, but the gradient it received is already wrong")


def test_non_finite_data_makes_the_leaf_the_culprit():
    X = RNG.standard_normal((8, 4))
    X[3, 1] = np.nan
    X_t = Tensor(X, name="X")
    loss = Sum()(Squared()(Identity()(Linear(4, theta=np.ones(4))(X_t)), np.zeros(8)))
    report = check(loss)
    assert [(n.label, n.kind, n.diagnosis, n.inputs_ok) for n in _op_nodes(report)] == [
        ("Sum", "nonfinite_forward", "propagated", False),
        ("Squared", "nonfinite_forward", "propagated", False),
        ("Identity", "nonfinite_forward", "propagated", False),
        ("Linear", "nonfinite_forward", "propagated", False),
    ]
    assert report.culprit.label == "X" and report.culprit.op is None and report.culprit.role == "input"
    assert report.culprit.node == X_t.node
    assert report.culprit.message == "this input holds 1 NaN of 32 values: every op that uses it inherits them"


def test_graph_tensor_and_unrecorded_checks_agree():
    case = next(c for c in CASES if c.name == "squared_y_wrong_sign")
    loss, _ = build(case, case.buggy())
    by_tensor = check(loss)
    by_graph = check(loss.graph)
    assert by_tensor.graph is loss.graph and by_graph.graph is loss.graph
    assert [(n.node, n.kind, n.diagnosis) for n in by_tensor.nodes] == [
        (n.node, n.kind, n.diagnosis) for n in by_graph.nodes
    ]
    inputs = case.inputs(np.random.default_rng(7))
    with gad.no_record():
        squared = SquaredYWrongSign()
        loss = Sum()(squared(*[Identity()(x) for x in inputs]))
        loss.backward()
    report = check(loss)
    assert report.graph is None
    assert [(n.node, n.label, n.kind) for n in _op_nodes(report)] == [
        (None, "Sum", "ok"),
        (None, "SquaredYWrongSign", "wrong_gradient"),
        (None, "Identity", "inherits_wrong"),  # the one feeding y, whose gradient has the wrong sign
        (None, "Identity", "ok"),
    ]
    assert report.culprit.op is squared and report.culprit.diagnosis == "sign"


def test_a_correct_op_called_several_times_is_not_reuse():
    X = RNG.standard_normal((6, 4))
    shared = Linear(4, 4, seed=1)
    act = SigmoidRef()
    loss = Sum()(shared(act(shared(act(shared(X))))))
    loss.backward()
    report = check(loss)
    assert report.ok, str(report)
    assert sorted(n.call_index for n in _op_nodes(report) if n.op is shared) == [0, 1, 2]


def test_dropout_in_a_graph_is_checked_without_touching_the_generator():
    gad.manual_seed(4)
    X = RNG.standard_normal((5, 3))
    loss = Sum()(ops.Dropout(0.5)(Linear(3, 2, seed=0)(X)) * RNG.standard_normal((5, 2)))
    loss.backward()
    state = gad.rng.default_rng().bit_generator.state
    assert check(loss).ok
    assert gad.rng.default_rng().bit_generator.state == state


def test_float32_graph_warns_once():
    X = RNG.standard_normal((6, 4)).astype(np.float32)
    loss = Sum()(ops.Tanh()(ops.Tanh()(X)))
    loss.backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = check(loss)
    assert report.ok and report.cast_float32 == 3  # X, and the two Tanh outputs fed on
    assert [w.category for w in caught] == [PrecisionWarning]
    assert "3 array(s) of float32 were cast" in str(caught[0].message)


# -- the report ------------------------------------------------------------------------------------
def _buggy_report(lang: str = "en") -> tuple[Report, Tensor]:
    case = next(c for c in CASES if c.name == "squared_forgot_two")
    loss, _ = build(case, case.buggy())
    return check(loss, lang=lang), loss


def test_report_protocol():
    report, loss = _buggy_report()
    assert isinstance(report.ok, bool) and not report.ok
    assert report.graph is loss.graph
    assert [n.index for n in report.nodes] == list(range(len(report.nodes)))
    for n in report.nodes:
        assert n.kind in KINDS and (n.diagnosis is None or n.diagnosis in DIAGNOSES)
        assert isinstance(n.label, str) and isinstance(n.message, str) and n.message
        assert n.node in loss.graph.nx
        assert (n.op is None) == (loss.graph.nx.nodes[n.node]["kind"] != "op")
    culprit = report.culprit
    assert (culprit.label, culprit.kind, culprit.diagnosis, culprit.argument) == (
        "SquaredForgotTwo", "wrong_gradient", "factor", "mu",
    )  # fmt: skip
    assert culprit.factor == 0.5
    np.testing.assert_allclose(culprit.analytic, 0.5 * culprit.numeric, rtol=1e-6, atol=1e-9)
    assert culprit.max_rel_error == pytest.approx(0.5, rel=1e-6)
    assert report.failures == [culprit]
    json.dumps(report.to_dict())


def test_report_prints_a_table_with_the_culprit():
    report, _ = _buggy_report()
    lines = str(report).splitlines()
    node = report.culprit.node
    assert lines[0] == "Gradient check of 8 nodes (5 op calls): 1 failing"
    assert lines[1].split() == ["#", "node", "op", "verdict", "diagnosis", "argument", "max", "rel.", "err", "max",
                                "abs.", "err", "message"]  # fmt: skip
    culprit_line = next(i for i, line in enumerate(lines) if line.startswith("first culprit"))
    assert lines[culprit_line + 1].startswith("∂L/∂mu of node")
    assert lines[culprit_line] == (
        f"first culprit: node {node} (SquaredForgotTwo): ∂L/∂mu is too small by a constant factor: "
        f"backward returns 0.5 × the correct gradient (a factor 2 is missing)"
    )
    assert culprit_line == 3 + len(report.nodes)  # title, header, rule, one row per node, culprit
    side = report.side_by_side().splitlines()
    assert lines[culprit_line + 1 : culprit_line + 1 + len(side)] == side
    assert lines[-1] == f"{len(report.inherited)} node(s) inherit a wrong gradient from the culprit"


def test_report_in_russian():
    report, _ = _buggy_report("ru")
    assert (
        report.culprit.message == "∂L/∂mu меньше в постоянное число раз: backward возвращает 0.5 × правильный градиент"
        " (не хватает множителя 2)"
    )
    assert "не хватает множителя 2" in str(report) and "лишний" not in str(report)
    assert str(report).splitlines()[0] == "Проверка градиентов: узлов 8 (вызовов операций 5), с ошибками 1"
    with pytest.raises(UnknownLanguageError):
        check(report.graph, lang="xx")


class _TableParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        if self.tags and self.tags[-1] == "td":
            self.cells.append(data)


def test_html_escapes_every_user_string():
    class Evil(Squared):
        name = "<script>alert(1)</script>"

        def backward(self, upstream_grad):
            d_mu, d_y = super().backward(upstream_grad)
            return d_mu, -d_y

    x = Tensor(RNG.standard_normal(4), name="<b>x</b>")
    loss = Sum()(Evil()(x, np.zeros(4)))
    report = check(loss)
    page = report._repr_html_()
    assert "<script>" not in page and "<b>x</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;x&lt;/b&gt;" in page
    parser = _TableParser()
    parser.feed(page)
    assert set(parser.tags) == {"table", "caption", "thead", "tr", "th", "tbody", "td", "p"}
    assert "<script>alert(1)</script>" in parser.cells and "<b>x</b>" in parser.cells
    assert 'style="background-color: #f8c4c4; font-weight: bold;"' in page  # the culprit's row


def test_usage_errors():
    with pytest.raises(TypeError, match="check expects a Tensor"):
        check(np.ones(3))
    leaf = Tensor(np.ones(3), name="x")
    report = check(leaf)
    assert report.ok and [(n.label, n.role) for n in report.nodes] == [("x", "input")]


class _Composite(Differentiable):
    """An op whose backward runs the manual chain through an op it holds."""

    def __init__(self):
        self.inner = ops.Sigmoid()

    def forward(self, x):
        self.hidden = self.inner(x)  # keeps the inner call alive
        return self.hidden.data

    def backward(self, upstream_grad):
        return self.inner.backward(upstream_grad)


def test_a_composite_manual_chain_is_checked_on_copies():
    X = RNG.standard_normal((4, 3))
    composite = _Composite()
    loss = Sum()(composite(X))
    loss.backward()  # also records the inner Sigmoid's manual backward in its own graph
    inner_graph = composite.inner.__dict__["_gad_call"]().graph
    inner_state = dict(composite.inner.__dict__)
    inner_attrs = {n: dict(a) for n, a in inner_graph.nx.nodes(data=True)}
    report = check(loss)
    assert report.ok, str(report)
    assert composite.inner.__dict__ == inner_state
    assert {n: dict(a) for n, a in inner_graph.nx.nodes(data=True)} == inner_attrs


class _ScaleByTheta(Differentiable):
    """forward(theta) with a parameter also called theta: z = theta ⊙ θ."""

    def __init__(self):
        self.theta = gad.Parameter(np.array([1.5, -2.0, 0.5]), name="θ")

    def forward(self, theta):
        self.x = theta
        return theta * self.theta

    def backward(self, upstream_grad):
        self.theta.grad = upstream_grad * self.x
        return upstream_grad * 2 * self.theta  # wrong: the factor 2


def test_an_argument_and_a_parameter_may_share_a_name():
    result = gradcheck(_ScaleByTheta(), RNG.standard_normal(3))
    argument, parameter = result.arguments
    assert (argument.role, argument.name, argument.status) == ("argument", "theta", "wrong_gradient")
    assert (parameter.role, parameter.name, parameter.status) == ("parameter", "theta", "ok")
    assert result.failing is argument and result.factor == 2.0


def test_an_unrecorded_argument_is_not_checked():
    with gad.no_record():
        mu = Identity()(RNG.standard_normal(5))
    with gad.Graph() as graph:
        loss = Sum()(Squared()(RNG.standard_normal(5), mu))  # the second argument has no node
    report = check(graph)
    squared = next(n for n in report.nodes if n.label == "Squared")
    assert (squared.kind, squared.checked, squared.message) == (
        "ok",
        False,
        "not checked: argument y was not recorded in the graph",
    )
    assert check(loss).ok  # from the tensor, every input is known


def test_report_shows_the_culprits_numbers_side_by_side():
    X = np.random.default_rng(0).normal(size=(5, 4))
    linear = Linear(4, theta=np.array([0.5, -0.2, 0.1, 0.3]))
    loss = Sum()(SquaredForgotTwo()(Identity()(linear(X)), np.ones(5)))
    loss.backward()
    report = check(loss)
    text = report.side_by_side()
    analytic, numeric = report.culprit.analytic, report.culprit.numeric
    np.testing.assert_allclose(analytic, 0.5 * numeric, rtol=1e-6)
    assert "backward returned" in text and "finite differences" in text
    assert np.array2string(analytic, precision=4, threshold=30, suppress_small=True) in text
    assert text in str(report)
    assert "вернул backward" in check(loss, lang="ru").side_by_side()


def test_inherited_wrong_gradients_in_the_report_html_and_russian():
    X, y = RNG.standard_normal((8, 4)), RNG.standard_normal(8)
    linear = Linear(4, theta=np.linspace(-1, 1, 4))
    loss = Sum()(SquaredForgotTwo()(Identity()(linear(X)), y))
    loss.backward()
    report = check(loss)
    inherited = {n.label: n for n in report.inherited}
    assert set(inherited) == {"Identity", "Linear", "θ", "X", "y"}  # every node and leaf below the culprit
    # each received half the true gradient: max |g/2 − g| / max |g| = 0.5
    assert all(n.received_error == pytest.approx(0.5, rel=1e-5) for n in inherited.values())
    theta_grad = loss.graph.nx.nodes[inherited["θ"].node]["grad"]
    true_theta_grad = X.T @ (2 * (X @ linear.theta.data - y))
    np.testing.assert_allclose(theta_grad, 0.5 * true_theta_grad)  # what a TA would otherwise read as "ok"
    page = report._repr_html_()
    assert page.count('class="gad-inherits_wrong" style="background-color: #fdf3d8;"') == 5
    assert "5 node(s) inherit a wrong gradient from the culprit" in page
    russian = check(loss, lang="ru")
    assert russian.inherited[0].message.startswith("backward этого узла верен, но полученный им градиент уже неверен")
    assert "унаследовал неверный градиент" in str(russian)
    assert russian.to_dict()["nodes"][russian.inherited[0].index]["kind"] == "inherits_wrong"


def test_a_loss_that_ignores_its_upstream_is_caught_although_the_recorded_upstream_is_one():
    from tests.buggy_ops.missed import SumIgnoresUpstream

    loss = SumIgnoresUpstream()(Identity()(RNG.standard_normal(5)))
    loss.backward()
    culprit = check(loss).culprit
    assert (culprit.label, culprit.kind, culprit.diagnosis) == (
        "SumIgnoresUpstream",
        "wrong_gradient",
        "ignores_upstream",
    )
