"""What a submission must provide: the required ops, their points and inputs, the training check.

The grader reads an optional ``assignment.toml`` **in the parent** (with
:mod:`tomllib`) and turns it into an :class:`Assignment`; the worker gets only
the plain-JSON :meth:`Assignment.plan` (names, constructor arguments, input
specs, seeds), never the file. Without a file, :func:`default_assignment` is the
lecture's homework: ``Linear``, ``Identity``, ``Squared``, ``Sum`` (1 point each)
and the training of the lecture graph (1 point).

The ``assignment.toml`` schema
==============================
Every key is optional::

    [assignment]
    name = "HW 5: backpropagation"   # title of the class report
    lecture = true          # require Linear, Identity, Squared, Sum (default true)
    seed = 0                # seed of the generated inputs, upstream gradients and steps
    main = ["hw5.ipynb"]    # preferred main file names (else: the file defining most required classes)
    timeout = 60            # defaults for --timeout and --memory-mb
    memory_mb = 1024

    [training]              # train the lecture graph (only with lecture = true)
    points = 1              # 0 removes the training check
    steps = 5
    lr = 0.01

    [[ops]]                 # one table per op; a lecture op listed here replaces its defaults
    name = "ReLU"           # the class name the student must define
    points = 2
    init = []               # positional constructor arguments, or a table of keyword arguments
    inputs = [[3, 4]]       # one entry per argument of forward (see below)
    reference = "graphviz_autodiff.ops.ReLU"   # optional: a trusted implementation (see below)

An entry of ``inputs`` is

- a shape, ``[8, 4]``: float64 values from a standard normal;
- a table ``{shape = [3, 4], low = 0.5, high = 2.0}``: uniform in ``[low, high)``
  (positive inputs for ``Log``, ``Sqrt``);
- a table ``{value = [[1.0, 2.0], [3.0, 4.0]]}``: exactly this array;
- a number: a constant (not differentiated).

Without ``inputs`` the worker uses the class's own ``check_inputs`` (see
:mod:`graphviz_autodiff.cli.check`), else one (3, 4) array per argument of
``forward``; inputs drawn by the class itself cannot be verified by the grader.
The lecture ops default to ``Linear(4)`` on (8, 4), ``Identity`` and ``Sum`` on
(8,), ``Squared`` on (8,) and (8,).

``reference`` names an importable op class (``package.module.Class`` or
``package.module:Class``) that the **grader** (never the student's process)
runs on the same inputs and parameter values: a student's op that passes the
gradient check must also compute the reference's output (else kind
``wrong_forward``), and the finite differences the worker sent must agree
with the reference's gradient (else kind ``inconsistent``: numbers that
contradict each other, as a forged report would). The lecture ops use
``graphviz_autodiff.ops.<name>`` unless the table sets ``reference = ""``.

Randomness
==========
Op ``k`` of :attr:`Assignment.ops` (0-based) draws its inputs from the
``inputs`` stream of ``graphviz_autodiff.debug.random_streams(seed, k)`` and
its upstream gradients and finite-difference jitter from the other two
streams of the same call; the training data ``X`` (8, 4) and ``y`` (8,) come
from ``random_streams(seed, 1000)``. The parent draws the same arrays to
verify what the worker reports.
"""

from __future__ import annotations

import importlib
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_SHAPE",
    "LECTURE_DEFAULTS",
    "LECTURE_OPS",
    "TRAINING_KEY",
    "TRAINING_NAME",
    "Assignment",
    "AssignmentError",
    "OpSpec",
    "TrainingSpec",
    "assignment_from_dict",
    "default_assignment",
    "instantiate",
    "load_assignment",
    "make_input",
    "make_inputs",
    "resolve_reference",
    "training_data",
]

#: The lecture's ops, in the order of the lecture graph (forward).
LECTURE_OPS = ("Linear", "Identity", "Squared", "Sum")
#: Constructor arguments and input shapes of the lecture's ops.
LECTURE_DEFAULTS: dict[str, dict[str, Any]] = {
    "Linear": {"init": (4,), "inputs": ((8, 4),)},
    "Identity": {"inputs": ((8,),)},
    "Squared": {"inputs": ((8,), (8,))},
    "Sum": {"inputs": ((8,),)},
}
#: Shape of each input of an op whose inputs nobody declared.
DEFAULT_SHAPE = (3, 4)
#: The ``key`` of :func:`~graphviz_autodiff.debug.random_streams` for the training data.
TRAINING_KEY = 1000
#: The name of the training check in reports.
TRAINING_NAME = "training"

_TOP_KEYS = {"assignment", "training", "ops"}
_ASSIGNMENT_KEYS = {"name", "lecture", "seed", "main", "timeout", "memory_mb"}
_TRAINING_KEYS = {"points", "steps", "lr"}
_OP_KEYS = {"name", "points", "init", "inputs", "reference"}


class AssignmentError(ValueError):
    """``assignment.toml`` is unreadable or does not follow the schema (the message says where)."""


@dataclass(frozen=True)
class OpSpec:
    """One required op.

    Attributes
    ----------
    name
        The class name the submission must define.
    points
        Points for a passing op.
    init
        Positional (tuple) or keyword (dict) constructor arguments.
    inputs
        One input spec per argument of ``forward`` (see the module docstring),
        or ``None``: the class's own ``check_inputs``, else (3, 4) arrays.
    reference
        Dotted path of a trusted implementation, or ``None``.
    """

    name: str
    points: float = 1.0
    init: tuple[Any, ...] | dict[str, Any] = ()
    inputs: tuple[Any, ...] | None = None
    reference: str | None = None


@dataclass(frozen=True)
class TrainingSpec:
    """The training check of the lecture graph: ``steps`` of gradient descent with step ``lr``.

    The loss ``Sum(Squared(Identity(Linear(4)(X)), y))`` must decrease (last
    value below the first, every value finite).
    """

    points: float = 1.0
    steps: int = 5
    lr: float = 0.01


@dataclass(frozen=True)
class Assignment:
    """Everything the grader checks in each submission.

    Attributes
    ----------
    name
        Title for the class report (may be empty).
    ops
        The required ops, in report order.
    training
        The training check, or ``None``.
    seed
        Seed of every generated array (module docstring).
    main_names
        Preferred main file names (:func:`.collect.choose_main`).
    timeout, memory_mb
        Defaults for the command line, or ``None``.
    """

    name: str = ""
    ops: tuple[OpSpec, ...] = ()
    training: TrainingSpec | None = None
    seed: int = 0
    main_names: tuple[str, ...] = ()
    timeout: float | None = None
    memory_mb: int | None = None
    lecture: bool = True

    @property
    def max_score(self) -> float:
        """Points of every op plus the training check."""
        return sum(op.points for op in self.ops) + (self.training.points if self.training else 0.0)

    @property
    def check_names(self) -> tuple[str, ...]:
        """The names of the report's entries: the ops, then ``"training"`` when it is checked."""
        return tuple(op.name for op in self.ops) + ((TRAINING_NAME,) if self.training else ())

    def plan(self, *, op_seconds: float | None = None) -> dict[str, Any]:
        """The worker's instructions as plain JSON (no file paths, no references, no points).

        Parameters
        ----------
        op_seconds
            Time budget of each op check inside the worker (``None``: no budget).
        """
        return {
            "mode": "grade",
            "seed": self.seed,
            "op_seconds": op_seconds,
            "ops": [
                {
                    "name": op.name,
                    "key": index,
                    "init": list(op.init) if isinstance(op.init, tuple) else dict(op.init),
                    "inputs": None if op.inputs is None else [_jsonable(s) for s in op.inputs],
                }
                for index, op in enumerate(self.ops)
            ],
            "lecture": list(LECTURE_OPS) if self.lecture else None,
            "train": None
            if self.training is None
            else {"steps": self.training.steps, "lr": self.training.lr, "key": TRAINING_KEY},
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


# -- the default and the file ------------------------------------------------------------------------
def default_assignment() -> Assignment:
    """The lecture's homework: the four lecture ops (1 point each) and the training check (1 point)."""
    return Assignment(ops=tuple(_lecture_op(name) for name in LECTURE_OPS), training=TrainingSpec())


def _lecture_op(name: str, **overrides: Any) -> OpSpec:
    defaults = LECTURE_DEFAULTS[name]
    values = {
        "name": name,
        "init": defaults.get("init", ()),
        "inputs": defaults["inputs"],
        "reference": f"graphviz_autodiff.ops.{name}",
    }
    values.update(overrides)
    return OpSpec(**values)


def load_assignment(path: str | Path) -> Assignment:
    """Read and validate ``assignment.toml`` (the schema of the module docstring).

    Raises
    ------
    AssignmentError
        The file cannot be read or parsed, or breaks the schema; the message names the key.
    """
    import tomllib

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise AssignmentError(f"cannot read {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise AssignmentError(f"{path} is not valid TOML: {error}") from None
    return assignment_from_dict(data, where=str(path))


def assignment_from_dict(data: Mapping[str, Any], *, where: str = "assignment") -> Assignment:
    """Build an :class:`Assignment` from parsed TOML (see :func:`load_assignment`)."""
    _known(data, _TOP_KEYS, where)
    head = _table(data.get("assignment", {}), f"{where}: [assignment]")
    _known(head, _ASSIGNMENT_KEYS, f"{where}: [assignment]")
    lecture = _bool(head.get("lecture", True), f"{where}: assignment.lecture")
    seed = _integer(head.get("seed", 0), f"{where}: assignment.seed", low=0)
    main = head.get("main", [])
    if isinstance(main, str):
        main = [main]
    if not isinstance(main, list) or not all(isinstance(m, str) and m for m in main):
        raise AssignmentError(f"{where}: assignment.main must be a file name or a list of file names")
    timeout = head.get("timeout")
    if timeout is not None:
        timeout = _number(timeout, f"{where}: assignment.timeout", positive=True)
    memory = head.get("memory_mb")
    if memory is not None:
        memory = _integer(memory, f"{where}: assignment.memory_mb", low=64)
    listed = data.get("ops", [])
    if not isinstance(listed, list) or not all(isinstance(t, dict) for t in listed):
        raise AssignmentError(f"{where}: ops must be an array of tables ([[ops]])")
    specs = [_op_spec(table, f"{where}: ops[{i}]", lecture) for i, table in enumerate(listed)]
    names = [s.name for s in specs]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise AssignmentError(f"{where}: op {duplicated[0]!r} is listed twice")
    by_name = {s.name: s for s in specs}
    ops = [by_name.pop(name, None) or _lecture_op(name) for name in LECTURE_OPS] if lecture else []
    ops += [s for s in specs if s.name in by_name]
    if not ops:
        raise AssignmentError(f"{where}: no op to check (lecture = false and no [[ops]])")
    training = None
    if lecture:
        table = _table(data.get("training", {}), f"{where}: [training]")
        _known(table, _TRAINING_KEYS, f"{where}: [training]")
        spec = TrainingSpec(
            points=_number(table.get("points", 1.0), f"{where}: training.points", low=0.0),
            steps=_integer(table.get("steps", 5), f"{where}: training.steps", low=1, high=1000),
            lr=_number(table.get("lr", 0.01), f"{where}: training.lr", positive=True),
        )
        training = spec if spec.points > 0 else None
    elif "training" in data:
        raise AssignmentError(f"{where}: [training] needs the lecture ops (assignment.lecture = true)")
    return Assignment(
        name=str(head.get("name", "")),
        ops=tuple(ops),
        training=training,
        seed=seed,
        main_names=tuple(main),
        timeout=timeout,
        memory_mb=memory,
        lecture=lecture,
    )


def _op_spec(table: Mapping[str, Any], where: str, lecture: bool) -> OpSpec:
    _known(table, _OP_KEYS, where)
    name = table.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise AssignmentError(f"{where}: name must be a Python class name, got {name!r}")
    is_lecture = lecture and name in LECTURE_DEFAULTS
    defaults = LECTURE_DEFAULTS.get(name, {}) if is_lecture else {}
    init = table.get("init", defaults.get("init", ()))
    if isinstance(init, (list, tuple)):
        init = tuple(init)
    elif not isinstance(init, dict):
        raise AssignmentError(f"{where}: init must be an array (positional) or a table (keyword arguments)")
    inputs = table.get("inputs", defaults.get("inputs"))
    if inputs is not None:
        if not isinstance(inputs, (list, tuple)):
            raise AssignmentError(f"{where}: inputs must be an array with one entry per argument of forward")
        inputs = tuple(_input_spec(entry, f"{where}: inputs[{i}]") for i, entry in enumerate(inputs))
    reference = table.get("reference", f"graphviz_autodiff.ops.{name}" if is_lecture else None)
    if reference is not None and not isinstance(reference, str):
        raise AssignmentError(f"{where}: reference must be a dotted path such as 'graphviz_autodiff.ops.ReLU'")
    return OpSpec(
        name=name,
        points=_number(table.get("points", 1.0), f"{where}: points", low=0.0),
        init=init,
        inputs=inputs,
        reference=reference or None,
    )


def _input_spec(entry: Any, where: str) -> Any:
    if isinstance(entry, bool):
        raise AssignmentError(f"{where}: a boolean is not an input")
    if isinstance(entry, (int, float)):
        return entry
    if isinstance(entry, (list, tuple)):
        return _shape(entry, where)
    if isinstance(entry, dict):
        if "value" in entry:
            _known(entry, {"value"}, where)
            try:
                array = np.asarray(entry["value"], dtype=np.float64)
            except (TypeError, ValueError):
                raise AssignmentError(f"{where}: value must be a (nested) array of numbers") from None
            return {"value": array.tolist()}
        _known(entry, {"shape", "low", "high"}, where)
        shape = _shape(entry.get("shape"), f"{where}.shape")
        low = _number(entry.get("low", 0.0), f"{where}.low")
        high = _number(entry.get("high", 1.0), f"{where}.high")
        if not low < high:
            raise AssignmentError(f"{where}: low must be below high")
        return {"shape": list(shape), "low": low, "high": high}
    raise AssignmentError(f"{where}: an input is a shape, a table (shape/low/high or value) or a number")


def _shape(value: Any, where: str) -> tuple[int, ...]:
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(n, int) and not isinstance(n, bool) and 0 < n <= 10_000 for n in value
    ):
        raise AssignmentError(f"{where}: a shape is an array of positive integers, such as [8, 4]")
    if math.prod(value) > 100_000:
        raise AssignmentError(f"{where}: shape {list(value)} has more than 100000 elements")
    return tuple(value)


def _known(table: Mapping[str, Any], keys: set[str], where: str) -> None:
    unknown = sorted(set(table) - keys)
    if unknown:
        raise AssignmentError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(keys))})")


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise AssignmentError(f"{where} must be a table")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise AssignmentError(f"{where} must be true or false")
    return value


def _number(value: Any, where: str, *, low: float | None = None, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise AssignmentError(f"{where} must be a number, got {value!r}")
    if positive and not value > 0:
        raise AssignmentError(f"{where} must be positive, got {value!r}")
    if low is not None and value < low:
        raise AssignmentError(f"{where} must be at least {low:g}, got {value!r}")
    return float(value)


def _integer(value: Any, where: str, *, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AssignmentError(f"{where} must be an integer, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise AssignmentError(f"{where} must be between {low} and {high}, got {value!r}")
    return value


# -- inputs (worker and parent) ---------------------------------------------------------------------
def make_input(spec: Any, rng: np.random.Generator) -> Any:
    """One input from its spec (module docstring), drawing from ``rng`` when the spec is random.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> make_input([2, 3], rng).shape, make_input(2.5, rng), make_input({"value": [1, 2]}, rng).tolist()
    ((2, 3), 2.5, [1.0, 2.0])
    """
    if isinstance(spec, (list, tuple)) and all(isinstance(n, (int, np.integer)) for n in spec):
        return rng.standard_normal(tuple(int(n) for n in spec))
    if isinstance(spec, dict) and "value" in spec:
        return np.asarray(spec["value"], dtype=np.float64)
    if isinstance(spec, dict):
        return rng.uniform(float(spec["low"]), float(spec["high"]), size=tuple(spec["shape"]))
    if isinstance(spec, (int, float, np.number)):
        return spec
    return np.asarray(spec)


def make_inputs(specs: Sequence[Any], rng: np.random.Generator) -> list[Any]:
    """Every input of one op, in order, from one generator."""
    return [make_input(spec, rng) for spec in specs]


def instantiate(cls: type, init: tuple[Any, ...] | list[Any] | Mapping[str, Any]) -> Any:
    """``cls(*init)`` for a sequence, ``cls(**init)`` for a mapping."""
    return cls(**init) if isinstance(init, Mapping) else cls(*init)


def training_data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``X`` (8, 4) and ``y`` (8,) of the training check, from ``random_streams(seed, TRAINING_KEY)``."""
    from graphviz_autodiff.debug import random_streams

    rng = random_streams(seed, TRAINING_KEY).inputs
    X = rng.standard_normal((8, 4))
    y = X @ np.array([0.5, -1.0, 2.0, 0.25]) + 0.1 * rng.standard_normal(8)
    return X, y


# -- references (parent only) -----------------------------------------------------------------------
def resolve_reference(path: str) -> type:
    """Import the reference class ``package.module.Class`` (or ``package.module:Class``).

    Raises
    ------
    AssignmentError
        The module or class cannot be imported.
    """
    module_name, _, attr = path.rpartition(":") if ":" in path else path.rpartition(".")
    if not module_name or not attr:
        raise AssignmentError(f"reference {path!r} must look like 'package.module.Class'")
    try:
        found = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as error:
        raise AssignmentError(f"cannot import the reference {path!r}: {error}") from None
    if not isinstance(found, type):
        raise AssignmentError(f"the reference {path!r} is not a class")
    return found
