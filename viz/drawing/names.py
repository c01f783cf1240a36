"""The graph's own names: what every node is called in drawings, texts and formulas.

A leaf is called by its label (``X``, ``θ``, ``y``); an op call's output by
the name the user gave the tensor (``z.name = "z"``), else by a default made
from the op's output symbol, so that no output reads "out":

* the root of a walk (the loss) is ``L``;
* any other output takes its op's ``symbol`` class attribute (the lecture's
  ``Linear`` → ``z``, ``Identity`` → ``μ``, ``Squared`` → ``s``, ``ReLU`` →
  ``h``; see :mod:`graphviz_autodiff.ops`). A user's op without one takes the
  symbol of the library op of the same class name (a student's own
  ``Linear`` is ``z`` too), else ``v``;
* a symbol used by several outputs, or already taken by a name on the graph,
  is numbered in recording order: ``z₁``, ``z₂``.

A scalar constant folded into an op's label is called by its value (``2``).

Drawings (:func:`viz.render`), the stepper's texts and frames and the viewer use these names, and write
every gradient as ``∂<loss>/∂<name>``: the loss is the root of a walk, or in a drawing the graph's one op
call that nothing uses (:func:`loss_node`), ``∂ℓ/∂z`` when the user named the loss ``ℓ``.

Examples
--------
>>> import numpy as np
>>> import graphviz_autodiff as gad
>>> from graphviz_autodiff.ops import Linear, ReLU, Sum
>>> x = gad.Tensor(np.ones((2, 3)), name="X")
>>> L = Sum()(Linear(2)(ReLU()(Linear(3, 2, seed=0)(x))))
>>> names = default_names(L.graph.nx, root=L.node)
>>> [names[n] for n in sorted(names)]
['X', 'θ', 'z₁', 'h', 'θ', 'z₂', 'L']
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from graphviz_autodiff import ops

from .labels import format_scalar

__all__ = ["FALLBACK_SYMBOL", "LOSS_SYMBOL", "GraphNames", "default_names", "loss_node", "op_symbol", "subscript"]

#: The default name of the root of a walk (the loss).
LOSS_SYMBOL = "L"
#: The output symbol of an op that declares none (an intermediate value).
FALLBACK_SYMBOL = "v"

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def subscript(n: int) -> str:
    """``n`` in subscript digits.

    >>> "z" + subscript(12)
    'z₁₂'
    """
    return str(n).translate(_SUBSCRIPTS)


def op_symbol(op: Any, op_class: str | None = None) -> str:
    """The default name of an op's output: its class's ``symbol``, a library op's of the same name, or ``v``.

    Parameters
    ----------
    op : Differentiable or None
        The op instance (its class is read).
    op_class : str, optional
        The op's class name, when the instance is not at hand.

    Examples
    --------
    >>> from graphviz_autodiff.ops import Linear
    >>> op_symbol(Linear(2)), op_symbol(None, "Squared"), op_symbol(None, "MyOwnOp")
    ('z', 's', 'v')
    """
    own = getattr(type(op), "symbol", None) if op is not None else None
    if isinstance(own, str) and own:
        return own
    name = type(op).__name__ if op is not None else op_class
    library = getattr(ops, name, None) if name else None
    symbol = getattr(library, "symbol", None) if isinstance(library, type) else None
    return symbol if isinstance(symbol, str) and symbol else FALLBACK_SYMBOL


def loss_node(G: Any) -> int | None:
    """The node a drawing calls the loss: the graph's one op call that nothing uses, or ``None``.

    A drawing of a part of the graph (a tensor and its ancestors) still writes its gradients as
    ``∂<loss>/∂x`` with the name of this node, which need not be drawn.

    >>> import numpy as np
    >>> from graphviz_autodiff.ops import Squared, Sum
    >>> L = Sum()(Squared()(np.ones(2), np.zeros(2)))
    >>> loss_node(L.graph.nx) == L.node
    True
    """
    sinks = [n for n in G if G.nodes[n]["kind"] == "op" and G.out_degree(n) == 0]
    return sinks[0] if len(sinks) == 1 else None


def _leaf_name(attrs: Mapping[str, Any]) -> str:
    if attrs["kind"] == "constant":
        value = attrs.get("value")
        try:
            return format_scalar(value.item() if hasattr(value, "item") else value, 4)
        except (TypeError, ValueError):
            return str(attrs["label"])
    return str(attrs["label"])


def default_names(G: Any, nodes: Iterable[int] | None = None, *, root: int | None = None) -> dict[int, str]:
    """The name of every node of ``nodes`` (default: all of ``G``), defaults filled in.

    Parameters
    ----------
    G : networkx.DiGraph
        A recorded graph (``graph.nx``): node attributes ``kind``, ``label``,
        ``name``, ``op`` and ``op_class`` as documented in :mod:`graphviz_autodiff.graph`.
    nodes : iterable of int, optional
        The nodes to name (a tensor and its ancestors, say).
    root : int, optional
        The root of the walk (the loss): unnamed, it is ``L``.

    Returns
    -------
    dict
        ``{node: name}``; a given name is kept as it is.
    """
    chosen = sorted(G if nodes is None else nodes)
    names: dict[int, str] = {}
    unnamed: dict[str, list[int]] = defaultdict(list)
    for n in chosen:
        attrs = G.nodes[n]
        if attrs["kind"] != "op":
            names[n] = _leaf_name(attrs)
        elif attrs.get("name"):
            names[n] = str(attrs["name"])
        elif n == root:
            names[n] = LOSS_SYMBOL
        else:
            unnamed[op_symbol(attrs.get("op"), attrs.get("op_class"))].append(n)
    taken = set(names.values())
    for symbol, members in unnamed.items():
        if len(members) == 1 and symbol not in taken:
            names[members[0]] = symbol
            continue
        index = 0
        for n in members:
            index += 1
            while f"{symbol}{subscript(index)}" in taken:
                index += 1
            names[n] = f"{symbol}{subscript(index)}"
    return {n: names[n] for n in chosen}


class GraphNames:
    """The names of a walk's nodes, as :func:`default_names` gives them, and the titles built from them.

    Parameters
    ----------
    G : networkx.DiGraph
        The recorded graph.
    nodes : iterable of int
        The nodes of the walk.
    root : int, optional
        The root of the walk (the loss).

    Attributes
    ----------
    names : dict
        ``{node: name}``.
    loss : str
        The name of the loss in ``∂L/∂x``: the root's name (``L`` unless it was named), also when the
        root is not among ``nodes``.

    Examples
    --------
    >>> import numpy as np
    >>> from graphviz_autodiff.ops import Squared, Sum
    >>> L = Sum()(Squared()(np.ones(2), np.zeros(2)))
    >>> names = GraphNames(L.graph.nx, range(4), root=L.node)
    >>> names.name(2), names.title(2), names.loss
    ('s', 'Squared (s)', 'L')
    """

    def __init__(self, G: Any, nodes: Iterable[int], root: int | None = None) -> None:
        self.G = G
        self.names = default_names(G, nodes, root=root)
        self.root = root
        if root is None:
            self.loss = LOSS_SYMBOL
        elif root in self.names:
            self.loss = self.names[root]
        else:
            self.loss = str(G.nodes[root].get("name") or LOSS_SYMBOL)

    def name(self, node: int | None) -> str:
        """A node's name (``?`` for ``None``, an argument that is not a recorded node)."""
        if node is None:
            return "?"
        return self.names[node]

    def title(self, node: int) -> str:
        """A node's title in texts: a leaf's label; an op's label with its output's name (``Linear (z)``)."""
        attrs = self.G.nodes[node]
        if attrs["kind"] != "op":
            return str(attrs["label"])
        return f"{attrs['label']} ({self.names[node]})"
