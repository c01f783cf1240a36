"""Built-in ops.

* the lecture's: Linear, Identity, Squared, Sum, MSE;
* the ones tensor arithmetic uses: Add, Sub, Mul, Div, Neg, Pow, MatMul, Transpose, Mean;
* for multilayer networks: activations (ReLU, LeakyReLU, Sigmoid, Tanh, Exp, Log, Softmax, LogSoftmax),
  losses from logits (CrossEntropy, BinaryCrossEntropy), shapes (Reshape, Concat), Dropout, Maximum and Clip.

Every op class documents its forward and backward formulas, and carries them
in a ``formula`` class attribute, ``{"forward": str, "backward": {name: str}}``,
keyed by the names of ``forward``'s arguments and then of the op's parameter
attributes (what the stepper shows next to each gradient).
"""

from ._broadcast import unbroadcast
from .activations import Exp, LeakyReLU, Log, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .clip import Clip, Maximum
from .elementwise import Add, Div, Mul, Neg, Pow, Sub
from .lecture import MSE, Identity, Linear, Squared
from .linalg import MatMul, Transpose
from .losses import BinaryCrossEntropy, CrossEntropy
from .reduce import Mean, Sum
from .regularization import Dropout
from .shape import Concat, Reshape

__all__ = [
    "MSE",
    "Add",
    "BinaryCrossEntropy",
    "Clip",
    "Concat",
    "CrossEntropy",
    "Div",
    "Dropout",
    "Exp",
    "Identity",
    "LeakyReLU",
    "Linear",
    "Log",
    "LogSoftmax",
    "MatMul",
    "Maximum",
    "Mean",
    "Mul",
    "Neg",
    "Pow",
    "ReLU",
    "Reshape",
    "Sigmoid",
    "Softmax",
    "Squared",
    "Sub",
    "Sum",
    "Tanh",
    "Transpose",
    "unbroadcast",
]
