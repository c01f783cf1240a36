"""Built-in ops.

* the lecture's: Linear, Identity, Squared, Sum, MSE;
* the ones tensor arithmetic uses: Add, Sub, Mul, Div, Neg, Pow, MatMul, Transpose, Mean;
* for multilayer networks: activations (ReLU, LeakyReLU, Sigmoid, Tanh, Exp, Log, Softmax, LogSoftmax),
  losses from logits (CrossEntropy, BinaryCrossEntropy), shapes (Reshape, Concat), Dropout, Maximum and Clip.

Every op class carries its forward and backward formulas once, in a
``formula`` class attribute (a :class:`~graphviz_autodiff.ops.formula.Formula`
whose backward formulas are keyed by the names of ``forward``'s arguments and
then of the op's parameter attributes), and the default name of its output in
a ``symbol`` class attribute (``Linear``: ``z``, ``Identity``: ``μ``,
``Squared``: ``s``, ``Sum``: ``L``). The stepper writes the formulas with the
names shown on the graph; the op's docstring is generated from the same
formula (:func:`~graphviz_autodiff.ops.formula.documented`).
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
