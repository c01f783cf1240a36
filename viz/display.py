"""Inline pictures of graphs and tensors in Jupyter, registered by ``viz`` itself.

The core (:mod:`graphviz_autodiff`) never imports ``viz``: it has no display
code of its own. When ``viz`` is imported inside IPython or Jupyter it adds
formatters to IPython's ``image/svg+xml`` display for
:class:`~graphviz_autodiff.Graph` and :class:`~graphviz_autodiff.Tensor`
(IPython's documented ``for_type`` mechanism), so leaving ``L`` or ``L.graph``
as the last expression of a cell draws it. Outside IPython nothing happens; call
:func:`register` yourself for a shell made later.

Examples
--------
>>> from IPython.core.interactiveshell import InteractiveShell
>>> import numpy as np
>>> import viz
>>> from graphviz_autodiff.ops import Sum
>>> shell = InteractiveShell.instance()
>>> viz.display.register(shell)
True
>>> data, _ = shell.display_formatter.format(Sum()(np.ones(3)))
>>> data["image/svg+xml"].startswith("<svg")
True
"""

from __future__ import annotations

import sys
from typing import Any

from graphviz_autodiff.graph import Graph
from graphviz_autodiff.tensor import Tensor

__all__ = ["graph_svg", "register", "tensor_svg"]

MIME = "image/svg+xml"


def graph_svg(graph: Graph, *, timeout: float | None = 30.0) -> str:
    """The SVG of a whole graph, as :func:`viz.render` draws it with its defaults.

    When Graphviz needs longer than ``timeout`` seconds, the picture is a
    fallback (the collapsed view or a summary with the node count, the ops
    and how to draw it whole), drawn once: showing the graph again does not
    wait for the same layout again (see :mod:`viz.drawing.fallback`).
    """
    from .export import to_svg

    return to_svg(graph, timeout=timeout, on_timeout="fallback")


def tensor_svg(tensor: Tensor, *, timeout: float | None = 30.0) -> str | None:
    """The SVG of the part of its graph a tensor depends on; ``None`` (text only) if it was not recorded.

    A layout longer than ``timeout`` seconds gives a fallback picture, as in :func:`graph_svg`.
    """
    if tensor.graph is None or tensor.node is None:
        return None
    from .export import to_svg

    return to_svg(tensor, timeout=timeout, on_timeout="fallback")


def register(shell: Any = None) -> bool:
    """Add the SVG formatters for graphs and tensors to an IPython shell.

    Parameters
    ----------
    shell : IPython.core.interactiveshell.InteractiveShell, optional
        Defaults to the running shell (``get_ipython()``).

    Returns
    -------
    bool
        Whether a shell was found and the formatters were added (adding them
        again replaces them).
    """
    if shell is None:
        if "IPython" not in sys.modules:  # not inside IPython: nothing to register with
            return False
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            return False
    formatter = shell.display_formatter.formatters[MIME]
    formatter.for_type(Graph, graph_svg)
    formatter.for_type(Tensor, tensor_svg)
    return True
