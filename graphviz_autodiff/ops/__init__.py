"""Built-in ops: the lecture's (Linear, Identity, Squared, Sum, MSE) and the ones
tensor arithmetic uses (Add, Sub, Mul, Div, Neg, Pow, MatMul, Transpose, Mean)."""

from ._broadcast import unbroadcast
from .elementwise import Add, Div, Mul, Neg, Pow, Sub
from .lecture import MSE, Identity, Linear, Squared
from .linalg import MatMul, Transpose
from .reduce import Mean, Sum

__all__ = [
    "Linear",
    "Identity",
    "Squared",
    "Sum",
    "MSE",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Neg",
    "Pow",
    "MatMul",
    "Transpose",
    "Mean",
    "unbroadcast",
]
