"""A step's formulas written with the graph's own names.

This module's one job is to fill an op's :class:`~graphviz_autodiff.ops.formula.Formula`
with the names shown on the graph (:class:`viz.drawing.names.GraphNames`): the
output's name for ``{out}``, the loss's for ``{L}``, the name of the node
feeding each argument and of each parameter. An op without a formula (a
student's own) gets the general chain rule, ``∂L/∂x = ∂L/∂out · ∂out/∂x``,
with the same names.

Examples
--------
>>> import numpy as np
>>> import viz
>>> from graphviz_autodiff.ops import Squared, Sum
>>> model = viz.StepperModel(Sum()(Squared()(np.ones(2), np.zeros(2))))
>>> chain_lines(model.steps[1], model.names)
['∂L/∂input0 = 2(input0 − input1) ⊙ ∂L/∂s', '∂L/∂input1 = −2(input0 − input1) ⊙ ∂L/∂s']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from graphviz_autodiff.ops.formula import LOSS, OUT, Formula
from graphviz_autodiff.util import argument_names

from ..drawing.names import GraphNames
from .steps import Step

__all__ = ["GENERIC", "chain_lines", "formula_of", "forward_line", "generic_lines", "slot_names"]

#: The chain rule for one argument ``x`` of an op without a formula.
GENERIC = "∂{L}/∂{x} = ∂{L}/∂{out} · ∂{out}/∂{x}"

_STAR = re.compile(r"^(\w+)\[(\d+)\]$")


def formula_of(op: Any) -> Formula | None:
    """The op's :class:`Formula`; a plain ``{"forward": ..., "backward": {...}}`` dict is read as one."""
    formula = getattr(op, "formula", None)
    if isinstance(formula, Formula):
        return formula
    if isinstance(formula, Mapping) and isinstance(formula.get("backward"), Mapping):
        return Formula(str(formula.get("forward") or ""), dict(formula["backward"]))
    return None


def _arguments(step: Step) -> list[tuple[str, int | None, int | None]]:
    """``[(slot, star index or None, node)]`` for each argument position of the step's call."""
    out = []
    for position, name in enumerate(argument_names(step.op, len(step.inputs))):
        node = step.inputs[position]
        m = _STAR.match(name)
        out.append((m.group(1), int(m.group(2)), node) if m else (name, None, node))
    return out


def slot_names(step: Step, names: GraphNames, formula: Formula | None = None) -> dict[str, str]:
    """The name of every slot of a step's formula: ``out``, ``L``, the arguments and the parameters.

    An argument that is not a recorded node keeps the formula's symbol for it
    (or the argument's name); a ``*xs`` argument is the list of its names.
    """
    symbols = formula.symbols if formula is not None else {}
    slots = {OUT: names.name(step.node), LOSS: names.loss}
    stars: dict[str, list[str]] = {}
    for slot, index, node in _arguments(step):
        name = names.name(node) if node is not None else symbols.get(slot, slot)
        if index is None:
            slots[slot] = name
        else:
            stars.setdefault(slot, []).append(name)
    slots.update({slot: ", ".join(members) for slot, members in stars.items()})
    slots.update({attr: names.name(node) for attr, node in step.params.items()})
    return slots


def chain_lines(step: Step, names: GraphNames) -> list[str]:
    """The backward formulas of what the step's ``backward`` returned, with the graph's names.

    One line per argument and parameter that got a gradient (all of the
    formula's lines if none did); :func:`generic_lines` for an op without a formula.
    """
    formula = formula_of(step.op)
    if formula is None:
        return generic_lines(step, names)
    slots = slot_names(step, names, formula)
    lines = []
    arguments = _arguments(step)
    for position, g in enumerate(step.grads or ()):
        if g is None or position >= len(arguments):
            continue
        slot, index, node = arguments[position]
        if slot in formula.backward:
            own = dict(slots)
            if index is not None:
                own.update({slot: names.name(node) if node is not None else slot, "i": str(index)})
            lines.append(formula.backward_text(slot, own))
    lines += [
        formula.backward_text(a, slots) for a, g in step.param_grads.items() if g is not None and a in formula.backward
    ]
    return lines or [formula.backward_text(key, slots) for key in formula.backward]


def generic_lines(step: Step, names: GraphNames) -> list[str]:
    """The general chain rule for every argument and parameter that got a gradient: ``∂L/∂x = ∂L/∂out · ∂out/∂x``."""
    slots = {OUT: names.name(step.node), LOSS: names.loss}
    targets = [node for node, g in zip(step.inputs, step.grads or ()) if g is not None and node is not None]
    targets += [step.params[a] for a, g in step.param_grads.items() if g is not None and a in step.params]
    return [GENERIC.format(**slots, x=names.name(node)) for node in dict.fromkeys(targets)]


def forward_line(step: Step, names: GraphNames) -> str | None:
    """The forward formula with the graph's names (``z₁ = X·θ₁ + b₁``), or ``None`` without a formula."""
    formula = formula_of(step.op)
    if formula is None or not formula.forwards[0]:
        return None
    return formula.forward_text(slot_names(step, names, formula))
