"""An op's formulas, written once: the text the stepper shows and the op's docstring both come from it.

A :class:`Formula` holds the forward formula and one backward formula per
argument of ``forward`` (then per parameter attribute) as templates whose
slots name the values: ``{out}`` the op's output, ``{L}`` the loss,
``{<argument>}`` an argument of ``forward`` (``{mu}``, ``{y}``) and
``{<attribute>}`` a parameter (``{theta}``). The stepper fills the slots
with the names shown on the graph (``z₁``, ``μ``, ``θ₂``); the docstring with
the op's own symbols (its ``symbol`` class attribute for ``{out}``, ``L``
for the loss, :attr:`Formula.symbols` or the argument's name for the rest).

:func:`documented` writes an op class's formulas into its docstring, so
they are written in one place only.

Examples
--------
>>> f = Formula("{out} = ({mu} − {y})²", {"mu": "∂{L}/∂{mu} = 2({mu} − {y}) ⊙ ∂{L}/∂{out}"}, symbols={"mu": "μ"})
>>> f.forward_text({"out": "s", "mu": "μ", "y": "y"})
's = (μ − y)²'
>>> f.backward_text("mu", {"out": "s₂", "mu": "z", "y": "t", "L": "ℓ"})
'∂ℓ/∂z = 2(z − t) ⊙ ∂ℓ/∂s₂'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = ["LOSS", "OUT", "Formula", "documented", "fill"]

#: The slot of the op's output.
OUT = "out"
#: The slot of the loss.
LOSS = "L"

_SLOT = re.compile(r"\{([A-Za-z_]\w*)\}")
T = TypeVar("T", bound=type)


@dataclass(frozen=True)
class Formula:
    """The forward and backward formulas of an op, as templates with ``{slot}`` names.

    Parameters
    ----------
    forward : str or sequence of str
        The forward formula; several alternatives when a slot may be missing
        (``Linear`` without a bias): the first whose slots all have names is used.
    backward : mapping
        ``{argument or parameter attribute: formula of its gradient}``, in the
        order of ``forward``'s arguments, then of the parameters. An argument
        that never gets a gradient (integer labels) has no entry.
    symbols : mapping, optional
        The symbols the docstring uses for arguments and parameters (default:
        the slot's own name), e.g. ``{"theta": "θ"}``.
    """

    forward: str | Sequence[str]
    backward: Mapping[str, str]
    symbols: Mapping[str, str] = field(default_factory=dict)

    @property
    def forwards(self) -> tuple[str, ...]:
        """The forward alternatives, first the fullest."""
        return (self.forward,) if isinstance(self.forward, str) else tuple(self.forward)

    def slots(self) -> frozenset[str]:
        """Every slot the templates use."""
        texts = [*self.forwards, *self.backward.values()]
        return frozenset(m.group(1) for text in texts for m in _SLOT.finditer(text))

    def forward_text(self, names: Mapping[str, str]) -> str:
        """The forward formula with the slots filled (the first alternative whose slots all have names)."""
        for template in self.forwards:
            if all(m.group(1) in names for m in _SLOT.finditer(template)):
                return fill(template, names)
        return fill(self.forwards[0], names)

    def backward_text(self, key: str, names: Mapping[str, str]) -> str:
        """The gradient formula of argument or parameter ``key``, slots filled.

        Raises
        ------
        KeyError
            ``key`` has no backward formula.
        """
        return fill(self.backward[key], names)

    def doc_names(self, symbol: str) -> dict[str, str]:
        """The names the docstring uses: ``symbol`` for the output, ``L`` for the loss, then :attr:`symbols`."""
        names = {slot: slot for slot in self.slots()}
        names.update(self.symbols)
        names.update({OUT: symbol, LOSS: "L"})
        return names

    def doc(self, symbol: str) -> list[str]:
        """The docstring lines of the formulas (``Forward: …``, ``Backward:`` and one bullet per gradient)."""
        names = self.doc_names(symbol)
        lines = [f"Forward: {self.forward_text(names)}", "", "Backward:", ""]
        lines += [f"* {self.backward_text(key, names)}" for key in self.backward]
        return lines


def fill(template: str, names: Mapping[str, str]) -> str:
    """``template`` with every ``{slot}`` that ``names`` knows replaced by its name (others left as they are).

    >>> fill("∂{L}/∂{x} = {unknown}", {"L": "L", "x": "z₁"})
    '∂L/∂z₁ = {unknown}'
    """
    return _SLOT.sub(lambda m: names.get(m.group(1), m.group(0)), template)


def documented(cls: T) -> T:
    """Write the class's ``formula`` (a :class:`Formula`) into its docstring, after the summary paragraph.

    The output is called by the class's ``symbol`` (``"v"`` without one).
    """
    formula: Any = getattr(cls, "formula", None)
    if not isinstance(formula, Formula):
        raise TypeError(f"documented: {cls.__name__}.formula must be a Formula, got {type(formula).__name__}")
    cls.__doc__ = _insert(cls.__doc__ or cls.__name__, formula.doc(getattr(cls, "symbol", None) or "v"))
    return cls


def _insert(doc: str, block: list[str]) -> str:
    """``doc`` with ``block`` inserted after its first paragraph, indented like the rest of ``doc``."""
    lines = doc.split("\n")
    rest = [line for line in lines[1:] if line.strip()]
    last = lines[-1] if len(lines) > 1 else ""
    indent = min((len(line) - len(line.lstrip()) for line in rest), default=len(last) - len(last.lstrip()))
    pad = " " * indent
    end = next((i for i, line in enumerate(lines) if i > 0 and not line.strip()), len(lines))
    tail = lines[end:] if end < len(lines) else [pad]
    inserted = ["", *(pad + line if line else "" for line in block)]
    return "\n".join([*lines[:end], *inserted, *tail])
