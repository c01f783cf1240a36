"""200 hypothesis-generated small graphs mixing the ops, built twice (here and in PyTorch): same gradients.

Each example starts from a data matrix X, applies 1–6 randomly chosen ops
(layers with parameters, activations, Softmax/LogSoftmax, Clip, Maximum,
Reshape, Concat, Dropout, sums, products, matrix products) to randomly
chosen earlier values, then adds up one loss per unused value (CrossEntropy,
BinaryCrossEntropy, MSE or a mean). The same graph is built with torch
operations on the same numbers; every parameter gradient, and the gradient of
X, must agree to 1e-10.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from graphviz_autodiff import Tensor
from graphviz_autodiff.ops import (
    MSE,
    BinaryCrossEntropy,
    Clip,
    Concat,
    CrossEntropy,
    Dropout,
    Exp,
    LeakyReLU,
    Linear,
    Log,
    LogSoftmax,
    Maximum,
    Mean,
    ReLU,
    Reshape,
    Sigmoid,
    Softmax,
    Sum,
    Tanh,
)

from .helpers import SETTINGS, TORCH_REASON

torch = pytest.importorskip("torch", reason=TORCH_REASON)
F = torch.nn.functional
pytestmark = pytest.mark.oracle

STEPS = (
    "linear",
    "relu",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "exp",
    "log",
    "softmax",
    "log_softmax",
    "clip",
    "maximum",
    "add",
    "mul",
    "reshape",
    "concat",
    "dropout",
    "sum_rows",
    "mean_cols",
    "matmul",
)
LOSSES = ("cross_entropy", "binary_cross_entropy", "mse", "mean")


class TwinGraph:
    """A graph built step by step in graphviz_autodiff and in PyTorch at once."""

    def __init__(self, X: np.ndarray) -> None:
        self.X = Tensor(X, name="X")
        self.X_torch = torch.tensor(X, requires_grad=True)
        self.values: list[tuple[Tensor, torch.Tensor]] = [(self.X, self.X_torch)]
        self.used: set[int] = set()
        self.params: list[tuple[object, torch.Tensor]] = []

    def pick(self, data: st.DataObject, label: str, shape: tuple[int, ...] | None = None) -> int:
        choices = [i for i, (v, _) in enumerate(self.values) if shape is None or v.shape == shape]
        index = data.draw(st.sampled_from(choices), label=label)
        self.used.add(index)
        return index

    def add(self, ours: Tensor, theirs: torch.Tensor) -> None:
        assert ours.shape == tuple(theirs.shape), (ours.shape, tuple(theirs.shape))
        self.values.append((ours, theirs))

    def param(self, p: object) -> torch.Tensor:
        t = torch.tensor(p.data, requires_grad=True)
        self.params.append((p, t))
        return t

    def step(self, kind: str, data: st.DataObject) -> None:
        i = self.pick(data, "input")
        x, xt = self.values[i]
        rows, cols = x.shape
        unary = {
            "relu": (ReLU(), torch.relu),
            "leaky_relu": (LeakyReLU(0.1), lambda t: F.leaky_relu(t, 0.1)),
            "sigmoid": (Sigmoid(), torch.sigmoid),
            "tanh": (Tanh(), torch.tanh),
        }
        if kind in unary:
            op, fn = unary[kind]
            self.add(op(x), fn(xt))
        elif kind == "linear":
            k = data.draw(st.integers(1, 4), label="k")
            bias = data.draw(st.booleans(), label="bias")
            layer = Linear(cols, k, bias=bias, seed=data.draw(st.integers(0, 99), label="seed"))
            out = xt @ self.param(layer.theta)
            if bias:
                layer.bias.data = np.random.default_rng(k).normal(size=k)  # a non-zero bias
                out = out + self.param(layer.bias)
            self.add(layer(x), out)
        elif kind == "exp":  # kept bounded so that chains of exp stay finite
            self.add(Exp()(Clip(-3.0, 3.0)(x)), torch.exp(torch.clamp(xt, -3.0, 3.0)))
        elif kind == "log":
            self.add(Log()(Sigmoid()(x)), torch.log(torch.sigmoid(xt)))
        elif kind in ("softmax", "log_softmax"):
            axis = data.draw(st.sampled_from([0, 1, -1]), label="axis")
            op, fn = (Softmax, torch.softmax) if kind == "softmax" else (LogSoftmax, torch.log_softmax)
            self.add(op(axis)(x), fn(xt, dim=axis))
        elif kind == "clip":
            low, high = data.draw(st.sampled_from([(-1.0, 1.0), (-0.5, None), (None, 0.5), (0.0, 2.0)]), label="bounds")
            self.add(Clip(low, high)(x), torch.clamp(xt, low, high))
        elif kind in ("maximum", "add", "mul"):
            j = self.pick(data, "other", shape=x.shape)  # may be i itself: ties for Maximum
            y, yt = self.values[j]
            ours = {"maximum": lambda: Maximum()(x, y), "add": lambda: x + y, "mul": lambda: x * y}[kind]()
            theirs = {"maximum": torch.maximum, "add": torch.add, "mul": torch.mul}[kind](xt, yt)
            self.add(ours, theirs)
        elif kind == "reshape":
            self.add(Reshape((cols, rows))(x), xt.reshape(cols, rows))
        elif kind == "concat":
            same_rows = [j for j, (v, _) in enumerate(self.values) if v.shape[0] == rows]
            j = data.draw(st.sampled_from(same_rows), label="other")
            self.used.add(j)
            y, yt = self.values[j]
            self.add(Concat(axis=1)(x, y), torch.cat([xt, yt], dim=1))
        elif kind == "dropout":
            drop = Dropout(0.5, seed=data.draw(st.integers(0, 99), label="seed"))
            out = drop(x)
            self.add(out, xt * torch.tensor(drop.mask))
        elif kind == "sum_rows":
            self.add(Sum(axis=1, keepdims=True)(x), xt.sum(dim=1, keepdim=True))
        elif kind == "mean_cols":
            self.add(Mean(axis=0, keepdims=True)(x), xt.mean(dim=0, keepdim=True))
        elif kind == "matmul":
            same_cols = [j for j, (v, _) in enumerate(self.values) if v.shape[1] == cols]
            j = data.draw(st.sampled_from(same_cols), label="other")
            self.used.add(j)
            y, yt = self.values[j]
            self.add(x @ y.T, xt @ yt.T)
        else:  # pragma: no cover - a typo in STEPS
            raise AssertionError(kind)

    def loss(self, index: int, kind: str, rng: np.random.Generator) -> tuple[Tensor, torch.Tensor]:
        x, xt = self.values[index]
        if kind == "cross_entropy":
            labels = rng.integers(0, x.shape[1], size=x.shape[0])
            return CrossEntropy()(x, labels), F.cross_entropy(xt, torch.tensor(labels))
        if kind == "binary_cross_entropy":
            targets = rng.uniform(0, 1, size=x.shape)
            return BinaryCrossEntropy()(x, targets), F.binary_cross_entropy_with_logits(xt, torch.tensor(targets))
        if kind == "mse":
            target = rng.normal(size=x.shape)
            return MSE(reduction="mean")(x, target), F.mse_loss(xt, torch.tensor(target))
        return Mean()(x), xt.mean()


@settings(SETTINGS, max_examples=200)
@given(
    n=st.integers(2, 4),
    d=st.integers(1, 4),
    kinds=st.lists(st.sampled_from(STEPS), min_size=1, max_size=6),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_random_graph_gradients_match_pytorch(n, d, kinds, seed, data):
    rng = np.random.default_rng(seed)
    graph = TwinGraph(rng.normal(size=(n, d)))
    for kind in kinds:
        event(kind)  # shown by pytest --hypothesis-show-statistics
        graph.step(kind, data)
    sinks = [i for i in range(len(graph.values)) if i not in graph.used]
    total = total_torch = None
    for i in sinks:
        kind = data.draw(st.sampled_from(LOSSES), label=f"loss of value {i}")
        event(kind)
        ours, theirs = graph.loss(i, kind, rng)
        total = ours if total is None else total + ours
        total_torch = theirs if total_torch is None else total_torch + theirs
    np.testing.assert_allclose(total.data, total_torch.item(), rtol=1e-10, atol=1e-10)

    total.backward()
    total_torch.backward()
    pairs = [(graph.X.grad, graph.X_torch.grad, "X")]
    pairs += [(p.grad, t.grad, p.name) for p, t in graph.params]
    for ours, theirs, name in pairs:
        expected = theirs.numpy() if theirs is not None else None
        if expected is None:
            assert ours is None or not np.any(ours), f"{name}: PyTorch has no gradient, ours is {ours}"
            continue
        assert ours is not None, f"{name}: no gradient, PyTorch has {expected}"
        scale = max(1.0, float(np.abs(expected).max()))
        np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-10 * scale, err_msg=f"gradient of {name}")
