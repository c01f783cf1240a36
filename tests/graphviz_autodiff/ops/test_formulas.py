"""Every op carries its formulas once (a Formula) and its output symbol; its docstring is made from them."""

from __future__ import annotations

import inspect
import re

import pytest

from graphviz_autodiff import Differentiable, Parameter, ops
from graphviz_autodiff.ops.formula import LOSS, OUT, Formula, documented, fill

OP_CLASSES = [getattr(ops, name) for name in ops.__all__ if inspect.isclass(getattr(ops, name))]
DIFFERENTIABLE = [cls for cls in OP_CLASSES if issubclass(cls, Differentiable)]
# Instances with every optional parameter switched on (for the parameter attribute names).
INSTANCES = {
    ops.Linear: lambda: ops.Linear(3, 2, bias=True),
    ops.Reshape: lambda: ops.Reshape(-1),
    ops.Clip: lambda: ops.Clip(0.0),
}
LECTURE_SYMBOLS = {"Linear": "z", "Identity": "μ", "Squared": "s", "Sum": "L"}


def forward_argument_names(cls: type) -> list[str]:
    params = list(inspect.signature(cls.forward).parameters.values())[1:]
    return [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]


def test_every_new_and_lecture_op_is_covered():
    names = {cls.__name__ for cls in DIFFERENTIABLE}
    assert names >= {
        *("ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Exp", "Log", "Softmax", "LogSoftmax", "CrossEntropy"),
        *("BinaryCrossEntropy", "Reshape", "Concat", "Dropout", "Maximum", "Clip", "Linear", "Identity"),
        *("Squared", "Sum", "Mean", "Add", "Sub", "Mul", "Div", "Neg", "Pow", "MatMul", "Transpose"),
    }


@pytest.mark.parametrize("cls", DIFFERENTIABLE, ids=lambda cls: cls.__name__)
def test_formula_is_keyed_by_arguments_then_parameters(cls):
    op = INSTANCES.get(cls, cls)()
    formula = cls.formula
    assert isinstance(formula, Formula)
    params = [attr for attr, value in vars(op).items() if isinstance(value, Parameter)]
    order = forward_argument_names(cls) + params
    keys = list(formula.backward)
    assert keys == [key for key in order if key in keys] and keys  # a subset, in order (labels get no gradient)
    for key, text in formula.backward.items():
        assert text.startswith(f"∂{{{LOSS}}}/∂{{{key}}} = "), key  # ∂{L}/∂{x} = ...
        assert f"∂{{{LOSS}}}/∂{{{OUT}}}" in text, key  # the chain rule: each gradient uses the upstream one
    slots = formula.slots() - {OUT, LOSS, "i"}
    assert slots <= set(order), f"unknown slots {slots - set(order)}"
    assert formula.forwards[0].startswith("{out}") and " = " in formula.forwards[0]


@pytest.mark.parametrize("cls", DIFFERENTIABLE, ids=lambda cls: cls.__name__)
def test_docstring_is_made_from_the_formula(cls):
    doc = inspect.getdoc(cls)
    lines = cls.formula.doc(cls.symbol)
    assert "\n".join(lines) in doc  # written once, in the class attribute
    assert "Parameters" not in doc or doc.index(lines[0]) < doc.index("Parameters")
    assert "{" not in "\n".join(lines)  # every slot filled
    # the formula is not written a second time by hand in the prose
    prose = doc.replace("\n".join(lines), "")
    assert not re.search(r"(?m)^(Forward|Backward)\b", prose)


@pytest.mark.parametrize("cls", DIFFERENTIABLE, ids=lambda cls: cls.__name__)
def test_every_op_declares_its_output_symbol(cls):
    assert isinstance(cls.__dict__.get("symbol"), str) and cls.symbol
    assert cls.formula.doc(cls.symbol)[0].startswith(f"Forward: {cls.symbol}")


def test_the_lectures_symbols():
    assert {name: getattr(ops, name).symbol for name in LECTURE_SYMBOLS} == LECTURE_SYMBOLS


def test_filling_slots_and_alternatives():
    f = Formula(("{out} = {x}·{theta} + {bias}", "{out} = {x}·{theta}"), {"theta": "∂{L}/∂{theta} = {x}ᵀ·∂{L}/∂{out}"})
    assert f.forward_text({"out": "z₁", "x": "X", "theta": "θ₁", "bias": "b₁"}) == "z₁ = X·θ₁ + b₁"
    assert f.forward_text({"out": "z", "x": "X", "theta": "θ"}) == "z = X·θ"  # no bias: the second form
    assert f.backward_text("theta", {"out": "z", "x": "X", "theta": "θ", "L": "ℓ"}) == "∂ℓ/∂θ = Xᵀ·∂ℓ/∂z"
    assert fill("{a} {b}", {"a": "μ"}) == "μ {b}"
    with pytest.raises(KeyError):
        f.backward_text("x", {})


def test_documented_inserts_after_the_summary_and_needs_a_formula():
    @documented
    class Double(Differentiable):
        """Twice the input.

        More words.
        """

        symbol = "d"
        formula = Formula("{out} = 2{x}", {"x": "∂{L}/∂{x} = 2·∂{L}/∂{out}"})

        def forward(self, x):
            return 2 * x

        def backward(self, upstream_grad):
            return 2 * upstream_grad

    assert inspect.getdoc(Double) == (
        "Twice the input.\n\nForward: d = 2x\n\nBackward:\n\n* ∂L/∂x = 2·∂L/∂d\n\nMore words."
    )
    with pytest.raises(TypeError, match="must be a Formula"):
        documented(type("NoFormula", (), {"formula": {"forward": "y = x"}}))
