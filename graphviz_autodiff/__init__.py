"""graphviz_autodiff: autodiff on NumPy that records every op call into a
networkx DAG, for drawing and stepping through backpropagation.

The core depends on NumPy and networkx only; drawing and the stepper live in
the separate ``viz`` package.
"""

from . import analysis, datasets, errors, lecture, nn, ops, optim, training
from .differentiable import Differentiable
from .engine import BackwardStep, backward, iter_backward
from .graph import Graph, group, is_recording, last_graph, no_record
from .rng import manual_seed
from .tensor import Parameter, Tensor
from .training import History, fit

__version__ = "0.1.0"

__all__ = [
    "BackwardStep",
    "Differentiable",
    "Graph",
    "History",
    "Parameter",
    "Tensor",
    "analysis",
    "backward",
    "datasets",
    "errors",
    "fit",
    "group",
    "is_recording",
    "iter_backward",
    "last_graph",
    "lecture",
    "manual_seed",
    "nn",
    "no_record",
    "ops",
    "optim",
    "training",
]
