"""graphviz_autodiff: autodiff on NumPy that records every op call into a
networkx DAG, for drawing and stepping through backpropagation.

The core depends on NumPy and networkx only; drawing and the stepper live in
the separate ``viz`` package, the lecture's data, analysis and training loop in
:mod:`graphviz_autodiff.course`, the command line in :mod:`graphviz_autodiff.cli`.
"""

from . import errors, nn, ops, optim
from .anomaly import detect_anomaly, is_anomaly_enabled
from .debug import GradcheckResult, NodeCheck, Report, check, gradcheck
from .differentiable import Differentiable
from .engine import BackwardStep, backward, iter_backward
from .graph import Graph, group, is_recording, last_graph, no_record
from .i18n import set_message_lang
from .ops.arithmetic import install as _install_tensor_methods
from .rng import manual_seed
from .tensor import Parameter, Tensor

# Tensor's operators and backward come from the layers above tensor.py (ops, engine): installed once, here.
_install_tensor_methods()

__version__ = "0.1.0"

__all__ = [
    "BackwardStep",
    "Differentiable",
    "GradcheckResult",
    "Graph",
    "NodeCheck",
    "Parameter",
    "Report",
    "Tensor",
    "backward",
    "check",
    "detect_anomaly",
    "errors",
    "gradcheck",
    "group",
    "is_anomaly_enabled",
    "is_recording",
    "iter_backward",
    "last_graph",
    "manual_seed",
    "nn",
    "no_record",
    "ops",
    "optim",
    "set_message_lang",
]
