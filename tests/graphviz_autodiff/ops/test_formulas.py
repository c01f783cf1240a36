"""Every op documents its forward and backward: a numpydoc docstring and a ``formula`` keyed by argument names."""

from __future__ import annotations

import inspect

import pytest

from graphviz_autodiff import Differentiable, Parameter, ops

OP_CLASSES = [getattr(ops, name) for name in ops.__all__ if inspect.isclass(getattr(ops, name))]
DIFFERENTIABLE = [cls for cls in OP_CLASSES if issubclass(cls, Differentiable)]
# Instances with every optional parameter switched on (for the parameter attribute names).
INSTANCES = {
    ops.Linear: lambda: ops.Linear(3, 2, bias=True),
    ops.Reshape: lambda: ops.Reshape(-1),
    ops.Clip: lambda: ops.Clip(0.0),
}


def forward_argument_names(cls: type) -> list[str]:
    params = list(inspect.signature(cls.forward).parameters.values())[1:]
    return [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]


def test_every_new_and_lecture_op_is_covered():
    names = {cls.__name__ for cls in DIFFERENTIABLE}
    assert names >= {
        "ReLU",
        "LeakyReLU",
        "Sigmoid",
        "Tanh",
        "Exp",
        "Log",
        "Softmax",
        "LogSoftmax",
        "CrossEntropy",
        "BinaryCrossEntropy",
        "Reshape",
        "Concat",
        "Dropout",
        "Maximum",
        "Clip",
        "Linear",
        "Identity",
        "Squared",
        "Sum",
        "Mean",
        "Add",
        "Sub",
        "Mul",
        "Div",
        "Neg",
        "Pow",
        "MatMul",
        "Transpose",
    }


@pytest.mark.parametrize("cls", DIFFERENTIABLE, ids=lambda cls: cls.__name__)
def test_formula_is_keyed_by_arguments_then_parameters(cls):
    op = INSTANCES.get(cls, cls)()
    formula = cls.formula
    assert set(formula) == {"forward", "backward"}
    assert isinstance(formula["forward"], str) and "=" in formula["forward"]
    params = [attr for attr, value in vars(op).items() if isinstance(value, Parameter)]
    expected = forward_argument_names(cls) + params
    assert list(formula["backward"]) == expected
    for key, text in formula["backward"].items():
        assert isinstance(text, str) and text, key


@pytest.mark.parametrize("cls", DIFFERENTIABLE, ids=lambda cls: cls.__name__)
def test_docstring_states_the_backward_formula(cls):
    doc = inspect.getdoc(cls)
    assert "Backward" in doc and "∂L/∂" in doc
