"""viz.stepper.svg: cutting Graphviz SVG into groups, moving and marking a group."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from viz.stepper.svg import corner, mark_current, translate

pytestmark = pytest.mark.filterwarnings("error::viz.GraphvizWarning")
SVG = "{http://www.w3.org/2000/svg}"


def test_moving_and_marking_a_group():
    group = '<g id="node3" class="node failed op">\n<path fill="#fde2e2" d="M12.5,-30C12.5,-30 40,-30"/>\n</g>'
    assert corner(group) == (12.5, -30.0)
    moved = translate(group, (9.0, -4.5))
    assert moved.startswith('<g id="node3" class="node failed op" transform="translate(9,-4.5)">')
    assert ET.fromstring(moved).get("transform") == "translate(9,-4.5)"
    assert 'class="node failed op current"' in mark_current(group)
    assert mark_current(mark_current(group)).count("current") == 1
