"""``assignment.toml``: the schema, its defaults, and every mistake a TA can make in it."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from graphviz_autodiff.cli.grade import assignment as module
from graphviz_autodiff.cli.grade.assignment import (
    LECTURE_OPS,
    AssignmentError,
    OpSpec,
    default_assignment,
    load_assignment,
    make_inputs,
    resolve_reference,
    training_data,
)
from graphviz_autodiff.debug import random_streams


def load(tmp_path, text: str):
    path = tmp_path / "assignment.toml"
    path.write_text(text, encoding="utf-8")
    return load_assignment(path)


def test_docstring_examples():
    assert doctest.testmod(module).failed == 0


def test_the_default_is_the_lecture_homework():
    a = default_assignment()
    assert [op.name for op in a.ops] == list(LECTURE_OPS)
    assert a.check_names == (*LECTURE_OPS, "training")
    assert a.max_score == 5.0
    assert a.ops[0] == OpSpec("Linear", 1.0, (4,), ((8, 4),), "graphviz_autodiff.ops.Linear")
    plan = a.plan(op_seconds=3.0)
    assert plan["ops"][2] == {"name": "Squared", "key": 2, "init": [], "inputs": [[8], [8]]}
    assert plan["train"] == {"steps": 5, "lr": 0.01, "key": 1000} and plan["op_seconds"] == 3.0
    assert "reference" not in str(plan) and "points" not in str(plan)  # the worker learns neither


def test_a_full_file(tmp_path):
    a = load(
        tmp_path,
        """
[assignment]
name = "HW 5"
seed = 7
main = "hw5.ipynb"
timeout = 30
memory_mb = 512

[training]
points = 3
steps = 10
lr = 0.005

[[ops]]
name = "Squared"
points = 2

[[ops]]
name = "Log"
points = 1.5
init = {base = 2.0}
inputs = [{shape = [3, 4], low = 0.5, high = 2.0}, 1.0, {value = [[1, 2]]}]
reference = "graphviz_autodiff.ops:Log"
""",
    )
    assert [op.name for op in a.ops] == ["Linear", "Identity", "Squared", "Sum", "Log"]
    squared, log = a.ops[2], a.ops[4]
    assert squared.points == 2.0 and squared.inputs == ((8,), (8,)) and squared.reference.endswith("Squared")
    assert log.init == {"base": 2.0} and log.reference == "graphviz_autodiff.ops:Log"
    assert log.inputs == ({"shape": [3, 4], "low": 0.5, "high": 2.0}, 1.0, {"value": [[1.0, 2.0]]})
    assert (a.name, a.seed, a.main_names, a.timeout, a.memory_mb) == ("HW 5", 7, ("hw5.ipynb",), 30.0, 512)
    assert (a.training.points, a.training.steps, a.training.lr) == (3.0, 10, 0.005)
    assert a.max_score == 1 + 1 + 2 + 1 + 1.5 + 3


def test_without_the_lecture(tmp_path):
    a = load(tmp_path, '[assignment]\nlecture = false\n\n[[ops]]\nname = "ReLU"\ninputs = [[3, 4]]\n')
    assert [op.name for op in a.ops] == ["ReLU"] and a.training is None and a.ops[0].reference is None
    assert a.plan()["lecture"] is None and a.plan()["train"] is None
    assert load(tmp_path, "[training]\npoints = 0\n").training is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[assignment\n", "is not valid TOML"),
        ("colour = 1\n", "unknown key 'colour'"),
        ("[assignment]\nlecture = 1\n", "assignment.lecture must be true or false"),
        ("[assignment]\nseed = -1\n", "assignment.seed must be between 0"),
        ("[assignment]\nmain = 3\n", "assignment.main must be a file name"),
        ("[assignment]\ntimeout = 0\n", "assignment.timeout must be positive"),
        ("[assignment]\nmemory_mb = 10\n", "assignment.memory_mb must be between 64"),
        ("[[ops]]\nname = 'not a class'\n", "ops[0]: name must be a Python class name"),
        ("[[ops]]\nname = 'A'\n[[ops]]\nname = 'A'\n", "op 'A' is listed twice"),
        ("[[ops]]\nname = 'A'\npoints = -1\n", "ops[0]: points must be at least 0"),
        ("[[ops]]\nname = 'A'\ninit = 3\n", "init must be an array"),
        ("[[ops]]\nname = 'A'\ninputs = [[0, 4]]\n", "a shape is an array of positive integers"),
        ("[[ops]]\nname = 'A'\ninputs = [[1000, 1000]]\n", "more than 100000 elements"),
        ("[[ops]]\nname = 'A'\ninputs = [{shape = [2], low = 1, high = 0}]\n", "low must be below high"),
        ("[[ops]]\nname = 'A'\ninputs = [{value = 'x'}]\n", "value must be a (nested) array of numbers"),
        ("[[ops]]\nname = 'A'\ninputs = [true]\n", "a boolean is not an input"),
        ("[[ops]]\nname = 'A'\nreference = 3\n", "reference must be a dotted path"),
        ("[training]\nsteps = 0\n", "training.steps must be between 1"),
        ("[training]\nlr = 'fast'\n", "training.lr must be a number"),
        ("[assignment]\nlecture = false\n", "no op to check"),
        ("[assignment]\nlecture = false\n[training]\n[[ops]]\nname = 'A'\n", "[training] needs the lecture ops"),
    ],
)
def test_mistakes_are_named(tmp_path, text, message):
    with pytest.raises(AssignmentError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        load(tmp_path, text)


def test_an_unreadable_file(tmp_path):
    with pytest.raises(AssignmentError, match="cannot read"):
        load_assignment(tmp_path / "missing.toml")


def test_inputs_come_from_the_documented_stream():
    specs = ([8, 4], {"shape": [2], "low": 0.5, "high": 2.0}, 3.0, {"value": [1, 2]})
    x, u, c, v = make_inputs(specs, random_streams(0, 1).inputs)
    rng = random_streams(0, 1).inputs
    assert np.array_equal(x, rng.standard_normal((8, 4))) and np.array_equal(u, rng.uniform(0.5, 2.0, size=2))
    assert c == 3.0 and v.tolist() == [1.0, 2.0] and ((u >= 0.5) & (u < 2.0)).all()
    X, y = training_data(0)
    assert X.shape == (8, 4) and y.shape == (8,)
    assert np.array_equal(X, random_streams(0, 1000).inputs.standard_normal((8, 4)))


def test_references():
    from graphviz_autodiff.ops import ReLU

    assert resolve_reference("graphviz_autodiff.ops.ReLU") is ReLU
    assert resolve_reference("graphviz_autodiff.ops:ReLU") is ReLU
    for bad, message in (
        ("ReLU", "must look like"),
        ("no_such.module.X", "cannot import"),
        ("numpy.pi", "not a class"),
    ):
        with pytest.raises(AssignmentError, match=message):
            resolve_reference(bad)
