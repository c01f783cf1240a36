"""The debugger: find which node of a graph, or which op, computes a wrong gradient.

* :func:`check` re-checks every recorded node of a graph on the inputs it saw
  and returns a :class:`Report` (verdict per node, diagnoses, first culprit,
  and the nodes that only inherit a wrong gradient);
* :func:`gradcheck` checks one op against central finite differences, for
  every argument and parameter, and returns a :class:`GradcheckResult`.

Neither changes the model: parameters, ``.grad`` and the ops' saved state are
the same afterwards, and neither raises for what a student's op returns.

Both are two steps with a seam between them, so that the verdict can be
computed in another process than the student's code:
:func:`~graphviz_autodiff.debug.measure.measure_call` runs the op and records
raw numbers (:class:`~graphviz_autodiff.debug.verdict.Evidence`), and
:func:`~graphviz_autodiff.debug.verdict.judge` turns them into a verdict.
"""

from .diagnose import diagnosis_text, format_error, format_table
from .graph_check import DIAGNOSES, KINDS, NodeCheck, Report, check
from .measure import Streams, measure_call, random_streams
from .op_check import ARGUMENT_STATUSES, ArgumentCheck, GradcheckResult, PrecisionWarning, gradcheck
from .verdict import Evidence, evidence_from_json, evidence_to_json, judge

__all__ = [
    "ARGUMENT_STATUSES",
    "DIAGNOSES",
    "KINDS",
    "ArgumentCheck",
    "Evidence",
    "GradcheckResult",
    "NodeCheck",
    "PrecisionWarning",
    "Report",
    "Streams",
    "check",
    "diagnosis_text",
    "evidence_from_json",
    "evidence_to_json",
    "format_error",
    "format_table",
    "gradcheck",
    "judge",
    "measure_call",
    "random_streams",
]
