"""viz.save / viz.save_all / viz.to_svg and the Graphviz runner: formats, errors, missing binary."""

from __future__ import annotations

import struct

import graphviz
import numpy as np
import pytest

import viz
from graphviz_autodiff.ops import Sum
from viz.dot import INSTALL_HINT, run_dot

from .conftest import GOLDEN, UPDATE_GOLDEN, lecture5, parse_svg, svg_nodes

pytestmark = pytest.mark.filterwarnings("error::viz.GraphvizWarning")

README_PNG = GOLDEN / "lecture5_after_backward.png"
README_OPTIONS = {"preset": "slide"}  # 1920 × 1080, values readable on a slide and on GitHub


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.dot
def test_save_picks_the_format_from_the_extension(tmp_path):
    L = lecture5(backward=True)
    svg = viz.save(L, tmp_path / "fig.svg")
    pdf = viz.save(L, tmp_path / "sub" / "fig.pdf", theme="print")
    png = viz.save(L, tmp_path / "fig.png")
    dot = viz.save(L, tmp_path / "fig.dot")
    assert len(svg_nodes(parse_svg(svg.read_text(encoding="utf-8")))) == 7
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert png_size(png.read_bytes())[0] > 500
    assert dot.read_text(encoding="utf-8") == viz.to_dot(L)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.dot", "fig.png", "fig.svg", "sub"]


@pytest.mark.dot
def test_png_dpi(tmp_path):
    L = lecture5()
    low = png_size(viz.save(L, tmp_path / "low.png", dpi=72).read_bytes())
    high = png_size(viz.save(L, tmp_path / "high.png", dpi=144).read_bytes())
    assert high[0] == pytest.approx(2 * low[0], rel=0.05)


def test_save_rejects_unknown_formats_and_misplaced_dpi(tmp_path):
    L = lecture5()
    with pytest.raises(ValueError, match=r"cannot tell the format from the file name 'fig.jpg'.*\.svg"):
        viz.save(L, tmp_path / "fig.jpg")
    with pytest.raises(ValueError, match="format must be one of"):
        viz.save(L, tmp_path / "fig.svg", format="gif")
    with pytest.raises(ValueError, match="dpi applies to PNG files only"):
        viz.save(L, tmp_path / "fig.svg", dpi=300)
    with pytest.raises(ValueError, match="rankdir must be one of"):
        viz.save(L, tmp_path / "fig.dot", rankdir="up")
    assert not list(tmp_path.iterdir())


def test_save_format_overrides_the_extension(tmp_path):
    out = viz.save(lecture5(), tmp_path / "graph.txt", format="dot")
    assert out.read_text(encoding="utf-8").startswith("digraph")


@pytest.mark.dot
def test_save_a_rendered_diagram(tmp_path):
    diagram = viz.render(lecture5(backward=True), theme="dark")
    out = viz.save(diagram, tmp_path / "fig.svg")
    assert 'fill="#1e1e1e"' in out.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match=r"render options \['theme'\] were given with an already rendered diagram"):
        viz.save(diagram, tmp_path / "again.svg", theme="print")


@pytest.mark.dot
def test_save_all_writes_every_format(tmp_path):
    paths = viz.save_all(lecture5(backward=True), tmp_path / "out", "lecture5", legend=True)
    assert [p.name for p in paths] == ["lecture5.svg", "lecture5.pdf", "lecture5.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
    with pytest.raises(ValueError, match="formats must be among"):
        viz.save_all(lecture5(), tmp_path, formats=("svg", "bmp"))


@pytest.mark.dot
def test_to_svg_is_deterministic_and_accepts_diagrams():
    L = lecture5(backward=True)
    diagram = viz.render(L, legend=True)
    assert viz.to_svg(diagram) == viz.to_svg(L, legend=True)
    assert diagram._repr_mimebundle_()["image/svg+xml"] == viz.to_svg(diagram)


# -- the Graphviz runner -------------------------------------------------------------------------------------
@pytest.fixture
def no_graphviz_on_path(tmp_path, monkeypatch):
    """PATH pointing at an empty directory: the real code path of a machine without Graphviz."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_missing_dot_gives_one_clear_error(no_graphviz_on_path, tmp_path):
    L = lecture5(backward=True)
    with pytest.raises(viz.GraphvizNotFoundError) as info:
        viz.to_svg(L)
    message = str(info.value)
    assert "could not run the Graphviz program 'dot'" in message
    assert "sudo apt-get install graphviz" in message
    assert "conda install -c conda-forge graphviz" in message
    assert "brew install graphviz" in message
    assert INSTALL_HINT in message
    assert info.value.__cause__ is None and info.value.__suppress_context__
    # Code that catches the graphviz package's own error catches ours too.
    assert isinstance(info.value, graphviz.ExecutableNotFound)
    with pytest.raises(viz.GraphvizNotFoundError):
        viz.save(L, tmp_path / "fig.png")
    with pytest.raises(viz.GraphvizNotFoundError):
        viz.display.graph_svg(L.graph)  # the notebook display path
    # Writing DOT source needs no Graphviz.
    assert viz.save(L, tmp_path / "fig.dot").exists()


@pytest.mark.dot
def test_graphviz_errors_and_warnings_are_typed():
    with pytest.raises(viz.RenderError, match="exit code"):
        run_dot("digraph { a -> }", "svg")
    with pytest.warns(viz.GraphvizWarning, match="not a known color"):
        run_dot('digraph { a [color="#eef"] }', "svg")
    with pytest.raises(ValueError, match="engine must be one of"):
        run_dot("digraph {}", "svg", engine="circo")
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        run_dot("digraph {}", "svg", timeout=-1)


@pytest.mark.dot
def test_neato_engine_runs():
    assert run_dot("digraph { a -> b }", "svg", engine="neato").startswith(b"<?xml")


# -- the lecture picture for the README ----------------------------------------------------------------------
@pytest.mark.dot
def test_lecture5_png_for_the_readme(tmp_path):
    L = lecture5(backward=True)
    if UPDATE_GOLDEN:
        viz.save(L, README_PNG, **README_OPTIONS)
    assert README_PNG.exists(), "create it with VIZ_UPDATE_GOLDEN=1"
    fresh = viz.save(L, tmp_path / "lecture5.png", **README_OPTIONS).read_bytes()
    # Same graph, options and fonts: the same layout, hence the same picture size.
    assert png_size(fresh) == png_size(README_PNG.read_bytes())


@pytest.mark.dot
def test_sum_of_ones_smoke():
    svg = viz.to_svg(Sum()(np.ones(3)))
    assert len(svg_nodes(parse_svg(svg))) == 2
