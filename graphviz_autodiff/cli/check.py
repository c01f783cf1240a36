"""The ``check`` command: gradient-check every op a student's file defines.

Usage::

    python -m graphviz_autodiff check path/to/student_ops.py [--out report.svg] [--lang ru] [--timeout 60]

What it does
============
1. Imports the file **in a subprocess** (``python -m graphviz_autodiff.cli.check
   --worker ...``), so an infinite loop or a crash in the student's code is
   reported, not inherited: after ``--timeout`` seconds the worker dumps the
   stack (:mod:`faulthandler`) and stops, and the report says which line of
   the student's file was running.
2. Finds every :class:`~graphviz_autodiff.Differentiable` subclass *defined*
   in that file (``cls.__module__`` is the file's module; imported classes
   and base classes without a ``forward`` of their own are skipped) and runs
   :func:`~graphviz_autodiff.debug.gradcheck` on each, on generated
   inputs (below).
3. When the file defines ``Linear``, ``Identity``, ``Squared`` and ``Sum``,
   builds the lecture-5 graph with them, ``Sum(Squared(Identity(Linear(4)(X)), y))``
   with X of shape (8, 4) and y of shape (8,), runs its backward pass and
   :func:`~graphviz_autodiff.debug.check` on it, and names the first culprit.
4. Prints the tables and, with ``--out``, draws the graph coloured by the
   report with ``viz.save`` (the lecture graph, else one call of every op):
   the worker writes the file.

Exit status: 0 when every check passes, 1 when any fails (a timeout and a
crash of the student's file count as failures), 2 on a usage error (no such
file, not a ``.py`` file, no Differentiable subclass in it).

Inputs for each op
==================
An op class may declare how to build and call it:

``check_init``
    A tuple of positional arguments or a dict of keyword arguments for the
    constructor (``check_init = (4,)``, ``check_init = {"p": 0.5}``). Without
    it the class is built with no arguments (the lecture's ``Linear`` with
    ``Linear(4)``); a constructor that needs arguments is reported as
    "cannot instantiate: define check_init".

``check_inputs``
    One entry per argument of ``forward``: a shape tuple (a float64 array of
    that shape drawn from a standard normal), an array (used as given: integer
    labels, positive values for ``log``), or a number (a constant). It may be
    a list attribute (``check_inputs = [(8, 3), (3,)]``) or a classmethod or
    staticmethod taking a :class:`numpy.random.Generator` and returning that
    list (``return [rng.uniform(0.5, 2.0, size=(3, 4))]``).

Without ``check_inputs`` every argument is a float64 array of shape (3, 4)
(standard normal from the inputs stream of seed :data:`INPUT_SEED`; the
upstream gradients come from an independent stream), one per positional argument of ``forward`` (one
for ``*args``); the lecture's classes get the lecture's shapes: ``Linear``
(8, 4), ``Identity`` and ``Sum`` (8,), ``Squared`` (8,) and (8,).
"""

from __future__ import annotations

import argparse
import faulthandler
import importlib.util
import inspect
import json
import os
import re
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from ..i18n import LANGS, tr

__all__ = ["DEFAULT_SHAPE", "EXIT_FAIL", "EXIT_OK", "EXIT_USAGE", "INPUT_SEED", "LECTURE_DEFAULTS", "main"]

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

#: Shape of each default input.
DEFAULT_SHAPE = (3, 4)

#: Constructor arguments and input shapes used for the lecture's classes when they declare none.
#: Seed of the generated inputs and of the gradient checks. Inputs come from the ``inputs`` stream of
#: ``graphviz_autodiff.debug.random_streams(INPUT_SEED)`` and the upstream gradients from its ``upstream``
#: stream: independent, so no generated input equals an upstream gradient.
INPUT_SEED = 0

LECTURE_DEFAULTS: dict[str, dict[str, Any]] = {
    "Linear": {"init": (4,), "inputs": [(8, 4)]},
    "Identity": {"inputs": [(8,)]},
    "Squared": {"inputs": [(8,), (8,)]},
    "Sum": {"inputs": [(8,)]},
}

_LECTURE = ("Linear", "Identity", "Squared", "Sum")
_GRACE = 10.0  # seconds the parent waits beyond --timeout before killing the worker itself


# -- the parent: argument parsing, the subprocess, printing ---------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m graphviz_autodiff check",
        description="Gradient-check every Differentiable op defined in a student's Python file.",
    )
    parser.add_argument("path", help="the student's .py file")
    parser.add_argument("--out", help="write the coloured graph here (.svg, .png, .pdf, .dot)")
    parser.add_argument("--lang", choices=LANGS, default="en", help="language of the report")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before the student's code is stopped")
    parser.add_argument("--eps", type=float, default=1e-6, help="finite-difference step")
    parser.add_argument("--rtol", type=float, default=1e-5, help="relative tolerance")
    parser.add_argument("--atol", type=float, default=1e-8, help="absolute tolerance")
    parser.add_argument("--json", dest="json_path", help="also write the result as JSON here")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``check`` command; return the exit status (0 pass, 1 fail, 2 usage error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"]:
        return _worker(argv[1:])
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse printed the usage error
        return int(exit_.code or 0) and EXIT_USAGE
    lang = args.lang
    path = Path(args.path)
    if not path.is_file():
        print(tr("cli.not_found", lang, path=path), file=sys.stderr)
        return EXIT_USAGE
    if path.suffix != ".py":
        print(tr("cli.not_python", lang, path=path), file=sys.stderr)
        return EXIT_USAGE
    if args.timeout <= 0:
        print("--timeout must be positive", file=sys.stderr)
        return EXIT_USAGE
    outcome = _run_worker(path.resolve(), args)
    text, code = _summarise(outcome, path, lang)
    print(text)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(outcome, indent=1, default=str), encoding="utf-8")
    return code


def _run_worker(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run the checks in a subprocess; return its JSON result (or what went wrong)."""
    with tempfile.TemporaryDirectory(prefix="gad-check-") as tmp:
        result_file = Path(tmp) / "result.json"
        dump_file = Path(tmp) / "stack.txt"
        command = [
            sys.executable,
            "-m",
            "graphviz_autodiff.cli.check",
            "--worker",
            str(path),
            "--result",
            str(result_file),
            "--dump",
            str(dump_file),
            "--lang",
            args.lang,
            "--timeout",
            str(args.timeout),
            "--eps",
            repr(args.eps),
            "--rtol",
            repr(args.rtol),
            "--atol",
            repr(args.atol),
        ]
        if args.out:
            command += ["--out", str(Path(args.out).resolve())]
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        try:
            done = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=args.timeout + _GRACE,
                env=env,
                check=False,
            )
            returncode, stderr = done.returncode, done.stderr
        except subprocess.TimeoutExpired as expired:
            returncode = None
            stderr = expired.stderr.decode(errors="replace") if isinstance(expired.stderr, bytes) else ""
        outcome = _read_json(result_file)
        dump = dump_file.read_text(errors="replace") if dump_file.exists() else ""
    if returncode is None or (dump.strip() and outcome.get("status") != "done"):
        outcome["status"] = "timeout"
        outcome["where"] = _student_frame(dump, path, args.lang) or outcome.get("current")
        outcome["seconds"] = args.timeout
    elif outcome.get("status") not in ("done", "crash", "no_ops"):
        outcome["status"] = "died"
        outcome["returncode"] = returncode
        outcome["stderr"] = stderr[-2000:]
    return outcome


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<func>\S+)')


def _student_frame(dump: str, path: Path, lang: str) -> str | None:
    """``student.py:12 in backward``: the innermost frame of the student's file in a faulthandler dump."""
    for match in _FRAME.finditer(dump):  # faulthandler lists the innermost frame first
        if Path(match["file"]).resolve() == path:
            return tr("cli.frame", lang, file=path.name, line=match["line"], function=match["func"])
    return None


def _summarise(outcome: dict[str, Any], path: Path, lang: str) -> tuple[str, int]:
    """The text to print and the exit status."""
    status = outcome.get("status")
    if status == "no_ops":
        return tr("cli.no_ops", lang, path=path), EXIT_USAGE
    if status == "crash":
        return tr("cli.crash", lang, error=outcome.get("error", "?")), EXIT_FAIL
    if status == "timeout":
        lines = [tr("cli.timeout", lang, seconds=f"{outcome.get('seconds', 0):g}")]
        if outcome.get("where"):
            lines.append(tr("cli.timeout_where", lang, where=outcome["where"]))
        return "\n".join(lines), EXIT_FAIL
    if status != "done":
        lines = [tr("cli.crash_exit", lang, code=outcome.get("returncode"))]
        if outcome.get("stderr"):
            lines.append(outcome["stderr"].rstrip())
        return "\n".join(lines), EXIT_FAIL
    return outcome["text"], EXIT_OK if outcome["ok"] else EXIT_FAIL


# -- the worker: import, check, draw ------------------------------------------------------------------
def _worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="graphviz_autodiff.cli.check --worker")
    parser.add_argument("path")
    parser.add_argument("--result", required=True)
    parser.add_argument("--dump", required=True)
    parser.add_argument("--lang", default="en")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--eps", type=float, default=1e-6)
    parser.add_argument("--rtol", type=float, default=1e-5)
    parser.add_argument("--atol", type=float, default=1e-8)
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    result_path = Path(args.result)
    with open(args.dump, "w") as dump:
        faulthandler.enable(file=sys.stderr)
        faulthandler.dump_traceback_later(args.timeout, exit=True, file=dump)
        try:
            outcome = _check_file(Path(args.path), args, lambda current: _write(result_path, current))
        except BaseException as error:  # the student's code may even call sys.exit()
            outcome = {"status": "crash", "error": _short_traceback(error, Path(args.path), args.lang)}
        finally:
            faulthandler.cancel_dump_traceback_later()
    _write(result_path, outcome)
    return 0


def _write(path: Path, outcome: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(outcome, default=_json_default), encoding="utf-8")
    tmp.replace(path)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _short_traceback(error: BaseException, path: Path, lang: str) -> str:
    """The exception and the student's lines it went through."""
    frames = [
        tr("cli.frame", lang, file=Path(f.filename).name, line=f.lineno, function=f.name)
        for f in traceback.extract_tb(error.__traceback__)
        if Path(f.filename).resolve() == path.resolve()
    ]
    text = f"{type(error).__name__}: {error}"
    return tr("cli.traceback", lang, error=text, frames=", ".join(frames[-3:])) if frames else text


def _import_student(path: Path) -> Any:
    name = re.sub(r"\W", "_", path.stem)
    if not name or name[0].isdigit():
        name = "student_" + name
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py path always has a loader
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(path.parent))
    spec.loader.exec_module(module)
    return module


def _check_file(path: Path, args: argparse.Namespace, progress: Any) -> dict[str, Any]:
    from ..differentiable import Differentiable

    lang = args.lang
    progress({"status": "running", "current": f"import {path.name}"})
    try:
        module = _import_student(path)
    except BaseException as error:
        return {"status": "crash", "error": _short_traceback(error, path, lang)}
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, Differentiable) and value.__module__ == module.__name__
    ]
    if not classes:
        return {"status": "no_ops"}
    settings = {"eps": args.eps, "rtol": args.rtol, "atol": args.atol, "lang": lang}
    rows = []
    built: list[tuple[Any, list[Any]]] = []
    for cls in classes:
        progress({"status": "running", "current": f"{cls.__name__} (gradcheck)"})
        row, made = _check_class(cls, settings)
        rows.append(row)
        if made is not None:
            built.append(made)
    lecture = None
    graph = report = None
    if all(name in vars(module) and vars(module)[name] in classes for name in _LECTURE):
        progress({"status": "running", "current": tr("cli.running_lecture", lang)})
        lecture, graph, report = _lecture_graph({name: vars(module)[name] for name in _LECTURE}, settings)
    elif args.out:
        graph, report = _overview_graph(built, settings)
    drawing = _draw(graph, report, args.out, lang) if args.out else None
    ok = all(row["status"] != "fail" for row in rows) and (lecture is None or lecture["ok"])
    text = _text(path, rows, lecture, drawing, ok, classes, lang)
    return {"status": "done", "ok": ok, "ops": rows, "lecture": lecture, "drawing": drawing, "text": text}


def _check_class(cls: type, settings: dict[str, Any]) -> tuple[dict[str, Any], tuple[Any, list[Any]] | None]:
    from ..debug import gradcheck, random_streams
    from ..differentiable import Differentiable

    lang = settings["lang"]
    row: dict[str, Any] = {"op": cls.__name__, "status": "fail", "kind": None, "diagnosis": None, "argument": None}
    row.update(max_rel_error=None, max_abs_error=None, message="", where=None, factor=None)
    if cls.forward is Differentiable.forward:
        row.update(status="skipped", message=tr("cli.abstract", lang))
        return row, None
    try:
        op = _instantiate(cls)
    except Exception as error:
        row.update(
            kind="exception", message=tr("cli.cannot_instantiate", lang, error=f"{type(error).__name__}: {error}")
        )
        return row, None
    try:
        inputs = _inputs(cls, op, random_streams(INPUT_SEED).inputs)
    except Exception as error:
        row.update(kind="exception", message=tr("cli.bad_inputs", lang, error=f"{type(error).__name__}: {error}"))
        return row, None
    result = gradcheck(op, *inputs, seed=INPUT_SEED, **settings)
    row.update(
        where=result.where,
        factor=result.factor,
        status="ok" if result.ok else "fail",
        kind=result.kind,
        diagnosis=result.diagnosis,
        argument=result.argument,
        max_rel_error=result.max_rel_error,
        max_abs_error=result.max_abs_error,
        message=result.message,
    )
    if result.kind == "nonfinite_forward" and not _declares(cls, "check_inputs"):
        row["message"] += "; " + tr("cli.hint_inputs", lang)
    return row, (op, inputs)


def _declares(cls: type, name: str) -> bool:
    return any(name in vars(c) for c in cls.__mro__)


def _instantiate(cls: type) -> Any:
    if _declares(cls, "check_init"):
        spec = cls.check_init  # type: ignore[attr-defined]
        if isinstance(spec, dict):
            return cls(**spec)
        if isinstance(spec, (tuple, list)):
            return cls(*spec)
        raise TypeError(f"check_init must be a tuple of positional or a dict of keyword arguments, got {spec!r}")
    defaults = LECTURE_DEFAULTS.get(cls.__name__, {})
    if "init" in defaults:
        try:
            return cls(*defaults["init"])
        except TypeError:
            pass
    return cls()


def _inputs(cls: type, op: Any, rng: np.random.Generator) -> list[Any]:
    if _declares(cls, "check_inputs"):
        spec = cls.check_inputs  # type: ignore[attr-defined]
        if callable(spec):
            spec = spec(rng)
        if isinstance(spec, tuple) and spec and all(isinstance(s, int) for s in spec):
            raise TypeError(
                f"check_inputs must list one entry per argument of forward; write [{spec!r}] for one input "
                f"of shape {spec!r}"
            )
        if not isinstance(spec, (list, tuple)):
            raise TypeError(f"check_inputs must be a list (one entry per argument), got {type(spec).__name__}")
    else:
        spec = LECTURE_DEFAULTS.get(cls.__name__, {}).get("inputs") or [DEFAULT_SHAPE] * _n_arguments(op)
    return [_make_input(s, rng) for s in spec]


def _make_input(spec: Any, rng: np.random.Generator) -> Any:
    if isinstance(spec, tuple) and all(isinstance(n, (int, np.integer)) for n in spec):
        return rng.standard_normal(spec)
    if isinstance(spec, (int, float, np.number)):
        return spec
    return np.asarray(spec)


def _n_arguments(op: Any) -> int:
    params = list(inspect.signature(type(op).forward).parameters.values())[1:]
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    return max(len(positional), 1)


def _lecture_graph(classes: dict[str, type], settings: dict[str, Any]) -> tuple[dict[str, Any], Any, Any]:
    """Build and check Sum(Squared(Identity(Linear(4)(X)), y)) with the student's classes."""
    import graphviz_autodiff as gad

    from ..debug import check

    lang = settings["lang"]
    rng = np.random.default_rng(5)
    X = gad.Tensor(rng.standard_normal((8, 4)), name="X")
    y = gad.Tensor(rng.standard_normal(8), name="y")
    try:
        with gad.Graph(name=tr("cli.lecture_graph", lang)) as graph:
            try:
                linear = classes["Linear"](4)
            except TypeError:
                linear = _instantiate(classes["Linear"])
            loss = classes["Sum"]()(classes["Squared"]()(classes["Identity"]()(linear(X)), y))
        for _ in gad.iter_backward(loss, on_error="record"):
            pass
    except Exception as error:
        message = _forward_error(error, lang)
        return {"ok": False, "text": message, "culprit": None, "nodes": []}, None, None
    report = check(graph, **settings)
    summary = report.to_dict()
    culprit = report.culprit
    summary["culprit_label"] = None if culprit is None else culprit.label
    return summary, graph, report


def _forward_error(error: BaseException, lang: str) -> str:
    """``forward raised ...``, with the student's file:line when the traceback reaches the student's file."""
    from ..debug.measure import user_location

    text = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}".rstrip(": ")
    return tr("cli.forward_raised", lang, error=text, where=user_location(error) or "?")


def _overview_graph(built: list[tuple[Any, list[Any]]], settings: dict[str, Any]) -> tuple[Any, Any]:
    """One call of every op that could be built, in one graph, and its check (for the drawing)."""
    import graphviz_autodiff as gad

    from ..debug import check

    with gad.Graph(name="ops") as graph:
        for op, inputs in built:
            try:
                op(*inputs)
            except Exception:  # already reported by its gradcheck
                continue
    if not len(graph):
        return None, None
    return graph, check(graph, **settings)


def _draw(graph: Any, report: Any, out: str, lang: str) -> dict[str, Any]:
    if graph is None:
        return {"written": False, "message": tr("cli.svg_unavailable", lang, why=tr("cli.svg_no_graph", lang))}
    try:
        import viz

        save = viz.save
    except (ImportError, AttributeError) as error:
        why = f"the viz package is not available ({type(error).__name__}: {error})"
        return {"written": False, "message": tr("cli.svg_unavailable", lang, why=why)}
    try:
        try:
            path = save(graph, out, report=report, lang=lang)
        except TypeError:
            path = save(graph, out, report=report)
    except Exception as error:
        why = f"{type(error).__name__}: {error}"
        return {"written": False, "message": tr("cli.svg_unavailable", lang, why=why)}
    return {"written": True, "path": str(path), "message": tr("cli.svg_written", lang, path=path)}


def _text(
    path: Path,
    rows: list[dict[str, Any]],
    lecture: dict[str, Any] | None,
    drawing: dict[str, Any] | None,
    ok: bool,
    classes: list[type],
    lang: str,
) -> str:
    from ..debug import diagnosis_text, format_error, format_table

    headers = [tr(f"col.{c}", lang) for c in ("op", "kind", "diagnosis", "argument", "rel", "abs", "message")]
    cells = [
        [
            row["op"],
            "-" if row["status"] == "skipped" else tr(f"kind.{row['kind'] or 'exception'}", lang),
            diagnosis_text(row["diagnosis"], row["factor"], lang),
            row["argument"] or "",
            format_error(row["max_rel_error"]),
            format_error(row["max_abs_error"]),
            row["message"],
        ]
        for row in rows
    ]
    lines = [tr("cli.ops_title", lang, path=path.name), format_table(headers, cells), ""]
    if lecture is not None:
        lines += [tr("cli.lecture_title", lang), lecture["text"], ""]
    else:
        missing = [name for name in _LECTURE if name not in {c.__name__ for c in classes}]
        lines += [tr("cli.no_lecture", lang, missing=", ".join(missing or _LECTURE)), ""]
    if drawing is not None:
        lines.append(drawing["message"])
    checked = [row for row in rows if row["status"] != "skipped"] + ([lecture] if lecture is not None else [])
    n_failed = sum(1 for row in rows if row["status"] == "fail") + (0 if lecture is None or lecture["ok"] else 1)
    if ok:
        lines.append(tr("cli.summary_ok", lang, n=len(checked)))
    else:
        lines.append(tr("cli.summary_fail", lang, n_failed=n_failed, n=len(checked)))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
