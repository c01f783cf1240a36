"""graphviz_autodiff: autodiff on NumPy that records every op call into a
networkx DAG, for drawing and stepping through backpropagation.

The core depends on NumPy and networkx only; drawing and the stepper live in
the separate ``viz`` package.
"""

from . import errors, nn, ops, optim
from .differentiable import Differentiable
from .engine import BackwardStep, backward, iter_backward
from .graph import Graph, group, is_recording, last_graph, no_record
from .rng import manual_seed
from .tensor import Parameter, Tensor

__version__ = "0.1.0"

__all__ = [
    "Differentiable",
    "Tensor",
    "Parameter",
    "Graph",
    "BackwardStep",
    "iter_backward",
    "backward",
    "no_record",
    "is_recording",
    "last_graph",
    "group",
    "manual_seed",
    "errors",
    "ops",
    "nn",
    "optim",
]
