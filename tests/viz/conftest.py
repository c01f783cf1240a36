"""Shared fixtures of the viz tests: the lecture-5 graph, a gradient-check report, an SVG parser.

Golden files live in ``tests/viz/drawing/golden/``; regenerate them after an intended change with
``VIZ_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/viz`` and review the diff.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff.ops import Identity, Linear, Squared, Sum

GOLDEN = Path(__file__).parent / "drawing" / "golden"
UPDATE_GOLDEN = os.environ.get("VIZ_UPDATE_GOLDEN") == "1"
SVG_NS = "{http://www.w3.org/2000/svg}"

# The lecture's data: 5 objects with 4 features, a scalar target, a fixed initial θ.
LECTURE_X = np.array(
    [
        [0.5, 1.0, -0.2, 2.0],
        [1.5, -0.5, 0.3, 1.0],
        [-1.0, 2.0, 0.8, 0.0],
        [0.2, 0.4, -1.2, 1.5],
        [2.0, 1.0, 0.5, -0.5],
    ]
)
LECTURE_Y = np.array([1.0, 0.5, 2.0, -0.5, 1.5])
LECTURE_THETA = np.array([0.5, -0.25, 0.1, 0.3])


def lecture5(backward: bool = False) -> gad.Tensor:
    """The lecture-5 graph: z = Linear(X), μ = Identity(z), L = Sum(Squared(μ, y)); node ids 0..6.

    Nodes: 0 X, 1 θ, 2 Linear (z), 3 Identity (μ), 4 y, 5 Squared, 6 Sum (L).
    """
    X = gad.Tensor(LECTURE_X.copy(), name="X")
    y = gad.Tensor(LECTURE_Y.copy(), name="y")
    lin = Linear(4, theta=LECTURE_THETA.copy())
    z = lin(X)
    z.name = "z"
    mu = Identity()(z)
    mu.name = "μ"
    L = Sum()(Squared()(mu, y))
    L.name = "L"
    if backward:
        L.backward()
    return L


@pytest.fixture
def lecture_graph():
    """A factory: ``lecture_graph(backward=True)`` returns the loss tensor L."""
    return lecture5


@dataclass
class Record:
    """One node's result in a gradient-check report (the protocol ``viz.render(report=...)`` reads)."""

    node: int | None
    kind: str
    diagnosis: str | None = None
    max_rel_error: float | None = None
    message: str | None = None


@dataclass
class Report:
    nodes: list[Record] = field(default_factory=list)


def parse_svg(svg: str) -> ET.Element:
    """Parse SVG text with a real XML parser (raises on invalid XML)."""
    return ET.fromstring(svg.encode("utf-8"))


def svg_nodes(root: ET.Element) -> dict[str, ET.Element]:
    """``{<title> text: <g> element}`` of every node group (class contains "node")."""
    found = {}
    for g in root.iter(f"{SVG_NS}g"):
        if "node" in g.get("class", "").split():
            found[g.find(f"{SVG_NS}title").text] = g
    return found


def svg_edges(root: ET.Element) -> dict[str, ET.Element]:
    """``{id: <g> element}`` of every edge group."""
    return {g.get("id"): g for g in root.iter(f"{SVG_NS}g") if "edge" in g.get("class", "").split()}


def svg_text(element: ET.Element) -> str:
    """All text drawn inside an SVG element, pieces joined by spaces."""
    return " ".join(t.text or "" for t in element.iter(f"{SVG_NS}text"))


def check_golden(name: str, content: str) -> None:
    """Compare ``content`` with ``golden/name`` (or write it when VIZ_UPDATE_GOLDEN=1)."""
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; create it with VIZ_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert content == expected, f"{name} differs from the golden file; if intended, regenerate with VIZ_UPDATE_GOLDEN=1"
