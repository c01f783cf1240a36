"""Debugging a recorded graph: re-check every node on the inputs it actually saw.

:func:`check` takes a tensor (usually the loss) or a :class:`~graphviz_autodiff.Graph`
and returns a :class:`Report` with one :class:`NodeCheck` per node, in
backward order (the loss's op first, as :func:`~graphviz_autodiff.iter_backward`
visits them; leaves last), and names the **first culprit**.

How a node is checked
=====================
Each op call is checked **in isolation**, with
:func:`graphviz_autodiff.debug.check_call`: a deep copy of its op gets
the argument values the call saw (the ``value`` of its producers, in
argument order) and the parameter values it saw (the ``value`` of its
parameter leaves); its ``forward`` is re-run, and its raw ``backward`` is
compared with central finite differences twice, with the upstream gradient
recorded by the last backward pass (when there was one and it is finite) and
with a seeded random one (two random ones when nothing was recorded). The user's ops, parameters, ``.grad`` values, the
ops' saved state and the graph's attributes are left exactly as they were
(see :mod:`graphviz_autodiff.debug` for the precise method, tolerances
and side-effect guards).

Verdicts (``NodeCheck.kind``)
=============================
=======================  ===================================================================
``ok``                   the node passed (or could not be checked: ``checked`` is False)
``wrong_gradient``       a gradient of an argument or parameter differs from the numeric one
``shape``                a gradient's shape is not its argument's (the lecture's rule)
``nonfinite_forward``    the output holds NaN/Inf (a leaf: its value does)
``nonfinite_backward``   a gradient holds NaN/Inf although inputs and upstream are finite
``exception``            ``backward`` (or the re-run ``forward``) raised, or returned the
                         wrong number of gradients
``no_gradient``          ``backward`` never sets a parameter's ``.grad`` (or returns ``None``
                         for an argument that needs a gradient) while the output depends on it
``reuse``                the op instance is called several times and its ``backward`` cannot
                         handle it, or ``forward`` modifies its input in place
``wrong_type``           ``backward`` returned a boolean, complex, string or non-array value
                         (or ``forward`` a complex or text one)
``inherits_wrong``       the node's own check passes (or the leaf has no backward), but the
                         gradient it received and shows is wrong: it comes from a failing
                         node nearer the loss (``inherits_from``, ``received_error``)
=======================  ===================================================================

Diagnoses (``NodeCheck.diagnosis``) are listed in
:mod:`graphviz_autodiff.debug`; this module adds ``propagated`` (a
non-finite output whose inputs were already non-finite) and
``shared_state`` (see below).

Reuse
=====
The engine lets one op instance be called several times: it saves the op's
``__dict__`` after each call's ``forward`` (a shallow copy) and restores it
before that call's ``backward``. For every op with several calls in the
graph whose calls each pass in isolation, :func:`check` replays that: one
copy runs every call's ``forward`` in order, then every call's ``backward``
in reverse order with the saved state restored. A call whose gradients then
differ from its isolated check is flagged ``reuse`` / ``shared_state``. This
catches state kept outside ``self.__dict__`` (a class attribute, a global)
and saved arrays that a later ``forward`` overwrites in place
(``self.buffer[:] = x``), because a shallow copy of ``__dict__`` cannot
restore either.

The first culprit
=================
A wrong gradient spreads: every node that the backward pass visits after the
faulty one receives a wrong upstream gradient, and a NaN made in ``forward``
flows into every later op. Because each node is checked in isolation, on its
own recorded inputs and against its own finite differences, a correct node
downstream of a faulty one still passes its own check (a correct
``backward`` is correct for any upstream gradient); it is then marked
``inherits_wrong`` when the gradient it received differs from the true one,
recomputed by :mod:`graphviz_autodiff.debug.truth` (the passing nodes'
own backward, finite differences for the failing ones). Leaves are marked
the same way, so a parameter showing half its true ``∂L/∂θ`` is not "ok".
An ``inherits_wrong`` node is never the culprit and not in
:attr:`Report.failures`. A node whose inputs are already non-finite
cannot be judged; it is reported ``nonfinite_forward`` with
``inputs_ok=False`` (diagnosis ``propagated``) and never blamed.
:attr:`Report.culprit` is then the first failing node, in backward order,
whose inputs were correct (``inputs_ok``). Leaves come last: non-finite data
in ``X`` makes ``X`` the culprit, not the ops that inherit its NaN.

Examples
--------
>>> import numpy as np
>>> import graphviz_autodiff as gad
>>> from graphviz_autodiff.ops import Identity, Linear, Squared, Sum
>>> X, y = np.eye(3, 4), np.ones(3)
>>> loss = Sum()(Squared()(Identity()(Linear(4)(X)), y))
>>> loss.backward()
>>> report = gad.check(loss)
>>> report.ok, [n.label for n in report.nodes if n.op is not None]
(True, ['Sum', 'Squared', 'Identity', 'Linear'])
"""

from __future__ import annotations

import html
import inspect
import warnings
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

import numpy as np

from .. import engine
from ..errors import describe_error
from ..graph import Graph, no_record
from ..i18n import messages_in, tr
from ..tensor import Parameter, Tensor
from ..util import argument_names, describe_nonfinite, op_label
from .diagnose import diagnosis_text, format_error, format_table
from .isolation import _SideEffectGuard, quiet
from .measure import random_streams
from .op_check import GradcheckResult, PrecisionWarning, cast_warning, check_call
from .subject import _Subject
from .truth import received_errors

__all__ = [
    "DIAGNOSES",
    "KINDS",
    "NodeCheck",
    "Report",
    "check",
    "fill_record",
    "mark_inherits_wrong",
    "nearest_failing",
]

#: The verdicts a node can get.
KINDS = (
    "ok",
    "wrong_gradient",
    "shape",
    "nonfinite_forward",
    "nonfinite_backward",
    "exception",
    "no_gradient",
    "reuse",
    "wrong_type",
    "inherits_wrong",
)

#: Every diagnosis a node can get (``None`` when none fits).
DIAGNOSES = (
    "sign",
    "factor",
    "transpose",
    "swapped",
    "missing_reduction",
    "missing_broadcast",
    "zero",
    "passthrough",
    "mutates_upstream",
    "mutates_input",
    "shared_state",
    "propagated",
    "forward",
    "gradient_count",
    "ignores_upstream",
    "missing_outer",
    "boolean",
    "complex",
    "string",
    "not_numeric",
    "output_type",
    "wrong_mask",
)


@dataclass(eq=False)
class NodeCheck:
    """The verdict on one node of the graph.

    Attributes
    ----------
    node : int or None
        The node id in ``report.graph.nx`` (``None`` for a call made under
        :func:`~graphviz_autodiff.no_record`).
    op : Differentiable or None
        The op instance (the user's object); ``None`` for a leaf.
    label : str
        The node's label.
    kind : str
        One of :data:`KINDS`.
    diagnosis : str or None
        One of :data:`DIAGNOSES`, or ``None``.
    max_rel_error, max_abs_error : float or None
        The largest errors over the node's compared gradients (CS231n's
        relative error; see :mod:`graphviz_autodiff.debug`).
    argument : str or None
        The failing argument (``forward``'s parameter name) or parameter
        (attribute name, e.g. ``"theta"``).
    analytic, numeric : numpy.ndarray or None
        The failing gradient from ``backward`` and from finite differences
        (``None`` when the node passed; ``result.arguments`` has them all).
    message : str
        One line explaining the verdict, in the report's language.
    role : {"op", "input", "parameter", "constant"}
    call_index : int or None
        Which call of its op instance this is (0, 1, ... under weight sharing).
    inputs_ok : bool
        False when the node's inputs were already non-finite (it is then not
        blamed for its non-finite output).
    checked : bool
        False when the gradients could not be compared (non-finite or
        unrecorded inputs, no float arguments). A leaf has no gradient to
        compare: for it, ``checked`` means its value was tested for NaN/Inf.
    factor : float or None
        c for the ``factor`` diagnosis.
    other : str or None
        The other argument for the ``swapped`` diagnosis.
    error : str or None
        The raw exception or contract-violation text, if any.
    result : GradcheckResult or None
        The full per-argument check of an op node.
    index : int
        Position in :attr:`Report.nodes`.
    received_error : float or None
        For ``inherits_wrong``: the max relative error of the gradient the
        node received (recorded) against the true one.
    inherits_from : int or None
        For ``inherits_wrong``: the node id of the nearest failing node the
        wrong gradient comes from.
    """

    node: int | None
    op: Any
    label: str
    kind: str = "ok"
    diagnosis: str | None = None
    max_rel_error: float | None = None
    max_abs_error: float | None = None
    argument: str | None = None
    analytic: np.ndarray | None = None
    numeric: np.ndarray | None = None
    message: str = ""
    role: str = "op"
    call_index: int | None = None
    inputs_ok: bool = True
    checked: bool = True
    factor: float | None = None
    other: str | None = None
    error: str | None = None
    result: GradcheckResult | None = None
    index: int = 0
    received_error: float | None = None
    inherits_from: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the node passed."""
        return self.kind == "ok"

    def __repr__(self) -> str:
        diag = f"/{self.diagnosis}" if self.diagnosis else ""
        arg = f" ({self.argument})" if self.argument else ""
        return f"<NodeCheck node {self.node} {self.label}: {self.kind}{diag}{arg}>"


@dataclass(eq=False)
class Report:
    """The result of :func:`check`: one :class:`NodeCheck` per node, in backward order.

    ``print(report)`` shows a table; in Jupyter the report displays as an
    HTML table. ``viz.render(graph, report=report)`` colours failing nodes.

    Attributes
    ----------
    graph : Graph or None
        The checked graph (``None`` for an unrecorded tensor).
    nodes : list of NodeCheck
        Op calls in backward order, then leaves.
    lang : str
        The language of the messages.
    """

    graph: Graph | None
    nodes: list[NodeCheck] = field(default_factory=list)
    lang: str = "en"
    eps: float = 1e-6
    rtol: float = 1e-5
    atol: float = 1e-8
    cast: list[str] = field(default_factory=list)

    @property
    def cast_float32(self) -> int:
        """How many non-float64 float arrays (float16, float32, float128) were checked in float64."""
        return len(self.cast)

    @property
    def ok(self) -> bool:
        """Whether every node passed."""
        return all(n.kind == "ok" for n in self.nodes)

    @property
    def culprit(self) -> NodeCheck | None:
        """The first failing node in backward order whose inputs were correct (``None`` when ok)."""
        return next((n for n in self.nodes if n.kind not in ("ok", "inherits_wrong") and n.inputs_ok), None)

    @property
    def failures(self) -> list[NodeCheck]:
        """Every node that fails its own check, in backward order (not those that only inherit)."""
        return [n for n in self.nodes if n.kind not in ("ok", "inherits_wrong")]

    @property
    def inherited(self) -> list[NodeCheck]:
        """The nodes whose own check passes but whose received gradient is wrong (``inherits_wrong``)."""
        return [n for n in self.nodes if n.kind == "inherits_wrong"]

    def for_node(self, node: int) -> NodeCheck | None:
        """The record of graph node ``node`` (``None`` if it was not checked)."""
        return next((n for n in self.nodes if n.node == node), None)

    def __iter__(self) -> Iterator[NodeCheck]:
        return iter(self.nodes)

    # -- display ------------------------------------------------------------------
    def _columns(self) -> list[str]:
        return [
            tr(f"col.{c}", self.lang)
            for c in ("index", "node", "op", "kind", "diagnosis", "argument", "rel", "abs", "message")
        ]

    def _cells(self, n: NodeCheck) -> list[str]:
        lang = self.lang
        return [
            str(n.index),
            "-" if n.node is None else str(n.node),
            n.label,
            tr(f"kind.{n.kind}", lang),
            diagnosis_text(n.diagnosis, n.factor, lang),
            n.argument or "",
            format_error(n.max_rel_error),
            format_error(n.max_abs_error),
            n.message,
        ]

    def _summary(self) -> tuple[str, str]:
        lang = self.lang
        n_ops = sum(1 for n in self.nodes if n.role == "op")
        title = tr("report.title", lang, n=len(self.nodes), n_ops=n_ops, n_failed=len(self.failures))
        culprit = self.culprit
        if self.ok:
            last = tr("report.all_ok", lang, n=len(self.nodes))
        elif culprit is None:
            last = tr("report.no_culprit", lang)
        else:
            node = "-" if culprit.node is None else culprit.node
            last = tr("report.culprit", lang, node=node, label=culprit.label, message=culprit.message)
        return title, last

    def side_by_side(self, record: NodeCheck | None = None, *, precision: int = 4) -> str:
        """The failing gradient next to the numeric one, for ``record`` (default: the culprit).

        Returns an empty string when there is nothing to compare.
        """
        record = record if record is not None else self.culprit
        if record is None or record.analytic is None or record.numeric is None:
            return ""
        lang = self.lang

        def lines(array: np.ndarray) -> list[str]:
            return np.array2string(np.asarray(array), precision=precision, threshold=30, suppress_small=True).split(
                "\n"
            )

        left, right = lines(record.analytic), lines(record.numeric)
        left_head, right_head = tr("report.analytic", lang), tr("report.numeric", lang)
        width = max(len(left_head), *(len(line) for line in left))
        rows = [f"{left_head:<{width}}    {right_head}"]
        rows += [f"{a:<{width}}    {b}" for a, b in zip_longest(left, right, fillvalue="")]
        node = "-" if record.node is None else record.node
        head = tr("report.side_by_side", lang, argument=record.argument or "?", node=node, label=record.label)
        return "\n".join([head, *rows])

    def __str__(self) -> str:
        title, last = self._summary()
        lines = [title, format_table(self._columns(), [self._cells(n) for n in self.nodes]), last]
        comparison = self.side_by_side()
        if comparison:
            lines.append(comparison)
        lines.extend(self._notes())
        return "\n".join(lines)

    def __repr__(self) -> str:
        culprit = self.culprit
        what = "ok" if self.ok else f"culprit={culprit!r}" if culprit else "failing"
        return f"<Report: {len(self.nodes)} nodes, {len(self.failures)} failing, {what}>"

    def _repr_html_(self) -> str:
        """An HTML table (every cell escaped); failing rows tinted, the culprit in bold."""
        title, last = self._summary()
        culprit = self.culprit
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self._columns())
        rows = []
        for n in self.nodes:
            style = ""
            if n.kind == "inherits_wrong":
                style = ' style="background-color: #fdf3d8;"'
            elif n.kind != "ok":
                colour = "#f8c4c4" if n is culprit else "#fde8e8"
                style = f' style="background-color: {colour};{" font-weight: bold;" if n is culprit else ""}"'
            cells = "".join(f"<td>{html.escape(c)}</td>" for c in self._cells(n))
            rows.append(f'<tr class="gad-{html.escape(n.kind)}"{style}>{cells}</tr>')
        return (
            f'<table class="gad-report"><caption>{html.escape(title)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f"<p>{html.escape(last)}</p>" + "".join(f"<p>{html.escape(line)}</p>" for line in self._notes())
        )

    def _notes(self) -> list[str]:
        lines = []
        if self.inherited:
            lines.append(tr("report.inherited", self.lang, n=len(self.inherited)))
        if self.cast:
            dtypes = ", ".join(sorted(set(self.cast)))
            lines.append(tr("report.cast", self.lang, count=len(self.cast), dtypes=dtypes))
        return lines

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (numbers as floats, no arrays)."""
        culprit = self.culprit
        return {
            "ok": self.ok,
            "lang": self.lang,
            "culprit": None if culprit is None else culprit.index,
            "text": str(self),
            "nodes": [
                {
                    "index": n.index,
                    "node": n.node,
                    "label": n.label,
                    "role": n.role,
                    "kind": n.kind,
                    "diagnosis": n.diagnosis,
                    "argument": n.argument,
                    "max_rel_error": n.max_rel_error,
                    "max_abs_error": n.max_abs_error,
                    "factor": n.factor,
                    "inputs_ok": n.inputs_ok,
                    "checked": n.checked,
                    "received_error": n.received_error,
                    "inherits_from": n.inherits_from,
                    "message": n.message,
                }
                for n in self.nodes
            ],
        }


# -- collecting the calls -----------------------------------------------------------------
@dataclass
class _Call:
    """One op call to check: what it saw, from the graph or from its tensor."""

    node: int | None
    op: Any
    label: str
    arrays: list[np.ndarray | None]
    names: list[str]
    needs: tuple[bool, ...]
    params: dict[str, np.ndarray]
    output: np.ndarray
    upstream: np.ndarray | None
    call_index: int | None
    seed_key: int
    key: tuple[str, int] = ("call", -1)
    sources: list[tuple[str, int] | None] = field(default_factory=list)
    param_sources: dict[str, tuple[str, int] | None] = field(default_factory=dict)
    data: tuple[bool, ...] = ()


@dataclass
class _Leaf:
    node: int | None
    label: str
    role: str
    value: np.ndarray
    grad: np.ndarray | None = None

    @property
    def key(self) -> tuple[str, int] | None:
        return None if self.node is None else ("node", self.node)


def _param_values(G: Any, node: int) -> dict[str, np.ndarray]:
    values = {}
    for u in G.predecessors(node):
        attr = G.edges[u, node]["param"]
        if attr is not None:
            values[attr] = G.nodes[u]["value"]
    return values


def _param_nodes(G: Any, node: int) -> dict[str, int]:
    return {G.edges[u, node]["param"]: u for u in G.predecessors(node) if G.edges[u, node]["param"] is not None}


def _recorded_args(G: Any, node: int) -> dict[int, int]:
    args = {}
    for u in G.predecessors(node):
        for position in G.edges[u, node]["args"]:
            args[position] = u
    return args


def _required_arguments(op: Any) -> int:
    """How many positional arguments ``forward`` requires (0 when unknown)."""
    try:
        params = list(inspect.signature(type(op).forward).parameters.values())[1:]
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return 0
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in params if p.kind in positional and p.default is p.empty)


def _from_graph(graph: Graph) -> tuple[list[_Call], list[_Leaf]]:
    G = graph.nx
    calls = []
    feeding: set[int] = set()
    for node in sorted((n for n in G if G.nodes[n]["kind"] == "op"), reverse=True):
        attrs = G.nodes[node]
        op = attrs["op"]
        args = _recorded_args(G, node)
        grads = attrs["grads"]
        n_args = max([*args, -1]) + 1
        if grads is not None:
            n_args = max(n_args, len(grads))
        n_args = max(n_args, _required_arguments(op))
        arrays: list[np.ndarray | None] = [G.nodes[args[i]]["value"] if i in args else None for i in range(n_args)]
        needs = []
        for i in range(n_args):
            producer = G.nodes[args[i]] if i in args else None
            need = producer is not None and producer["kind"] != "constant" and producer["value"].dtype.kind in "fc"
            if need and grads is not None and attrs["status"] == "done" and grads[i] is None:
                need = False  # the engine accepted None here, so it was not needed
            needs.append(need)
        feeding.update(G.predecessors(node))
        param_nodes = _param_nodes(G, node)
        calls.append(
            _Call(
                node=node,
                op=op,
                label=str(attrs["label"]),
                arrays=arrays,
                names=argument_names(op, n_args),
                needs=tuple(needs),
                params=_param_values(G, node),
                output=attrs["value"],
                upstream=attrs["grad"],
                call_index=attrs["call_index"],
                seed_key=node,
                key=("node", node),
                sources=[("node", args[i]) if i in args else None for i in range(n_args)],
                param_sources={attr: ("node", u) for attr, u in param_nodes.items()},
                data=tuple(i in args and G.nodes[args[i]]["kind"] == "input" for i in range(n_args)),
            )
        )
    leaves = [
        _Leaf(n, str(G.nodes[n]["label"]), G.nodes[n]["kind"], G.nodes[n]["value"], G.nodes[n]["grad"])
        for n in sorted(feeding, reverse=True)
        if G.nodes[n]["kind"] != "op"
    ]
    return calls, leaves


def _from_tensor(root: Tensor) -> tuple[list[_Call], list[_Leaf]]:
    calls = []
    leaves: dict[int, _Leaf] = {}
    scope = engine.calls_of(root) if root.op is not None else []
    remaining: dict[int, int] = {}
    for t in scope:
        remaining[id(t.op)] = remaining.get(id(t.op), 0) + 1
    keys = {id(t): ("node", t.node) if t.node is not None else ("call", i) for i, t in enumerate(scope)}
    for key, t in enumerate(scope):
        graph, node = t.graph, t.node
        G = graph.nx if graph is not None else None
        attrs = G.nodes[node] if G is not None else None
        recorded = _recorded_args(G, node) if G is not None else {}
        arrays = []
        for i, inp in enumerate(t.inputs):
            value = np.asarray(G.nodes[recorded[i]]["value"] if i in recorded else inp.data)
            arrays.append(value)
            if (type(inp) is Tensor and inp.op is not None) or id(inp) in leaves:
                continue
            leaf_node = recorded.get(i)
            role = "parameter" if isinstance(inp, Parameter) else "input"
            label = getattr(inp, "name", None) or role
            grad = None
            if leaf_node is not None:
                role, label = G.nodes[leaf_node]["kind"], G.nodes[leaf_node]["label"]
                grad = G.nodes[leaf_node]["grad"]
            leaves[id(inp)] = _Leaf(leaf_node, str(label), role, value, grad)
        params = _param_values(G, node) if G is not None else {}
        param_nodes = _param_nodes(G, node) if G is not None else {}
        for attr, p in t.params:
            params.setdefault(attr, p.data)
            if id(p) not in leaves:
                p_node = param_nodes.get(attr)
                grad = G.nodes[p_node]["grad"] if G is not None and p_node is not None else None
                leaves[id(p)] = _Leaf(p_node, str(p.name or attr), "parameter", np.asarray(params[attr]), grad)
        remaining[id(t.op)] -= 1
        needs = t.needs_input_grad or tuple(bool(inp.requires_grad) for inp in t.inputs)
        sources = [
            keys.get(id(inp)) or (("node", recorded[i]) if i in recorded else None) for i, inp in enumerate(t.inputs)
        ]
        calls.append(
            _Call(
                node=node,
                op=t.op,
                label=str(attrs["label"]) if attrs is not None else op_label(t.op),
                arrays=arrays,
                names=argument_names(t.op, len(arrays)),
                needs=tuple(needs),
                params=params,
                output=t.data,
                upstream=attrs["grad"] if attrs is not None else t.grad,
                call_index=attrs["call_index"] if attrs is not None else remaining[id(t.op)],
                seed_key=node if node is not None else key,
                key=keys[id(t)],
                sources=sources,
                param_sources={attr: ("node", n) for attr, n in param_nodes.items()},
                data=tuple(type(inp) is Tensor and inp.op is None for inp in t.inputs),
            )
        )
    if root.op is None:
        leaves[id(root)] = _Leaf(root.node, str(root.name or "input"), "input", root.data)
    ordered = sorted(leaves.values(), key=lambda leaf: -1 if leaf.node is None else leaf.node, reverse=True)
    return calls, ordered


# -- checking --------------------------------------------------------------------------------
def check(
    tensor_or_graph: Tensor | Graph,
    *,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    seed: int = 0,
    lang: str = "en",
) -> Report:
    """Re-check every node of a recorded graph on the inputs it actually saw.

    Parameters
    ----------
    tensor_or_graph : Tensor or Graph
        A tensor (usually the loss: every op call it depends on is checked,
        recorded or made under :func:`~graphviz_autodiff.no_record`) or a
        graph (every op call in it).
    eps, rtol, atol : float
        Finite-difference step and tolerances (see
        :mod:`graphviz_autodiff.debug`).
    seed : int, default 0
        Seed of the random upstream gradients and step jitter: node ``k``
        uses the streams of ``random_streams(seed, k)``.
    lang : {"en", "ru"}
        Language of the messages.

    Returns
    -------
    Report
        ``report.ok``, ``report.nodes`` (backward order), ``report.culprit``.

    Warns
    -----
    PrecisionWarning
        Once, when float32 values were checked in float64.

    Examples
    --------
    >>> import numpy as np
    >>> import graphviz_autodiff as gad
    >>> from graphviz_autodiff.ops import Squared, Sum
    >>> loss = Sum()(Squared()(np.array([1.0, 2.0]), np.zeros(2)))
    >>> print(gad.check(loss).culprit)
    None
    """
    tr("kind.ok", lang)  # fail early on an unknown language
    if isinstance(tensor_or_graph, Tensor):
        calls, leaves = _from_tensor(tensor_or_graph)
        graph = tensor_or_graph.graph
    elif isinstance(tensor_or_graph, Graph):
        graph = tensor_or_graph.resolve()
        calls, leaves = _from_graph(graph)
    else:
        raise TypeError(f"check expects a Tensor (e.g. the loss) or a Graph, got {type(tensor_or_graph).__name__}")
    report = Report(graph=graph, lang=lang, eps=eps, rtol=rtol, atol=atol)
    settings = {"eps": eps, "rtol": rtol, "atol": atol, "lang": lang}
    with messages_in(lang):  # the errors quoted in the report, in its language
        for call in calls:
            record = _check_node_safely(call, seed, settings)
            if record.result is not None:
                report.cast += record.result.cast
            report.nodes.append(record)
        _check_reuse(calls, report.nodes, seed, lang)
        for leaf in leaves:
            report.nodes.append(_check_leaf(leaf, lang))
        for index, record in enumerate(report.nodes):
            record.index = index
        _mark_inherited(calls, leaves, report, seed)
    if report.cast:
        warnings.warn(cast_warning("check", report.cast), PrecisionWarning, stacklevel=2)
    return report


def _check_node_safely(call: _Call, seed: int, settings: dict[str, Any]) -> NodeCheck:
    """:func:`_check_node`, turning any error of the checker itself into this node's verdict."""
    try:
        return _check_node(call, seed, settings)
    except Exception as error:  # the other nodes keep their verdicts
        record = NodeCheck(node=call.node, op=call.op, label=call.label, call_index=call.call_index)
        record.kind, record.error = "exception", describe_error(error, settings["lang"])
        record.message = tr("msg.check_failed", settings["lang"], error=record.error)
        return record


def _mark_inherited(calls: list[_Call], leaves: list[_Leaf], report: Report, seed: int) -> None:
    """Mark ``inherits_wrong`` the passing nodes and leaves whose received gradient is wrong."""
    if not any(n.kind not in ("ok", "inherits_wrong") for n in report.nodes[: len(calls)]):
        return
    passed = [n.kind == "ok" for n in report.nodes[: len(calls)]]
    try:
        errors = received_errors(calls, passed, leaves, eps=report.eps, rtol=report.rtol, atol=report.atol, seed=seed)
    except Exception:  # pragma: no cover - the verdicts stand without this refinement
        return
    by_key = {call.key: record for call, record in zip(calls, report.nodes)}
    by_key.update({leaf.key: record for leaf, record in zip(leaves, report.nodes[len(calls) :])})
    consumers: dict[Any, list[Any]] = {}
    for call in calls:
        for source in [*call.sources, *call.param_sources.values()]:
            consumers.setdefault(source, []).append(call.key)
    for key, error in errors.items():
        record = by_key.get(key)
        if record is None or record.kind != "ok":
            continue
        source = nearest_failing(key, lambda k: consumers.get(k, []), by_key)
        mark_inherits_wrong(record, error, source, report.lang)


def mark_inherits_wrong(record: NodeCheck, error: float, source: NodeCheck | None, lang: str) -> None:
    """Turn a passing ``record`` into ``inherits_wrong``: it received a gradient off by ``error``, from ``source``.

    ``source`` is the failing node the wrong gradient comes from (:func:`nearest_failing`), or ``None``
    if none was found. Used by :func:`check` and by the grader, which judges the same way.
    """
    record.kind, record.received_error = "inherits_wrong", error
    record.inherits_from = None if source is None else source.node
    record.message = tr(
        "msg.inherits_wrong",
        lang,
        rel=format_error(error),
        node="-" if source is None or source.node is None else source.node,
        label="?" if source is None else source.label,
    )


def nearest_failing(
    start: Hashable, consumers: Callable[[Any], Iterable[Any]], by_key: Mapping[Any, NodeCheck]
) -> NodeCheck | None:
    """The failing node nearest to ``start`` among those its gradient flows from (its consumers, transitively).

    ``consumers(key)`` lists the keys of the calls that used the output of ``key``; ``by_key`` maps keys to
    their verdicts. Among the failing nodes at the smallest distance, the one latest in the report.
    """
    seen, frontier = {start}, [start]
    while frontier:
        found, nxt = [], []
        for k in frontier:
            for c in consumers(k):
                if c in seen:
                    continue
                seen.add(c)
                record = by_key.get(c)
                if record is not None and record.kind not in ("ok", "inherits_wrong"):
                    found.append(record)
                nxt.append(c)
        if found:
            return max(found, key=lambda r: r.index)
        frontier = nxt
    return None


def _nonfinite_names(call: _Call) -> list[str]:
    names = [
        name
        for name, a in zip(call.names, call.arrays)
        if a is not None and a.dtype.kind in "fc" and not np.isfinite(a).all()
    ]
    names += [attr for attr, v in call.params.items() if not np.isfinite(np.asarray(v)).all()]
    return names


def _check_node(call: _Call, seed: int, settings: dict[str, Any]) -> NodeCheck:
    lang = settings["lang"]
    record = NodeCheck(node=call.node, op=call.op, label=call.label, call_index=call.call_index)
    missing = [name for name, a in zip(call.names, call.arrays) if a is None]
    if missing:
        record.checked = False
        record.message = tr("msg.not_recorded", lang, arg=missing[0])
        return record
    bad_inputs = _nonfinite_names(call)
    if bad_inputs:
        record.checked = False
        record.inputs_ok = False
        out = call.output
        if out.dtype.kind in "fc" and not np.isfinite(out).all():
            record.kind, record.diagnosis = "nonfinite_forward", "propagated"
            record.message = tr("msg.nonfinite_propagated", lang, arg=bad_inputs[0])
        else:
            record.message = tr("msg.skipped_nonfinite", lang, arg=bad_inputs[0])
        return record
    upstream = call.upstream
    if upstream is not None:
        upstream = np.asarray(upstream)
        if upstream.shape != call.output.shape or upstream.dtype.kind not in "fc":
            upstream = None
    upstreams = [upstream, None] if upstream is not None else [None]
    result = check_call(
        call.op,
        [a for a in call.arrays if a is not None],
        call.needs,
        call.params,
        upstreams=upstreams,
        seed=(seed, call.seed_key),
        label=call.label,
        data=call.data,
        **settings,
    )
    return fill_record(record, result)


def fill_record(record: NodeCheck, result: GradcheckResult) -> NodeCheck:
    """Write the verdict of one call's check (:class:`GradcheckResult`) into its node's ``record``; return it.

    Used by :func:`check` and by the grader, which judges the student's numbers the same way.
    """
    record.result = result
    record.kind, record.diagnosis, record.argument = result.kind, result.diagnosis, result.argument
    record.message, record.error = result.message, result.error
    record.max_rel_error, record.max_abs_error = result.max_rel_error, result.max_abs_error
    failing = result.failing
    if result.kind != "ok" and failing is not None:
        record.analytic, record.numeric = failing.analytic, failing.numeric
        record.factor, record.other = failing.factor, failing.other
    record.checked = any(a.max_rel_error is not None for a in result.arguments) or result.kind != "ok"
    return record


def _check_leaf(leaf: _Leaf, lang: str) -> NodeCheck:
    record = NodeCheck(node=leaf.node, op=None, label=leaf.label, role=leaf.role)
    what = tr(f"what.{leaf.role}", lang) if leaf.role in ("input", "parameter", "constant") else leaf.role
    value = leaf.value
    if value.dtype.kind in "fc" and not np.isfinite(value).all():
        record.kind = "nonfinite_forward"
        record.message = tr("msg.leaf_nonfinite", lang, what=what, count=describe_nonfinite(value, lang))
    else:
        record.message = tr("msg.leaf_ok", lang, what=what)
    return record


# -- reuse: replay several calls of one op instance as the engine runs them -------------------------
def _check_reuse(calls: list[_Call], records: list[NodeCheck], seed: int, lang: str) -> None:
    groups: dict[int, list[tuple[_Call, NodeCheck]]] = {}
    for call, record in zip(calls, records):
        groups.setdefault(id(call.op), []).append((call, record))
    for members in groups.values():
        if len(members) < 2 or any(r.kind != "ok" or not r.checked for _, r in members):
            continue
        members = members[::-1]  # forward order (calls are in backward order)
        differs = _replay(
            members[0][0].op,
            [c for c, _ in members],
            [random_streams(seed, c.seed_key, 1).upstream.standard_normal(c.output.shape) for c, _ in members],
        )
        for (_, record), error in zip(members, differs):
            if error is None:
                continue
            record.kind, record.diagnosis = "reuse", "shared_state"
            record.message = tr("msg.shared_state", lang, n=len(members))
            record.error = error or None


def _replay(op: Any, calls: list[_Call], upstreams: list[np.ndarray]) -> list[str | None]:
    """For each call: None when the engine-style replay gives its isolated gradients, else why not."""
    with _SideEffectGuard(op) as guard, quiet():
        fresh = []
        for call, up in zip(calls, upstreams):
            subject = _Subject(op, list(call.arrays), call.needs, call.params, guard)  # type: ignore[arg-type]
            try:
                subject.forward()
                fresh.append(_gradients(subject, up))
            except Exception as error:  # isolated checks passed, so this is unexpected: report it
                fresh.append(describe_error(error))
        shared = _Subject(op, list(calls[0].arrays), calls[0].needs, calls[0].params, guard)  # type: ignore[arg-type]
        snapshots = []
        errors: list[str | None] = [None] * len(calls)
        for i, call in enumerate(calls):
            _set_params(shared, call.params)
            guard.restore_random()
            arrays = [shared.to_float64(a) for a in call.arrays]  # type: ignore[arg-type]
            try:
                with no_record():
                    shared.forward_fn(shared.clone, *arrays)
            except Exception as error:
                errors[i] = describe_error(error)
            snapshots.append(dict(shared.clone.__dict__))
        out: list[str | None] = [None] * len(calls)
        for i in reversed(range(len(calls))):
            state = shared.clone.__dict__
            state.clear()
            state.update(snapshots[i])
            _set_params(shared, calls[i].params)
            shared.needs = calls[i].needs
            try:
                replayed: Any = errors[i] or _gradients(shared, upstreams[i])
            except Exception as error:
                replayed = describe_error(error)
            if isinstance(replayed, str) or isinstance(fresh[i], str):
                out[i] = replayed if isinstance(replayed, str) else str(fresh[i])
            elif not _same(fresh[i], replayed):
                out[i] = ""
    return out


def _set_params(subject: _Subject, values: dict[str, np.ndarray]) -> None:
    for attr, p in subject.params:
        if attr in values:
            p.data = subject.to_float64(np.asarray(values[attr]))


def _gradients(subject: _Subject, up: np.ndarray) -> list[Any]:
    back = subject.backward(up)
    raw = back.raw
    seq = list(raw) if isinstance(raw, (tuple, list)) else [raw]
    return [None if g is None else np.asarray(g) for g in seq] + back.param_grads


def _same(a: list[Any], b: list[Any]) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if (x is None) != (y is None):
            return False
        if x is None:
            continue
        if x.shape != y.shape or not np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True):
            return False
    return True
