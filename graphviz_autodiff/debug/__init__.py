"""The debugger: find which node of a graph, or which op, computes a wrong gradient.

* :func:`check` re-checks every recorded node of a graph on the inputs it saw
  and returns a :class:`Report` (verdict per node, diagnoses, first culprit);
* :func:`gradcheck` checks one op against central finite differences, for
  every argument and parameter, and returns a :class:`GradcheckResult`.

Neither changes the model: parameters, ``.grad`` and the ops' saved state are
the same afterwards.
"""

from .diagnose import format_error, format_table
from .graph_check import DIAGNOSES, KINDS, NodeCheck, Report, check
from .op_check import ARGUMENT_STATUSES, ArgumentCheck, GradcheckResult, PrecisionWarning, gradcheck

__all__ = [
    "ARGUMENT_STATUSES",
    "DIAGNOSES",
    "KINDS",
    "ArgumentCheck",
    "GradcheckResult",
    "NodeCheck",
    "PrecisionWarning",
    "Report",
    "check",
    "format_error",
    "format_table",
    "gradcheck",
]
