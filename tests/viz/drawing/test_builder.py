"""viz.render / viz.to_dot / viz.to_svg: golden files, every option, states, escaping, large graphs."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff import Differentiable
from graphviz_autodiff.nn import Module
from graphviz_autodiff.ops import MSE, Identity, Linear, Squared, Sum
from tests.viz.conftest import (
    LECTURE_THETA,
    LECTURE_X,
    LECTURE_Y,
    Record,
    Report,
    check_golden,
    lecture5,
    parse_svg,
    svg_edges,
    svg_nodes,
    svg_text,
)
from viz.drawing.labels import format_scalar, format_value, heatmap_table
from viz.themes import THEMES, Theme, scale_colour

# Graphviz printing anything on stderr (an unknown colour, a bad attribute) fails the test.
pytestmark = pytest.mark.filterwarnings("error::viz.GraphvizWarning")


def node_stmt(source: str, name: str) -> str:
    """The DOT statement of node ``name`` (one line)."""
    match = re.search(rf"^\s*{re.escape(name)} \[.*$", source, flags=re.MULTILINE)
    assert match, f"node {name} not in the DOT source"
    return match.group(0)


def lecture_numbers() -> dict[str, np.ndarray]:
    """The lecture-5 forward values and gradients, computed by hand with NumPy."""
    z = LECTURE_X @ LECTURE_THETA
    r = z - LECTURE_Y
    return {
        "z": z,
        "L": np.sum(r**2),
        "dmu": 2 * r,
        "dtheta": LECTURE_X.T @ (2 * r),
        "dy": -2 * r,
    }


def fmt(a: np.ndarray, precision: int = 4) -> str:
    return " ".join(format_value(a, precision, 6, "en"))


# -- golden files ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("theme", sorted(THEMES))
@pytest.mark.parametrize("phase", ["before", "after"])
def test_lecture5_dot_matches_golden(theme, phase):
    L = lecture5(backward=phase == "after")
    check_golden(f"lecture5_{theme}_{phase}_backward.dot", viz.to_dot(L, theme=theme, legend=True))


@pytest.mark.dot
def test_lecture5_svg_structure_after_backward():
    L = lecture5(backward=True)
    root = parse_svg(viz.to_svg(L))
    nodes = svg_nodes(root)
    assert sorted(nodes) == [f"n{i}" for i in range(7)]
    assert {n: g.get("id") for n, g in nodes.items()} == {f"n{i}": f"node{i}" for i in range(7)}
    want = lecture_numbers()
    theta = svg_text(nodes["n1"])
    assert "θ" in theta and "parameter" in theta and "∂L/∂θ =" in theta
    assert fmt(LECTURE_THETA) in theta and fmt(want["dtheta"]) in theta
    linear = svg_text(nodes["n2"])
    assert "Linear" in linear and fmt(want["z"]) in linear and fmt(want["dmu"]) in linear
    loss = svg_text(nodes["n6"])
    assert format_scalar(want["L"], 4) in loss and "∂L/∂L =" in loss
    assert fmt(want["dy"]) in svg_text(nodes["n4"])
    # Every node is done; edges carry ids and the gradient notation.
    assert all(g.get("class").split()[1] == "done" for g in nodes.values())
    edges = svg_edges(root)
    assert set(edges) == {"edge_n0_n2", "edge_n1_n2", "edge_n2_n3", "edge_n3_n5", "edge_n4_n5", "edge_n5_n6"}
    assert "← ∂L/∂θ" in svg_text(edges["edge_n1_n2"])


@pytest.mark.dot
def test_lecture5_svg_before_backward_shows_dashes_not_zeros():
    L = lecture5(backward=False)
    root = parse_svg(viz.to_svg(L))
    nodes = svg_nodes(root)
    assert len(nodes) == 7
    for name, g in nodes.items():
        assert g.get("class").split()[1:] in (["forward", "op"], ["forward", "input"], ["forward", "parameter"])
        text = svg_text(g)
        assert re.search(r"∂L/∂\S+ = +—", text), (name, text)
    # The gradient rows hold a dash and nothing else: no number after "∂L/∂θ =".
    assert "∂L/∂θ = —" in " ".join(svg_text(nodes["n1"]).split())
    assert "←" not in svg_text(root)


def test_same_graph_twice_gives_identical_dot():
    first = viz.to_dot(lecture5(backward=True), legend=True, heatmap=True, overlay="grad_norm")
    second = viz.to_dot(lecture5(backward=True), legend=True, heatmap=True, overlay="grad_norm")
    assert first == second
    assert "0x" not in first  # no memory addresses


@pytest.mark.dot
def test_same_graph_twice_gives_identical_svg():
    assert viz.to_svg(lecture5(backward=True), theme="dark") == viz.to_svg(lecture5(backward=True), theme="dark")


# -- what is drawn -----------------------------------------------------------------------------------------
def test_tensor_draws_only_its_ancestors():
    X, y = gad.Tensor(LECTURE_X, name="X"), gad.Tensor(LECTURE_Y, name="y")
    z = Linear(4, theta=LECTURE_THETA.copy())(X)
    L = Sum()(Squared()(Identity()(z), y))
    assert len(L.graph.nx) == 7
    source = viz.to_dot(z)
    for name in ("n0", "n1", "n2"):
        assert re.search(rf"^\s*{name} \[", source, flags=re.MULTILINE)
    for name in ("n3", "n4", "n5", "n6"):
        assert not re.search(rf"^\s*{name} \[", source, flags=re.MULTILINE)


def test_rejects_things_that_are_not_graphs():
    with pytest.raises(TypeError, match="expected a graphviz_autodiff Graph or Tensor, got ndarray"):
        viz.render(np.ones(3))
    with gad.no_record():
        t = Sum()(np.ones(3))
    with pytest.raises(ValueError, match="not part of a recorded graph"):
        viz.render(t)


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


def test_diagram_copy_keeps_timeout():
    dot = viz.render(lecture5(), timeout=12.5)
    assert isinstance(dot, viz.Diagram) and dot.copy().timeout == 12.5


def test_parameters_inputs_and_ops_look_different():
    source = viz.to_dot(lecture5())
    x, theta, linear = node_stmt(source, "n0"), node_stmt(source, "n1"), node_stmt(source, "n2")
    t = THEMES["lecture"]
    assert f'fillcolor="{t.input_fill}"' in x and "peripheries" not in x
    assert f'fillcolor="{t.parameter_fill}"' in theta and "peripheries=2" in theta
    assert f'fillcolor="{t.op_fill}"' in linear and "rounded" in linear
    assert 'class="forward parameter"' in theta


# -- options ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("theme", "neon", "'lecture', 'compact', 'dark', 'print'"),
        ("rankdir", "XY", "'LR', 'TB', 'RL', 'BT'"),
        ("overlay", "speed", "None, 'grad_norm', 'magnitude', 'nonfinite'"),
        ("lang", "de", "'en', 'ru'"),
    ],
)
def test_bad_choice_is_a_value_error_naming_the_option(option, value, allowed):
    with pytest.raises(ValueError, match=re.escape(f"{option} must be one of {allowed}")):
        viz.render(lecture5(), **{option: value})


@pytest.mark.parametrize(
    ("option", "value"),
    [("precision", 0), ("precision", 18), ("max_array", -1), ("collapse", -1), ("max_nodes", 0), ("timeout", 0)],
)
def test_bad_numbers_are_value_errors(option, value):
    with pytest.raises(ValueError, match=option):
        viz.render(lecture5(), **{option: value})


def test_bad_states_are_value_errors():
    with pytest.raises(ValueError, match=r"states\[2\] must be one of 'pending', 'current', 'done'"):
        viz.render(lecture5(), states={2: "running"})
    with pytest.raises(ValueError, match="states keys must be graph node ids"):
        viz.render(lecture5(), states={"Linear": "current"})


def test_themes_change_colours_and_fonts():
    L = lecture5(backward=True)
    lecture, dark, compact = (viz.to_dot(L, theme=name) for name in ("lecture", "dark", "compact"))
    assert 'bgcolor="#1e1e1e"' in dark and 'bgcolor="#ffffff"' in lecture
    assert 'POINT-SIZE="18"' in lecture and 'POINT-SIZE="11"' in compact
    printed = viz.to_dot(L, theme="print")
    assert "<I>" in printed and "<I>" not in lecture  # gradients in italics on paper
    custom = Theme(name="mine", fontname="DejaVu Serif", grad="#123456")
    assert 'COLOR="#123456"' in viz.to_dot(L, theme=custom)


def test_theme_colours_are_six_digit_hex():
    for theme in THEMES.values():
        for name, value in vars(theme).items():
            if isinstance(value, str) and value.startswith("#"):
                assert re.fullmatch(r"#[0-9a-f]{6}", value), (theme.name, name)
        assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in theme.overlay_scale)
    with pytest.raises(ValueError, match="6-digit"):
        Theme(name="bad", text="#eef")


def test_rankdir():
    L = lecture5()
    assert "rankdir=LR" in viz.to_dot(L)
    assert "rankdir=TB" in viz.to_dot(L, rankdir="TB")


def test_precision():
    L = lecture5(backward=True)
    theta_grad = lecture_numbers()["dtheta"]
    assert fmt(theta_grad, 4) in viz.to_dot(L, precision=4)
    two = viz.to_dot(L, precision=2)
    assert fmt(theta_grad, 2) in two and fmt(theta_grad, 4) not in two
    assert fmt(theta_grad, 2) != fmt(theta_grad, 4)


def test_max_array_switches_between_full_values_and_summary():
    L = lecture5(backward=True)
    default = node_stmt(viz.to_dot(L), "n0")  # X has 20 elements > 6
    assert "min -1.2 · mean 0.565 · max 2" in default
    full = node_stmt(viz.to_dot(L, max_array=20), "n0")
    assert "min " not in full and "[[0.5, 1, -0.2, 2]" in full and full.count('<BR ALIGN="LEFT"/>') >= 8
    small = node_stmt(viz.to_dot(L, max_array=3), "n1")  # θ has 4 elements
    assert "min -0.25 · mean 0.1625 · max 0.5" in small


def test_summary_counts_nan_and_inf():
    a = np.array([1.0, np.nan, np.inf, -np.inf, 3.0, np.nan, 5.0])
    assert format_value(a, 4, 6, "en") == ["min 1 · mean 3 · max 5", "NaN: 2 · Inf: 2"]
    assert format_value(np.array([-0.0, 1e-20]), 3, 6, "en") == ["[0, 1e-20]"]


def test_heatmap_draws_a_table_of_cells():
    L = lecture5(backward=True)
    plain = node_stmt(viz.to_dot(L), "n0")
    heat = node_stmt(viz.to_dot(L, heatmap=True), "n0")
    assert "FIXEDSIZE" not in plain
    # X (5×4) value and gradient: 2 tables of 20 cells each.
    assert heat.count('FIXEDSIZE="TRUE"></TD>') == 40
    table = heatmap_table(np.array([[-2.0, 0.0], [1.0, np.nan]]), THEMES["lecture"])
    t = THEMES["lecture"]
    assert table.count("<TD ") == 4
    assert f'BGCOLOR="{t.heatmap_neg}"' in table and f'BGCOLOR="{t.heatmap_zero}"' in table
    assert f'BGCOLOR="{t.heatmap_nan}"' in table
    assert heatmap_table(np.array(3.0), t) is None
    big = heatmap_table(np.arange(100.0 * 100).reshape(100, 100), t)
    assert big.count("<TD ") <= 24 * 24


def test_show_edge_grads():
    L = lecture5(backward=True)
    assert "← ∂L/∂θ" in viz.to_dot(L)
    assert "←" not in viz.to_dot(L, show_edge_grads=False)


def test_edge_shows_values_when_a_node_feeds_several_consumers():
    x = gad.Tensor(np.array([1.0, 2.0]), name="x")
    a = Identity()(x)
    a.name = "a"
    loss = Sum()(Squared()(a, np.zeros(2))) + Sum()(a)
    loss.backward()
    source = viz.to_dot(loss)
    node = a.node
    # a feeds Squared (gradient 2a = [2, 4]) and Sum (gradient [1, 1]); its own gradient is the sum.
    assert "← [2, 4]" in source and "← [1, 1]" in source
    assert "[3, 5]" in node_stmt(source, f"n{node}")


def test_show_shapes():
    L = lecture5(backward=True)
    assert "(5, 4)" in viz.to_dot(L)
    assert "(5, 4)" not in viz.to_dot(L, show_shapes=False)


def _fill(source: str, name: str) -> str:
    return re.search(r'fillcolor="(#[0-9a-f]{6})"', node_stmt(source, name)).group(1)


def test_overlay_grad_norm_colours_by_gradient_size():
    L = lecture5(backward=True)
    t = THEMES["lecture"]
    plain = viz.to_dot(L)
    source = viz.to_dot(L, overlay="grad_norm", legend=True)
    norms = {n: np.linalg.norm(np.asarray(L.graph.nx.nodes[n]["grad"])) for n in range(7)}
    biggest = max(norms, key=norms.get)
    smallest = min(norms, key=norms.get)
    assert _fill(source, f"n{biggest}") == t.overlay_scale[-1]
    assert _fill(source, f"n{smallest}") == t.overlay_scale[0]
    assert _fill(plain, "n1") == t.parameter_fill != _fill(source, "n1")
    assert "gradient norm" in source and source.count('WIDTH="16" HEIGHT="12"') == 8  # the colour bar
    before = viz.to_dot(lecture5(), overlay="grad_norm")
    assert _fill(before, "n2") == t.overlay_missing  # no gradient yet: "no data"


def test_overlay_magnitude_uses_log_scale_of_values():
    x = gad.Tensor(np.array([1e-3, 1e-3]), name="small")
    big = gad.Tensor(np.array([1e3, 1e3]), name="big")
    loss = Sum()(x * big)
    source = viz.to_dot(loss, overlay="magnitude")
    t = THEMES["lecture"]
    assert _fill(source, f"n{big.node}") == t.overlay_scale[-1]
    assert _fill(source, f"n{x.node}") == t.overlay_scale[0]
    middle = scale_colour(t.overlay_scale, 0.5)  # |x·big| = 1, halfway between 1e-3 and 1e3 in log10
    product = next(n for n, d in loss.graph.nx.nodes(data=True) if d["label"] == "Mul")
    assert _fill(source, f"n{product}") == middle


def test_overlay_nonfinite_and_nonfinite_state():
    x = gad.Tensor(np.array([1.0, 0.0]), name="x")
    with np.errstate(all="ignore"):
        bad = Sum()(np.log(x.data) * x)
    t = THEMES["lecture"]
    source = viz.to_dot(bad, overlay="nonfinite", legend=True)
    mul = next(n for n, d in bad.graph.nx.nodes(data=True) if d["label"] == "Mul")
    assert _fill(source, f"n{x.node}") == t.overlay_scale[0]
    assert _fill(source, f"n{mul}") == t.nonfinite_fill
    assert "NaN / Inf in value or gradient" in source
    plain = viz.to_dot(bad)
    assert 'class="nonfinite op"' in node_stmt(plain, f"n{mul}")
    assert f'color="{t.nonfinite}"' in node_stmt(plain, f"n{mul}")


def test_only_grad_path_hides_what_no_gradient_reaches():
    with gad.Graph() as g:
        L = lecture5()
        side = Identity(name="side")(gad.Tensor(np.ones(2), name="unused"))
    L.backward()
    all_nodes = viz.to_dot(g)
    assert "side" in all_nodes
    path = viz.to_dot(g, only_grad_path=True)
    assert "side" not in path and "unused" not in path and "Linear" in path
    assert side.graph is g
    with pytest.warns(UserWarning, match="no gradient has reached any node"):
        viz.render(lecture5(), only_grad_path=True)


class Regression(Module):
    """μ = Identity(Linear(x)) as one group with 4 parameters."""

    def __init__(self):
        super().__init__(name="Regression")
        self.linear = Linear(4, theta=LECTURE_THETA.copy())
        self.act = Identity()

    def forward(self, x):
        return self.act(self.linear(x))


class Model(Module):
    """A group with a nested group: Regression, then MSE (itself a group)."""

    def __init__(self):
        super().__init__(name="Model")
        self.reg = Regression()
        self.loss = MSE()

    def forward(self, x, y):
        return self.loss(self.reg(x), y)


def test_groups_are_clusters_with_parameter_counts():
    X, y = LECTURE_X, LECTURE_Y
    L = MSE()(Regression()(X), y)
    L.backward()
    source = viz.to_dot(L)
    groups = L.graph.groups
    keys = {info["label"]: key for key, info in groups.items()}
    assert f"subgraph cluster_{keys['Regression']}" in source and f"subgraph cluster_{keys['MSE']}" in source
    assert "4 params" in source and "0 params" in source
    # θ is drawn inside its group's cluster, X outside.
    cluster = source.split(f"subgraph cluster_{keys['Regression']}")[1].split("}")[0]
    assert "θ" in cluster and "<B>X</B>" not in cluster


def test_collapse_true_draws_each_group_as_one_node():
    X, y = LECTURE_X, LECTURE_Y
    L = MSE()(Regression()(X), y)
    L.backward()
    source = viz.to_dot(L, collapse=True)
    keys = {info["label"]: key for key, info in L.graph.groups.items()}
    assert "subgraph cluster_" not in source
    reg = node_stmt(source, keys["Regression"])
    assert 'class="done group"' in reg and "box3d" in reg and "4 params" in reg
    assert "Linear" not in source and "θ" not in source
    # The collapsed MSE shows the loss value and ∂L/∂L; the edge from X keeps its gradient name.
    loss = float(np.sum((LECTURE_X @ LECTURE_THETA - LECTURE_Y) ** 2))
    assert format_scalar(loss, 4) in node_stmt(source, keys["MSE"])
    assert f"edge_n0_{keys['Regression']}" in source


def test_collapse_depth_collapses_only_nested_groups():
    L = Model()(LECTURE_X, LECTURE_Y)
    keys = {info["label"]: key for key, info in L.graph.groups.items()}
    depth1 = viz.to_dot(L, collapse=1)
    assert f"subgraph cluster_{keys['Model']}" in depth1
    assert node_stmt(depth1, keys["Regression"]) and node_stmt(depth1, keys["MSE"])
    assert "Linear" not in depth1
    depth0 = viz.to_dot(L, collapse=0)
    assert "subgraph cluster_" not in depth0 and node_stmt(depth0, keys["Model"])
    full = viz.to_dot(L, collapse=False)
    assert f"subgraph cluster_{keys['Regression']}" in full and "Linear" in full


def test_legend_and_languages():
    L = lecture5(backward=True)
    assert "Legend" not in viz.to_dot(L)
    en = viz.to_dot(L, legend=True)
    assert "Legend" in en and "not computed yet" in en and "labelloc=b" in en
    ru = viz.to_dot(L, legend=True, lang="ru")
    assert "Легенда" in ru and "ещё не вычислен" in ru and "параметр" in ru and "Legend" not in ru
    assert "∂L/∂выход" in viz.to_dot(L, lang="ru")  # the unnamed Squared output


def test_title():
    L = lecture5()
    assert "labelloc=t" in viz.to_dot(L, title="Лекция 5")
    assert "Лекция 5" in viz.to_dot(L, title="Лекция 5")
    with gad.Graph(name="named graph") as g:
        Sum()(np.ones(2))
    assert "named graph" in viz.to_dot(g)


def test_fold_constants():
    x = gad.Tensor(np.array([1.0, 2.0]), name="x")
    y = (2 * x - 1) / 4
    folded = viz.to_dot(y)
    assert "<B>×2</B>" in folded and "<B>−1</B>" in folded and "<B>÷4</B>" in folded
    assert "constant" not in folded
    plain = viz.to_dot(y, fold_constants=False)
    assert plain.count('class="forward constant"') == 3 and "×2" not in plain and "<B>Mul</B>" in plain
    reverse = viz.to_dot(1 - x)
    assert "<B>1−</B>" in reverse


def test_folded_constant_of_a_renamed_op_uses_call_notation():
    class Scale(Differentiable):
        def forward(self, x, factor):
            self.factor = factor
            return x * factor

        def backward(self, upstream_grad):
            return upstream_grad * self.factor, None

    out = Scale(name="scale")(gad.Tensor(np.ones(2), name="x"), 3.0)
    assert "<B>scale(·, 3)</B>" in viz.to_dot(out)


# -- states (stepper, debugger) --------------------------------------------------------------------------
def test_states_override_and_are_css_classes():
    L = lecture5(backward=True)
    t = THEMES["lecture"]
    source = viz.to_dot(L, states={2: "current", "n3": "pending", 5: "failed", 6: "nonfinite"})
    assert 'class="current op"' in node_stmt(source, "n2") and f'color="{t.current}"' in node_stmt(source, "n2")
    assert 'class="pending op"' in node_stmt(source, "n3") and "dashed" in node_stmt(source, "n3")
    assert f'fillcolor="{t.failed_fill}"' in node_stmt(source, "n5")
    assert 'class="nonfinite op"' in node_stmt(source, "n6")
    assert 'class="done parameter"' in node_stmt(source, "n1")


@pytest.mark.dot
def test_current_node_is_selectable_in_svg():
    root = parse_svg(viz.to_svg(lecture5(backward=True), states={2: "current"}))
    current = [g for g in svg_nodes(root).values() if "current" in g.get("class").split()]
    assert [g.find("{http://www.w3.org/2000/svg}title").text for g in current] == ["n2"]
    assert current[0].get("class") == "node current op"


def test_states_during_a_backward_pass():
    L = lecture5()
    steps = gad.iter_backward(L)
    next(steps)  # Sum done; Squared, Identity, Linear pending
    mid = viz.to_dot(L)
    assert 'class="done op"' in node_stmt(mid, "n6")
    assert 'class="pending op"' in node_stmt(mid, "n2")
    assert "∂L/∂θ =</FONT>" in node_stmt(mid, "n1") and "—" in node_stmt(mid, "n1")
    for _ in steps:
        pass
    after = viz.to_dot(L)
    assert 'class="done parameter"' in node_stmt(after, "n1")
    assert fmt(lecture_numbers()["dtheta"]) in node_stmt(after, "n1")


def test_partial_gradients_are_not_shown_mid_pass():
    # x feeds Identity (a) and Sum; a feeds Squared and Sum. Backward walks the newest call first.
    x = gad.Tensor(np.array([1.0, 2.0]), name="x")
    a = Identity()(x)
    a.name = "a"
    loss = Sum()(Squared()(a, np.zeros(2))) + Sum()(x) + Sum()(a)
    steps = gad.iter_backward(loss)
    labels = [next(steps).label for _ in range(4)]  # outer Add, Sum(a), inner Add, Sum(x)
    assert labels == ["Add", "Sum", "Add", "Sum"]
    G = loss.graph.nx
    assert G.nodes[a.node]["grad"] is not None and G.nodes[x.node]["grad"] is not None  # running sums exist
    mid = viz.to_dot(loss)
    for node in (a.node, x.node):
        stmt = node_stmt(mid, f"n{node}")
        assert "—" in stmt and "[1, 1]" not in stmt and 'class="pending' in stmt
    for _ in steps:
        pass
    done = viz.to_dot(loss)
    assert "[3, 5]" in node_stmt(done, f"n{a.node}") and "[4, 6]" in node_stmt(done, f"n{x.node}")


def test_failed_backward_shows_the_error():
    class Broken(Differentiable):
        def forward(self, x):
            return x

        def backward(self, upstream_grad):
            return upstream_grad[:1]  # wrong shape

    x = gad.Tensor(np.ones(3), name="x")
    out = Sum()(Broken(name="broken <op>")(x))
    steps = list(gad.iter_backward(out, on_error="record"))
    assert steps[1].status == "failed"
    source = viz.to_dot(out)
    stmt = node_stmt(source, f"n{steps[1].node}")
    assert 'class="failed op"' in stmt and "ShapeRuleError" in stmt and "broken &lt;op&gt;" in stmt


def test_report_marks_failing_nodes_with_their_errors():
    L = lecture5(backward=True)
    report = Report(
        [
            Record(
                node=2, kind="wrong_gradient", diagnosis="sign", max_rel_error=2.0, message="∂L/∂θ has the wrong sign"
            ),
            Record(node=5, kind="ok", max_rel_error=3.1e-9),
            Record(node=6, kind="nonfinite_backward", max_rel_error=None),
            Record(node=None, kind="exception", diagnosis=None, max_rel_error=None),
        ]
    )
    source = viz.to_dot(L, report=report)
    t = THEMES["lecture"]
    linear = node_stmt(source, "n2")
    assert 'class="failed op"' in linear and f'fillcolor="{t.failed_fill}"' in linear
    assert "wrong gradient" in linear and "rel. error 2" in linear and "sign flipped" in linear
    assert "wrong sign" in linear
    squared = node_stmt(source, "n5")
    assert 'class="done op"' in squared and "✓ ok · rel. error 3.1e-09" in squared
    assert 'class="nonfinite op"' in node_stmt(source, "n6")
    assert "gradient check: 3 of 4 nodes failed" in source
    # An explicit state still wins over the report.
    assert 'class="current op"' in node_stmt(viz.to_dot(L, report=report, states={2: "current"}), "n2")
    with pytest.raises(ValueError, match=r"report must have a \.nodes list"):
        viz.render(L, report=object())


# -- text: escaping and Unicode --------------------------------------------------------------------------
EVIL = ["<script>alert(1)</script>", '"&<>', "a'b\\n]]>", "x\x01y"]


@pytest.mark.dot
@pytest.mark.parametrize("evil", EVIL)
def test_user_text_is_escaped_and_shown_literally(evil):
    with gad.Graph(name=evil) as g:
        x = gad.Tensor(np.array([1.0, 2.0]), name=evil)
        out = Identity(name=evil)(x)
        out.name = evil
        with gad.group(evil, n_params=0):
            Sum()(out)
    source = viz.to_dot(g, legend=True)
    assert "<script>" not in source
    svg = viz.to_svg(g, legend=True)
    root = parse_svg(svg)  # valid XML
    shown = evil.replace("\x01", " ")
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert sum(shown in t for t in texts) >= 4  # title, leaf, op header, group label (and ∂L/∂name keys)
    assert not list(root.iter("{http://www.w3.org/2000/svg}script"))


@pytest.mark.dot
def test_unicode_names_render():
    x = gad.Tensor(np.array([1.0, -1.0]), name="ŷ")
    out = Identity(name="Тождество")(x)
    out.name = "μ"
    svg = viz.to_svg(Sum()(out), title="Лекция 5: θ", lang="ru", legend=True)
    text = svg_text(parse_svg(svg))
    for word in ("ŷ", "Тождество", "μ", "∂L/∂μ", "Лекция 5: θ", "Легенда"):
        assert word in text
    assert 'font-family="DejaVu Sans' in svg


# -- large graphs ---------------------------------------------------------------------------------------------
def _tree(n_leaves: int) -> gad.Tensor:
    """A balanced sum of ``n_leaves`` leaves: 2·n_leaves nodes (with the final Sum)."""
    level = [gad.Tensor(np.full(2, float(i)), name=f"x{i}") for i in range(n_leaves)]
    while len(level) > 1:
        pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        level = pairs + (level[-1:] if len(level) % 2 else [])
    return level[0].sum()


@pytest.mark.dot
def test_two_thousand_nodes_render_to_svg():
    loss = _tree(1000)
    loss.backward()
    assert len(loss.graph.nx) == 2000
    with pytest.warns(UserWarning, match=r"2000 nodes to draw, more than max_nodes=500.*collapse=True"):
        svg = viz.to_svg(loss, theme="compact", timeout=120)
    nodes = svg_nodes(parse_svg(svg))
    assert len(nodes) == 2000 and "n1999" in nodes


def test_max_nodes_falls_back_to_the_collapsed_view():
    class Block(Module):
        def forward(self, x):
            for _ in range(10):
                x = Identity()(x)
            return x

    x = gad.Tensor(np.ones(2), name="x")
    for _ in range(5):
        x = Block()(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = viz.to_dot(x)  # 51 nodes: under the default limit
    assert "subgraph cluster_" in full
    with pytest.warns(UserWarning, match=r"51 nodes to draw.*Drawing the collapsed view \(6 nodes\) instead"):
        small = viz.to_dot(x, max_nodes=20)
    assert "subgraph cluster_" not in small and small.count("box3d") == 5
    with pytest.warns(UserWarning, match="Drawing all of it"):
        viz.to_dot(x, max_nodes=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        viz.to_dot(x, max_nodes=None)


@pytest.mark.dot
def test_timeout_stops_graphviz():
    loss = _tree(300)
    with pytest.raises(viz.RenderTimeoutError, match=r"did not finish within timeout=0\.001"):
        viz.to_svg(loss, timeout=0.001, max_nodes=None)
