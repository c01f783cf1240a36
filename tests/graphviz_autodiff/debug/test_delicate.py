"""No false positive where finite differences are delicate: large values, float32, kinks, large logits, tiny batches.

Every op here is correct; the checker must say so. The numbers are real: central differences with a relative step,
and PyTorch as an oracle for the numerically hard ones.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable, Parameter, ops
from graphviz_autodiff.debug import PrecisionWarning, check, gradcheck

RNG = np.random.default_rng(21)


def _quiet_gradcheck(op, *inputs, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrecisionWarning)
        return gradcheck(op, *inputs, **kwargs)


def _quiet_check(loss):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrecisionWarning)
        return check(loss)


# -- large values ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [1.0, 1e10, 1e12])
def test_the_librarys_sum_passes_at_any_scale(scale):
    x = np.array([1e10, 2e10, -1e10]) / 1e10 * scale
    result = gradcheck(ops.Sum(), x)
    assert result.ok, str(result)
    assert result.max_rel_error < 1e-9
    np.testing.assert_allclose(result["x"].numeric, np.full(3, result.upstream_grad), rtol=1e-9)
    loss = ops.Sum()(ops.Identity()(x))
    loss.backward()
    assert check(loss).ok


#: ops that stay finite and non-saturated for |x| up to 1e12: (factory, input shapes)
LINEAR_OPS = {
    "Identity": (ops.Identity, [(4, 3)]),
    "Neg": (ops.Neg, [(4, 3)]),
    "Add": (ops.Add, [(4, 3), (3,)]),
    "Sub": (ops.Sub, [(4, 3), (4, 1)]),
    "Mul": (ops.Mul, [(4, 3), (4, 3)]),
    "Squared": (ops.Squared, [(5,), (5,)]),
    "Sum": (lambda: ops.Sum(axis=0), [(4, 3)]),
    "Mean": (ops.Mean, [(4, 3)]),
    "MatMul": (ops.MatMul, [(3, 4), (4, 2)]),
    "Linear": (lambda: ops.Linear(3, 2, bias=True, seed=0), [(4, 3)]),
    "Transpose": (ops.Transpose, [(4, 3)]),
    "Reshape": (lambda: ops.Reshape((3, 4)), [(4, 3)]),
    "Concat": (lambda: ops.Concat(axis=0), [(2, 3), (4, 3)]),
    "ReLU": (ops.ReLU, [(4, 3)]),
    "LeakyReLU": (lambda: ops.LeakyReLU(0.1), [(4, 3)]),
    "Maximum": (ops.Maximum, [(4, 3), (4, 3)]),
    "Div": (ops.Div, [(4, 3), (4, 3)]),
}


@pytest.mark.parametrize("scale", [1e10, 1e12])
@pytest.mark.parametrize("name", sorted(LINEAR_OPS))
def test_no_false_positive_at_large_values(name, scale):
    make, shapes = LINEAR_OPS[name]
    inputs = [RNG.standard_normal(s) * scale for s in shapes]
    result = gradcheck(make(), *inputs)
    assert result.ok, str(result)
    assert result.max_rel_error < 1e-6  # really compared, precisely, not "nothing to check"
    with gad.Graph() as graph:
        out = make()(*inputs)
        loss = ops.Sum()(ops.Mul()(out, RNG.standard_normal(out.shape)))
    loss.backward()
    report = check(graph)
    assert report.ok, str(report)


class _LinearDoubleBias(Differentiable):
    """z = x·Θ + b whose ∂L/∂b is twice too large: at 1e12 the bias is tiny next to the outputs."""

    def __init__(self) -> None:
        self.theta = Parameter(np.array([[1.0, -2.0], [0.5, 3.0], [-1.0, 0.25]]), name="Θ")
        self.b = Parameter(np.array([0.1, -0.3]), name="b")

    def forward(self, x):
        self.x = x
        return x @ self.theta + self.b

    def backward(self, upstream_grad):
        self.theta.grad = self.x.T @ upstream_grad
        self.b.grad = 2 * upstream_grad.sum(axis=0)
        return upstream_grad @ self.theta.T


@pytest.mark.parametrize("scale", [1.0, 1e10, 1e12])
def test_a_bias_bug_is_caught_next_to_outputs_of_1e12(scale):
    result = gradcheck(_LinearDoubleBias(), RNG.standard_normal((4, 3)) * scale)
    assert (result.kind, result.diagnosis, result.argument, result.factor) == ("wrong_gradient", "factor", "b", 2.0)


@pytest.mark.parametrize("name", [*sorted(LINEAR_OPS), "Sigmoid", "Tanh", "Exp", "Softmax", "LogSoftmax"])
def test_no_false_positive_in_float32(name):
    make, shapes = LINEAR_OPS.get(name, (getattr(ops, name), [(4, 3)]))
    inputs = [RNG.standard_normal(s).astype(np.float32) for s in shapes]
    result = _quiet_gradcheck(make(), *inputs)
    assert result.ok, str(result)
    assert result.cast == ("float32",) * len(inputs)
    with gad.Graph() as graph:
        out = make()(*inputs)
        loss = ops.Sum()(ops.Mul()(out, RNG.standard_normal(out.shape).astype(np.float32)))
    loss.backward()
    assert _quiet_check(graph).ok


class _Float32Inside(Differentiable):
    """Computes in float32 whatever it is given (the check's float64 copy included): y = x³ in float32."""

    def forward(self, x):
        self.x = np.asarray(x, dtype=np.float32)
        return self.x**3

    def backward(self, upstream_grad):
        return 3 * self.x.astype(np.float64) ** 2 * upstream_grad


def test_an_op_computing_in_float32_itself_is_not_flagged():
    x = RNG.uniform(-2, 2, size=8)
    result = gradcheck(_Float32Inside(), x)
    assert result.ok, str(result)


# -- kinks -------------------------------------------------------------------------------------------------
class Abs(Differentiable):
    """y = |x|, with the subgradient 0 at x = 0."""

    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, upstream_grad):
        return upstream_grad * np.sign(self.x)


@pytest.mark.parametrize(
    "op, inputs",
    [
        (ops.ReLU(), [np.array([-1.0, 0.0, 0.0, 2.0, -0.0])]),
        (ops.LeakyReLU(0.1), [np.array([-1.0, 0.0, 2.0])]),
        (Abs(), [np.array([-1.5, 0.0, 0.0, 3.0])]),
        (ops.Maximum(), [np.array([1.0, 2.0, -3.0, 0.5]), np.array([1.0, 1.0, -3.0, 0.7])]),  # ties at 0 and 2
        (ops.Clip(-0.5, 0.5), [np.array([-0.5, 0.5, 0.1, 2.0])]),  # exactly at both bounds
    ],
    ids=["relu", "leaky_relu", "abs", "maximum_ties", "clip_bounds"],
)
def test_no_false_positive_exactly_at_a_kink(op, inputs):
    result = gradcheck(op, *inputs)
    assert result.ok, str(result)
    assert any(a.note == "kinks" for a in result.arguments)
    with gad.Graph() as graph:
        loss = ops.Sum()(ops.Mul()(op(*inputs), RNG.standard_normal(inputs[0].shape)))
    loss.backward()
    assert check(graph).ok


# -- softmax with large logits ------------------------------------------------------------------------------
@pytest.mark.parametrize("offset", [0.0, 1e3, 1e5])
def test_softmax_with_large_logits(offset):
    logits = RNG.standard_normal((4, 5)) * 3 + offset
    labels = RNG.integers(0, 5, size=4)
    for op, inputs in [
        (ops.Softmax(), [logits]),
        (ops.LogSoftmax(), [logits]),
        (ops.CrossEntropy(), [logits, labels]),
    ]:
        result = gradcheck(op, *inputs)
        assert result.ok, f"{type(op).__name__} at offset {offset}:\n{result}"
        assert result.max_rel_error is not None and result.max_rel_error < 1e-4


@pytest.mark.oracle
def test_softmax_numeric_gradient_matches_pytorch_at_large_logits():
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle (install the 'bench' extra)")
    logits = RNG.standard_normal((3, 4)) + 1e3
    up = RNG.standard_normal((3, 4))
    result = gradcheck(ops.Softmax(), logits, upstream_grad=up)
    x = torch.tensor(logits, requires_grad=True)
    torch.softmax(x, dim=-1).backward(torch.tensor(up))
    np.testing.assert_allclose(result["x"].numeric, x.grad.numpy(), rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(result["x"].analytic, x.grad.numpy(), rtol=1e-10, atol=1e-14)


# -- batch norm with tiny batches ---------------------------------------------------------------------------
class BatchNorm(Differentiable):
    """y = γ ⊙ (x − μ_B) / sqrt(σ²_B + ε) + β over the batch axis (training mode), written as a student would.

    ∂L/∂x = γ/σ ⊙ (g − mean(g) − x̂ ⊙ mean(g ⊙ x̂)),  ∂L/∂γ = Σ g ⊙ x̂,  ∂L/∂β = Σ g.
    """

    def __init__(self, n_features: int, eps: float = 1e-5) -> None:
        self.gamma = Parameter(np.linspace(0.5, 1.5, n_features), name="γ")
        self.beta = Parameter(np.linspace(-0.2, 0.2, n_features), name="β")
        self.eps = eps

    def forward(self, x):
        mean = x.mean(axis=0)
        self.sigma = np.sqrt(x.var(axis=0) + self.eps)
        self.x_hat = (x - mean) / self.sigma
        return self.gamma * self.x_hat + self.beta

    def backward(self, upstream_grad):
        g, x_hat = upstream_grad, self.x_hat
        self.gamma.grad = (g * x_hat).sum(axis=0)
        self.beta.grad = g.sum(axis=0)
        return self.gamma.data / self.sigma * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))


@pytest.mark.parametrize("batch", [2, 3, 5])
def test_batch_norm_with_tiny_batches(batch):
    x = RNG.standard_normal((batch, 3)) * np.array([1.0, 1e-2, 10.0])
    result = gradcheck(BatchNorm(3), x)
    assert result.ok, str(result)
    assert [a.name for a in result.arguments] == ["x", "gamma", "beta"]
    with gad.Graph() as graph:
        bn = BatchNorm(3)
        loss = ops.Sum()(ops.Mul()(ops.Tanh()(bn(x)), RNG.standard_normal((batch, 3))))
    loss.backward()
    assert check(graph).ok


@pytest.mark.oracle
def test_batch_norm_matches_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle (install the 'bench' extra)")
    x, up = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
    bn = BatchNorm(3)
    result = gradcheck(bn, x, upstream_grad=up)
    xt = torch.tensor(x, requires_grad=True)
    gamma = torch.tensor(bn.gamma.data, requires_grad=True)
    beta = torch.tensor(bn.beta.data, requires_grad=True)
    torch.nn.functional.batch_norm(xt, None, None, gamma, beta, training=True, eps=1e-5).backward(torch.tensor(up))
    np.testing.assert_allclose(result["x"].analytic, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result["x"].numeric, xt.grad.numpy(), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(result["γ"].numeric, gamma.grad.numpy(), rtol=1e-5, atol=1e-8)
