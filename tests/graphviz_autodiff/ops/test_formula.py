"""ops.formula: Formula fills its slots with the graph's names, and documented() writes it into the op's docstring."""

from __future__ import annotations

from typing import ClassVar

import pytest

from graphviz_autodiff import Differentiable
from graphviz_autodiff.ops import Linear, Squared
from graphviz_autodiff.ops.formula import LOSS, OUT, Formula, documented, fill

SQUARED = Formula("{out} = ({mu} − {y})²", {"mu": "∂{L}/∂{mu} = 2({mu} − {y}) ⊙ ∂{L}/∂{out}"}, symbols={"mu": "μ"})


def test_forward_and_backward_texts_fill_the_slots():
    assert SQUARED.forward_text({"out": "s", "mu": "μ", "y": "y"}) == "s = (μ − y)²"
    assert SQUARED.backward_text("mu", {"out": "s₂", "mu": "z", "y": "t", "L": "ℓ"}) == "∂ℓ/∂z = 2(z − t) ⊙ ∂ℓ/∂s₂"
    with pytest.raises(KeyError, match="y"):
        SQUARED.backward_text("y", {})


def test_slots_and_the_slot_constants():
    assert SQUARED.slots() == frozenset({"out", "mu", "y", "L"})
    assert (OUT, LOSS) == ("out", "L")
    assert SQUARED.forwards == ("{out} = ({mu} − {y})²",)


def test_the_first_forward_alternative_whose_slots_all_have_names_is_used():
    names = {"out": "z", "x": "X", "theta": "θ"}
    assert Linear.formula.forward_text(names) == "z = X·θ"
    assert Linear.formula.forward_text({**names, "bias": "b"}) == "z = X·θ + b"
    # No alternative complete: the first one, its unknown slots left as they are.
    assert Linear.formula.forward_text({"out": "z"}) == "z = {x}·{theta} + {bias}"


def test_fill_leaves_unknown_slots_alone():
    assert fill("∂{L}/∂{x} = {unknown}", {"L": "L", "x": "z₁"}) == "∂L/∂z₁ = {unknown}"
    assert fill("no slots {1x} here", {"1x": "?"}) == "no slots {1x} here"


def test_doc_uses_the_symbol_for_the_output_and_symbols_for_arguments():
    assert SQUARED.doc_names("s") == {"out": "s", "L": "L", "mu": "μ", "y": "y"}
    assert SQUARED.doc("s") == ["Forward: s = (μ − y)²", "", "Backward:", "", "* ∂L/∂μ = 2(μ − y) ⊙ ∂L/∂s"]


def test_documented_inserts_the_formulas_after_the_summary_with_the_docstrings_indent():
    assert Squared.__doc__.startswith(
        "The squared difference, element-wise.\n\n"
        "    Forward: s = (μ − y)²\n\n"
        "    Backward:\n\n"
        "    * ∂L/∂μ = 2(μ − y) ⊙ ∂L/∂s\n"
        "    * ∂L/∂y = −2(μ − y) ⊙ ∂L/∂s\n\n"
        "    The lecture asks"
    )


def test_documented_on_a_one_line_docstring_and_without_a_symbol():
    @documented
    class Double(Differentiable):
        """Twice x."""

        formula: ClassVar[Formula] = Formula("{out} = 2{x}", {"x": "∂{L}/∂{x} = 2∂{L}/∂{out}"})

        def forward(self, x):
            return 2 * x

    assert Double.__doc__ == "Twice x.\n\nForward: v = 2x\n\nBackward:\n\n* ∂L/∂x = 2∂L/∂v\n"


def test_documented_needs_a_formula():
    with pytest.raises(TypeError, match=r"documented: Bare\.formula must be a Formula, got NoneType"):
        documented(type("Bare", (), {}))
