"""CrossEntropy and BinaryCrossEntropy vs PyTorch's CrossEntropyLoss / BCEWithLogitsLoss and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import graphviz_autodiff as gad
from graphviz_autodiff import Tensor
from graphviz_autodiff.ops import BinaryCrossEntropy, CrossEntropy

from .helpers import SETTINGS, TORCH_REASON, check_op, uniform

torch = pytest.importorskip("torch", reason=TORCH_REASON)
F = torch.nn.functional
pytestmark = pytest.mark.oracle

reductions = st.sampled_from(["mean", "sum", "none"])


@SETTINGS
@given(n=st.integers(1, 6), n_classes=st.integers(1, 5), seed=st.integers(0, 2**16), reduction=reductions)
def test_cross_entropy(n, n_classes, seed, reduction):
    labels = np.random.default_rng(seed).integers(0, n_classes, size=n)
    check_op(
        lambda: CrossEntropy(reduction),
        lambda z, y: F.cross_entropy(z, y, reduction=reduction),
        [(n, n_classes), labels],
        sample=uniform(-5, 5),
        seed=seed,
    )


@SETTINGS
@given(n=st.integers(1, 5), k=st.integers(1, 3), seed=st.integers(0, 2**16), reduction=reductions)
def test_binary_cross_entropy_with_float_targets(n, k, seed, reduction):
    check_op(
        lambda: BinaryCrossEntropy(reduction),
        lambda z, t: F.binary_cross_entropy_with_logits(z, t, reduction=reduction),
        [(n, k), np.random.default_rng(seed).uniform(0, 1, size=(n, k))],
        sample=uniform(-5, 5),
        seed=seed,
    )


def test_binary_cross_entropy_with_integer_targets_gives_them_no_gradient():
    targets = np.array([0, 1, 1, 0])
    check_op(
        BinaryCrossEntropy,
        lambda z, t: F.binary_cross_entropy_with_logits(z, t.double()),
        [(4,), targets],
    )
    z = Tensor(np.array([0.5, -1.0, 2.0, 0.0]))
    steps = list(gad.iter_backward(BinaryCrossEntropy()(z, targets)))
    assert steps[0].grads[1] is None


def test_cross_entropy_label_gets_none():
    z = Tensor(np.zeros((2, 3)))
    (step,) = gad.iter_backward(CrossEntropy()(z, np.array([0, 2])))
    assert step.grads[1] is None
    np.testing.assert_allclose(z.grad, [[-1 / 3, 1 / 6, 1 / 6], [1 / 6, 1 / 6, -1 / 3]])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_on_logits_of_1000_is_finite_and_matches_pytorch(reduction):
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0], [0.0, 0.0, -1000.0]])
    labels = np.array([1, 2, 2])
    z = Tensor(logits)
    loss = CrossEntropy(reduction)(z, labels)
    upstream = np.ones(loss.shape)
    loss.backward(upstream)
    assert np.isfinite(loss.data).all() and np.isfinite(z.grad).all()
    t = torch.tensor(logits, requires_grad=True)
    t_loss = F.cross_entropy(t, torch.tensor(labels), reduction=reduction)
    t_loss.backward(torch.tensor(upstream))
    np.testing.assert_allclose(loss.data, t_loss.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(z.grad, t.grad.numpy(), rtol=1e-12, atol=1e-300)
    # Sample 0 pays 2000 (label 1 at -1000 against 1000), sample 1 pays log 2, sample 2 pays 1000 + log 2.
    per_sample = [2000.0, np.log(2.0), 1000.0 + np.log(2.0)]
    expected = {"mean": np.mean(per_sample), "sum": np.sum(per_sample), "none": per_sample}[reduction]
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12)


def test_binary_cross_entropy_on_logits_of_1000_is_finite_and_matches_pytorch():
    logits = np.array([1000.0, -1000.0, 1000.0, -1000.0, 0.0])
    targets = np.array([1.0, 0.0, 0.0, 1.0, 0.3])
    z, t_ours = Tensor(logits), Tensor(targets)
    loss = BinaryCrossEntropy()(z, t_ours)
    loss.backward()
    assert np.isfinite(loss.data) and np.isfinite(z.grad).all() and np.isfinite(t_ours.grad).all()
    tz = torch.tensor(logits, requires_grad=True)
    tt = torch.tensor(targets, requires_grad=True)
    t_loss = F.binary_cross_entropy_with_logits(tz, tt)
    t_loss.backward()
    np.testing.assert_allclose(loss.data, t_loss.item(), rtol=1e-12)
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(t_ours.grad, tt.grad.numpy(), rtol=1e-12)


def test_cross_entropy_of_a_confident_right_answer_is_near_zero():
    loss = CrossEntropy()(np.array([[20.0, 0.0], [0.0, 20.0]]), np.array([0, 1]))
    assert 0 < float(loss.data) < 1e-8


@pytest.mark.parametrize(
    ("logits", "labels", "error", "match"),
    [
        (
            np.zeros(3),
            np.array([0]),
            ValueError,
            r"logits must have shape \(n, C\), got shape \(3,\).*reshape\(1, -1\)",
        ),
        (np.zeros((2, 3)), np.array([0.0, 1.0]), TypeError, r"labels must be integers.*astype\(int\)"),
        (np.zeros((2, 3)), np.array([0, 1, 2]), ValueError, r"labels must have shape \(2,\).*got shape \(3,\)"),
        (np.zeros((2, 3)), np.array([0, 3]), ValueError, r"labels must lie in 0 … 2 for 3 classes, got \[3\]"),
        (np.zeros((2, 3)), np.array([-1, 0]), ValueError, r"got \[-1\]"),
    ],
)
def test_cross_entropy_rejects_bad_input_with_a_clear_message(logits, labels, error, match):
    with pytest.raises(error, match=match):
        CrossEntropy()(logits, labels)


def test_binary_cross_entropy_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"targets must have the shape of the logits \(4, 1\), got \(4,\)"):
        BinaryCrossEntropy()(np.zeros((4, 1)), np.zeros(4))


def test_unknown_reduction_is_rejected():
    with pytest.raises(ValueError, match="CrossEntropy: reduction must be one of"):
        CrossEntropy("avg")
