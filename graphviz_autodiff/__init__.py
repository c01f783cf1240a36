"""graphviz_autodiff: autodiff on NumPy that records every op call into a
networkx DAG, for drawing and stepping through backpropagation.

The core depends on NumPy and networkx only; drawing and the stepper live in
the separate ``viz`` package.
"""

from . import analysis, datasets, errors, lecture, nn, ops, optim, training
from .anomaly import detect_anomaly, is_anomaly_enabled
from .debug import NodeCheck, Report, check
from .differentiable import Differentiable
from .engine import BackwardStep, backward, iter_backward
from .gradcheck import GradcheckResult, gradcheck
from .graph import Graph, group, is_recording, last_graph, no_record
from .rng import manual_seed
from .tensor import Parameter, Tensor
from .training import History, fit

__version__ = "0.1.0"

__all__ = [
    "BackwardStep",
    "Differentiable",
    "GradcheckResult",
    "Graph",
    "History",
    "NodeCheck",
    "Parameter",
    "Report",
    "Tensor",
    "analysis",
    "backward",
    "check",
    "datasets",
    "detect_anomaly",
    "errors",
    "fit",
    "gradcheck",
    "group",
    "is_anomaly_enabled",
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
