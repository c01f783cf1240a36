"""Deliberately buggy ops (the classic student mistakes) with correct references.

Every :class:`Case` pairs a buggy op with a correct implementation of the
same op and says what :func:`graphviz_autodiff.debug.check` must report on
the buggy node: its ``kind``, its ``diagnosis`` (``None`` when no specific
diagnosis fits) and the failing ``argument``. :func:`build` puts the op in
the middle of a small graph (Identity before each float input, a random
weighting and a Sum after), so "flagged on the right node" means something.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable, Tensor
from graphviz_autodiff.ops import Identity, Mul, Sum


@dataclass(frozen=True)
class Case:
    """One classic mistake.

    Attributes
    ----------
    name : str
        Test id.
    buggy, reference : callable
        Build a fresh buggy op / a fresh correct op.
    inputs : callable
        ``inputs(rng)`` returns the op's arguments.
    kind, diagnosis, argument
        What the check must report on the buggy node.
    calls : int
        How many times the op instance is applied in the graph (reuse cases
        chain it: ``op(op(x))``).
    flagged_call : int
        Which call must be flagged.
    """

    name: str
    buggy: Callable[[], Differentiable]
    reference: Callable[[], Differentiable]
    inputs: Callable[[np.random.Generator], tuple[Any, ...]]
    kind: str
    diagnosis: str | None = None
    argument: str | None = None
    calls: int = 1
    flagged_call: int = 0


def build(case: Case, op: Differentiable, *, run_backward: bool = True) -> tuple[Tensor, list[Tensor]]:
    """The graph ``Sum(w ⊙ op(Identity(x), ...))``; return the loss and the op's output tensors."""
    rng = np.random.default_rng(7)
    inputs = case.inputs(rng)
    args = [Identity()(x) if isinstance(x, np.ndarray) and x.dtype.kind == "f" else x for x in inputs]
    outputs = [op(*args)]
    for _ in range(case.calls - 1):
        outputs.append(op(outputs[-1], *args[1:]))
    weights = rng.standard_normal(outputs[-1].shape)
    loss = Sum()(Mul()(outputs[-1], weights))
    if run_backward:
        for _ in gad.iter_backward(loss, on_error="record"):
            pass
    return loss, outputs


def _collect() -> list[Case]:
    from . import activations, arithmetic, lecture, missed, nonfinite, returns, stateful

    cases: list[Case] = []
    for module in (lecture, activations, arithmetic, stateful, nonfinite, returns, missed):
        cases.extend(module.CASES)
    return cases


CASES: list[Case] = _collect()
