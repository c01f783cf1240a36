"""viz.display: graphs and tensors draw themselves in IPython once viz is imported."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff.ops import Sum
from tests.viz.conftest import (
    lecture5,
    parse_svg,
    svg_nodes,
)

# Graphviz printing anything on stderr (an unknown colour, a bad attribute) fails the test.
pytestmark = pytest.mark.filterwarnings("error::viz.GraphvizWarning")


@pytest.mark.dot
def test_graph_and_tensor_display_inline_through_ipython():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    assert viz.display.register(shell)
    L = lecture5(backward=True)
    for obj in (L.graph, L):
        data, _ = shell.display_formatter.format(obj)
        assert len(svg_nodes(parse_svg(data["image/svg+xml"]))) == 7
        assert data["text/plain"] == repr(obj)
    with gad.no_record():
        unrecorded = Sum()(np.ones(3))
    data, _ = shell.display_formatter.format(unrecorded)
    assert "image/svg+xml" not in data and data["text/plain"].startswith("Tensor(")


def test_viz_registers_its_display_when_imported_inside_ipython():
    """The core has no display code: importing viz inside a running shell is what makes L draw itself."""
    code = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "import numpy as np\n"
        "import graphviz_autodiff as gad\n"
        "from graphviz_autodiff.ops import Sum\n"
        "L = Sum()(np.ones(3))\n"
        "before = shell.display_formatter.format(L)[0]\n"
        "import viz\n"
        "after = shell.display_formatter.format(L)[0]\n"
        "print(sorted(before), sorted(after))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "['text/plain'] ['image/svg+xml', 'text/plain']"
