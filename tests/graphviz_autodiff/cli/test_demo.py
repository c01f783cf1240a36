"""The main job: ``python -m graphviz_autodiff demo --out DIR`` writes every lecture artefact."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from graphviz_autodiff.__main__ import main
from viz.demo import StudentSquared, lecture_graph

pytestmark = pytest.mark.dot

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    run = subprocess.run(
        [sys.executable, "-m", "graphviz_autodiff", "demo", "--out", str(out), "--lang", "en", "ru"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return out, run.stdout


def _texts(svg_path):
    root = ET.parse(svg_path).getroot()
    return " ".join(t for t in root.itertext() if t.strip())


def test_writes_diagrams_in_every_format_and_language(demo_dir):
    out, stdout = demo_dir
    for stem in ("lecture5_forward", "lecture5_backward", "lecture5_forward_ru", "lecture5_backward_ru"):
        assert (out / "diagrams" / f"{stem}.pdf").read_bytes().startswith(b"%PDF")
        assert (out / "diagrams" / f"{stem}.png").read_bytes().startswith(b"\x89PNG")
        ET.parse(out / "diagrams" / f"{stem}.svg")
    for theme in ("compact", "dark", "print"):
        ET.parse(out / "diagrams" / f"lecture5_backward_{theme}.svg")
    listed = int(re.search(r"(\d+) files written", stdout).group(1))
    assert listed == sum(1 for p in out.rglob("*") if p.is_file())


def test_backward_diagram_shows_the_computed_gradient(demo_dir):
    out, _ = demo_dir
    loss, linear = lecture_graph()
    loss.backward()
    text = _texts(out / "diagrams" / "lecture5_backward.svg")
    grad = np.array2string(linear.theta.grad, precision=4, separator=", ", floatmode="maxprec")
    expected = [float(v) for v in grad.strip("[]").split(",")]
    shown = re.search(r"∂L/∂θ = \[([^\]]+)\]", text)
    assert shown, text
    np.testing.assert_allclose([float(v) for v in shown.group(1).split(",")], expected, rtol=1e-3)
    forward = _texts(out / "diagrams" / "lecture5_forward.svg")
    assert "∂L/∂θ = —" in forward  # not computed yet: a dash, never 0
    assert "Легенда" in _texts(out / "diagrams" / "lecture5_backward_ru.svg")


def test_figures_walkthrough_and_frames(demo_dir):
    out, _ = demo_dir
    for folder in ("figures", "figures_ru"):
        names = {p.name for p in (out / folder).iterdir()}
        for figure in ("correlation", "loss_history", "true_vs_predicted", "convergence"):
            assert f"lecture5_{figure}.png" in names
    page = (out / "walkthrough.html").read_text(encoding="utf-8")
    payload = json.loads(re.search(r'id="gad-payload">(.*?)</script>', page, flags=re.DOTALL).group(1))
    assert payload["n_steps"] == 4 and len(payload["texts"]) == 5  # nothing done + one frame per backward step
    assert len(payload["svg"]["changes"]) == 4  # the viewer's frames: one change per step
    assert "http://" not in page.replace("http://www.w3.org", "")
    assert "обратный" in (out / "walkthrough_ru.html").read_text(encoding="utf-8").lower()
    assert sorted(p.name for p in (out / "frames").iterdir()) == [f"step_{k:03d}.svg" for k in range(5)]


def test_debugging_example_names_the_student_op(demo_dir):
    out, _ = demo_dir
    report = (out / "debugging" / "report.txt").read_text(encoding="utf-8")
    assert "first culprit: node 5 (StudentSquared)" in report
    assert "too small by a constant factor" in report and "a factor 2 is missing" in report
    root = ET.parse(out / "debugging" / "student_squared.svg").getroot()
    failed = [g for g in root.iter(f"{SVG}g") if "failed" in (g.get("class") or "").split()]
    assert [g.get("id") for g in failed] == ["node5"]
    assert "первый виновник" in (out / "debugging" / "report_ru.txt").read_text(encoding="utf-8")


def test_student_squared_is_really_wrong_by_half():
    loss, _ = lecture_graph(squared=StudentSquared)
    right, _ = lecture_graph()
    loss.backward()
    right.backward()
    bad = loss.graph.nx.nodes[5]["grads"][0]
    good = right.graph.nx.nodes[5]["grads"][0]
    np.testing.assert_allclose(bad, good / 2)


def test_usage_errors_exit_2(capsys):
    assert main(["demo", "--lang", "fr"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert main([]) == 2
