"""Classification losses computed from logits: CrossEntropy and BinaryCrossEntropy.

Both work on raw scores (logits), never on probabilities, and use the
log-sum-exp form, so logits of ±1000 give finite losses and gradients. Both
average over the batch by default, like PyTorch's ``nn.CrossEntropyLoss``
and ``nn.BCEWithLogitsLoss``.

Notation: z are the logits, y the integer labels (or t the binary targets),
ℓ the loss the op outputs and ∂L/∂ℓ its upstream gradient (1 when ℓ is the
final loss).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..differentiable import Differentiable
from .activations import log_softmax, sigmoid
from .formula import Formula, documented

__all__ = ["BinaryCrossEntropy", "CrossEntropy"]

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(op: str, reduction: str) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return reduction


def _reduce(per_sample: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return np.asarray(per_sample.mean())
    if reduction == "sum":
        return np.asarray(per_sample.sum())
    return per_sample


def _scale(upstream_grad: np.ndarray, reduction: str, count: int) -> np.ndarray:
    """∂L/∂(per-sample loss): the upstream gradient spread back over the samples."""
    g = np.asarray(upstream_grad)
    return g / count if reduction == "mean" else g


@documented
class CrossEntropy(Differentiable):
    r"""Softmax cross-entropy from logits with integer labels, averaged over the batch.

    Called as ``CrossEntropy()(logits, labels)`` with logits of shape (n, C)
    and integer labels of shape (n,) in ``0 … C−1`` (PyTorch's
    ``nn.CrossEntropyLoss()``). The log softmax is the stable
    z − m − log Σⱼ exp(zⱼ − m), m = max z. The labels are integers and get no
    gradient (``None``).

    Parameters
    ----------
    reduction : {"mean", "sum", "none"}, default "mean"
        Average over the batch (PyTorch's default), sum, or return the
        per-sample losses (shape (n,); then drop the 1/n above).
    name : str, optional
        Label in drawings.

    Raises
    ------
    ValueError
        Logits not 2-D, labels not of shape (n,), or a label outside 0 … C−1.
    TypeError
        Labels that are not integers.

    Examples
    --------
    >>> import numpy as np
    >>> float(CrossEntropy()(np.array([[0.0, 0.0]]), np.array([1])).data)  # log 2
    0.6931471805599453
    """

    symbol: ClassVar[str] = "ℓ"
    formula: ClassVar[Formula] = Formula(
        "{out} = −(1/n) Σᵢ log softmax({logits}ᵢ)[{labels}ᵢ]",
        {
            "logits": "∂{L}/∂{logits} = ∂{L}/∂{out} · (softmax({logits}) − onehot({labels})) / n",
        },
        symbols={"logits": "z", "labels": "y"},
    )

    def __init__(self, reduction: str = "mean", name: str | None = None) -> None:
        super().__init__(name)
        self.reduction = _check_reduction("CrossEntropy", reduction)

    def forward(self, logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
        logits = np.asarray(logits)
        labels = np.asarray(labels)
        self._check(logits, labels)
        n = logits.shape[0]
        self.log_probs = log_softmax(logits, axis=1)
        self.labels = labels
        per_sample = -self.log_probs[np.arange(n), labels]
        return _reduce(per_sample, self.reduction)

    def backward(self, upstream_grad: np.ndarray) -> tuple[np.ndarray | None, None]:
        needs = self.needs_input_grad
        if needs is not None and not needs[0]:
            return None, None
        n = self.log_probs.shape[0]
        grad = np.exp(self.log_probs)  # softmax(z)
        grad[np.arange(n), self.labels] -= 1.0
        g = _scale(upstream_grad, self.reduction, n)
        return grad * (g[:, None] if g.ndim == 1 else g), None

    @staticmethod
    def _check(logits: np.ndarray, labels: np.ndarray) -> None:
        if logits.ndim != 2:
            hint = " (one sample: logits.reshape(1, -1))" if logits.ndim == 1 else ""
            raise ValueError(f"CrossEntropy: logits must have shape (n, C), got shape {logits.shape}{hint}")
        if labels.dtype.kind not in "iu":
            raise TypeError(
                f"CrossEntropy: labels must be integers (class indices 0 … C−1), got dtype {labels.dtype}; "
                f"convert them with labels.astype(int)"
            )
        n, n_classes = logits.shape
        if labels.shape != (n,):
            raise ValueError(
                f"CrossEntropy: labels must have shape ({n},), one class index per row of the logits, "
                f"got shape {labels.shape}"
            )
        if n == 0:
            raise ValueError("CrossEntropy: the batch is empty (logits of shape (0, C))")
        if labels.min() < 0 or labels.max() >= n_classes:
            bad = labels[(labels < 0) | (labels >= n_classes)]
            raise ValueError(
                f"CrossEntropy: labels must lie in 0 … {n_classes - 1} for {n_classes} classes, got {bad[:5].tolist()}"
            )


@documented
class BinaryCrossEntropy(Differentiable):
    r"""Binary cross-entropy from logits, averaged over all elements.

    Called as ``BinaryCrossEntropy()(logits, targets)`` with targets in
    [0, 1] of the logits' shape (PyTorch's ``nn.BCEWithLogitsLoss()``): the
    sigmoid is part of the loss, so pass raw scores, not probabilities. The
    formula is the stable form of (1/N) Σ [−t·log σ(z) − (1 − t)·log(1 − σ(z))];
    integer targets get no gradient.

    Parameters
    ----------
    reduction : {"mean", "sum", "none"}, default "mean"
        Average over the N elements (PyTorch's default), sum, or return the
        element-wise losses (then drop the 1/N above).
    name : str, optional
        Label in drawings.

    Raises
    ------
    ValueError
        Logits and targets of different shapes.

    Examples
    --------
    >>> import numpy as np
    >>> float(BinaryCrossEntropy()(np.array([0.0]), np.array([1.0])).data)  # log 2
    0.6931471805599453
    """

    symbol: ClassVar[str] = "ℓ"
    formula: ClassVar[Formula] = Formula(
        "{out} = (1/N) Σ [max({logits}, 0) − {logits}·{targets} + log(1 + exp(−|{logits}|))]",
        {
            "logits": "∂{L}/∂{logits} = ∂{L}/∂{out} · (σ({logits}) − {targets}) / N",
            "targets": "∂{L}/∂{targets} = −∂{L}/∂{out} · {logits} / N",
        },
        symbols={"logits": "z", "targets": "t"},
    )

    def __init__(self, reduction: str = "mean", name: str | None = None) -> None:
        super().__init__(name)
        self.reduction = _check_reduction("BinaryCrossEntropy", reduction)

    def forward(self, logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
        logits = np.asarray(logits)
        targets = np.asarray(targets)
        if logits.shape != targets.shape:
            raise ValueError(
                f"BinaryCrossEntropy: targets must have the shape of the logits {logits.shape}, got "
                f"{targets.shape}; reshape them (e.g. targets.reshape({', '.join(map(str, logits.shape))}))"
            )
        if logits.size == 0:
            raise ValueError("BinaryCrossEntropy: the batch is empty")
        self.logits, self.targets = logits, targets
        per_element = np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))
        return _reduce(per_element, self.reduction)

    def backward(self, upstream_grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        need_z, need_t = self.needs_input_grad or (True, self.targets.dtype.kind in "fc")
        g = _scale(upstream_grad, self.reduction, self.logits.size)
        grad_z = g * (sigmoid(self.logits) - self.targets) if need_z else None
        grad_t = -g * self.logits if need_t else None
        return grad_z, grad_t
