"""The worker: runs one submission inside the sandbox and sends raw numbers to the grader, never verdicts.

Started by the grader (and by ``check``) as :func:`worker_command` builds it::

    python -c BOOTSTRAP PLAN_JSON main.py

:data:`BOOTSTRAP` calls :func:`main` (start-up in the sandbox: about 0.3 s, measured by
``python -m benchmarks --only grade``; networkx is not imported, as the core imports it only when a
graph is read). In order, the worker

1. opens the result channel (:func:`.protocol.open_channel`), before any
   student code runs, and sends ``hello``;
2. executes the main script as a module (notebook cells in order: the script
   :mod:`.collect` made of them), with ``display`` (prints) and ``input``
   (returns ``""``) defined as a notebook run from top to bottom has them; an
   exception stops the script, as "Run all" would, and is sent as ``crash``
   with its script lines (the grader maps them to "cell 5, line 3"); what was
   defined before it is still checked;
3. for every op of the plan (``grade``) or every ``Differentiable`` subclass the
   script defines (``check``): builds it, draws its inputs and sends the
   :class:`~graphviz_autodiff.debug.verdict.Evidence` of
   :func:`~graphviz_autodiff.debug.measure_call` (``op``), or why it could not
   (``op_error``: the class is missing, its constructor or the inputs raised,
   the op ran out of time). Each op runs under its own alarm and catches
   everything: a crash, ``sys.exit`` or an endless loop in one op costs only
   that op;
4. when the script defines the lecture's four classes: builds the lecture
   graph ``Sum(Squared(Identity(Linear(4)(X)), y))``, runs its backward pass
   and sends the graph (``graph``: nodes, values, gradients, one ``node``
   frame of evidence per op call, and ``truth``: the gradient each node
   should have received, by finite differences), then (``grade``) trains it
   for a few steps and sends the loss history (``train``);
5. sends ``done`` and leaves with ``os._exit`` (no atexit handler, no thread of
   the student's can keep it alive).

A watchdog (:func:`faulthandler.dump_traceback_later`) dumps the stack to
stderr and exits just before the grader's deadline, so that an endless loop
is located even when it swallows the alarm.

Frames (kind: data; arrays)
===========================
``hello``: ``{"python"}``.
``loaded``: ``{"classes": [names of the Differentiable subclasses the script defines], "seconds"}``.
``crash``: ``{"error", "where", "frames": [[file, line, function], ...], "timeout"}``: the script raised.
``running``: ``{"op"}``: about to check this op (so that a timeout is attributed).
``op``: ``{"op", "key", "evidence", "seconds", "declared"}`` + the evidence's arrays
(:func:`~graphviz_autodiff.debug.evidence_to_json` with ``arrays=``).
``op_error``: ``{"op", "key", "stage", "error", "where"}``; stage is ``missing``,
``not_differentiable``, ``abstract``, ``init``, ``inputs`` or ``timeout``.
``graph``: ``{"nodes": [...], "loss"}`` + arrays ``v<id>`` (values), ``u<id>``
(upstream gradients), ``g<id>_<k>`` and ``p<id>_<j>`` (what each call's
``backward`` returned); see :mod:`.replay`.
``node``: ``{"id", "evidence"}`` + arrays: the check of one op call on its recorded inputs.
``truth``: ``{}`` + arrays ``t<id>``: the true gradient of each node's value.
``train``: ``{"losses", "error", "where"}``.
``done``: ``{}``.

Nothing here decides anything: the grader (:mod:`.verdicts`) judges every
number, checks the inputs against its own draw of them, and treats a missing
or repeated frame as a failure of that op.
"""

from __future__ import annotations

import faulthandler
import inspect
import json
import os
import signal
import sys
import time
import traceback
import types
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import describe_error
from ...i18n import LANGS, set_message_lang
from .protocol import Channel, open_channel

__all__ = ["BOOTSTRAP", "OpTimeout", "main", "worker_command"]

#: The ``-c`` program of the worker: :func:`main` on the command line's arguments. (networkx, which only a
#: drawn graph needs, is not imported: the core imports it when a graph is first read.)
BOOTSTRAP = "import sys\nfrom graphviz_autodiff.cli.grade.worker import main\nmain(sys.argv[1:])\n"

_LECTURE = ("Linear", "Identity", "Squared", "Sum")
_LECTURE_INIT = {"Linear": (4,)}
_DEFAULT_SHAPE = (3, 4)
_MAX_FRAMES = 20  # traceback frames sent with a crash
_TEXT = 2000  # characters of an error message sent


def worker_command(python: str, plan: dict[str, Any], script: str) -> list[str]:
    """The command line that runs the worker on ``script`` with ``plan`` (see the module docstring)."""
    return [python, "-c", BOOTSTRAP, json.dumps(plan, separators=(",", ":")), script]


class OpTimeout(BaseException):
    """An op (or the script) ran out of its time budget: raised by the alarm inside the student's code."""


# -- entry point -------------------------------------------------------------------------------------
def main(argv: list[str]) -> None:
    """Run the plan ``argv[0]`` (JSON) on the script ``argv[1]``; never returns (``os._exit``)."""
    channel = open_channel()
    if channel is None or len(argv) != 2:
        os.write(2, b"graphviz_autodiff worker: no result channel or wrong arguments\n")
        os._exit(2)
    code = 0
    try:
        plan = json.loads(argv[0])
        _Worker(channel, plan, Path(argv[1]).resolve()).run()
    except BaseException:  # the worker's own failure: the grader sees no "done" and fails what is missing
        code = 3
        with suppress(BaseException):  # best effort on the way out (the student may have closed them)
            traceback.print_exc()
    with suppress(BaseException):  # best effort on the way out (the student may have closed them)
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


class _Worker:
    """One run of the plan on one script (the steps of the module docstring), sending frames on ``channel``."""

    def __init__(self, channel: Channel, plan: dict[str, Any], script: Path) -> None:
        self.channel = channel
        self.plan = plan
        self.script = script
        self.mode = plan.get("mode", "grade")
        self.seed = int(plan.get("seed", 0))
        self.eps = float(plan.get("eps", 1e-6))
        self.op_seconds = plan.get("op_seconds")
        if plan.get("lang") in LANGS:  # the library's errors quoted in the report, in the report's language
            set_message_lang(plan["lang"])
        self.work = script.parent
        self.stderr_fd = os.dup(2)

    # -- frames ----------------------------------------------------------------------------------------
    def send(self, kind: str, data: Any = None, arrays: dict[str, Any] | None = None) -> None:
        """One frame to the grader."""
        self.channel.send(kind, data, arrays)

    def send_evidence(self, kind: str, data: dict[str, Any], evidence: Any) -> None:
        """A frame carrying an :class:`~graphviz_autodiff.debug.Evidence` (its arrays as raw bytes)."""
        from graphviz_autodiff.debug import evidence_to_json

        arrays: dict[str, np.ndarray] = {}
        data = {**data, "evidence": evidence_to_json(evidence, arrays)}
        self.send(kind, data, arrays)

    # -- the run -----------------------------------------------------------------------------------------
    def run(self) -> None:
        """Every step, in order; ``done`` at the end."""
        self.send("hello", {"python": sys.version.split()[0]})
        deadline = self.plan.get("deadline")
        if deadline:
            faulthandler.dump_traceback_later(float(deadline), exit=True, file=self.stderr_fd)
        signal.signal(signal.SIGALRM, _on_alarm)
        import graphviz_autodiff.debug.numeric  # noqa: F401 - loaded before the student's code, so that it is guarded

        from . import assignment, replay  # noqa: F401 - the same

        self.guard = _Guard()
        namespace, crashed = self.execute()
        changed = self.guard.restore()
        if changed:
            self.send("tampered", {"when": "script", "names": changed})
        classes = self.defined_classes(namespace)
        self.send("loaded", {"classes": [c.__name__ for c in classes]})
        if crashed and self.plan.get("stop_on_crash"):
            self.send("done", {})
            return
        if self.mode == "check":
            targets = [(c.__name__, i, c, None, None) for i, c in enumerate(classes)]
        else:
            targets = [
                (op["name"], int(op["key"]), namespace.get(op["name"]), op.get("init"), op.get("inputs"))
                for op in self.plan.get("ops", [])
            ]
        built = [self.check_op(name, key, cls, init, inputs) for name, key, cls, init, inputs in targets]
        lecture = self.lecture_classes(namespace)
        if lecture is not None:
            self.lecture_graph(lecture)
            if self.plan.get("train"):
                self.train(lecture, self.plan["train"])
        elif self.plan.get("overview"):
            self.overview_graph([b for b in built if b is not None])
        self.send("done", {})

    def execute(self) -> tuple[dict[str, Any], bool]:
        """Run the script as a module; send ``crash`` if it raises. Return its namespace and whether it raised."""
        name = _module_name(self.script)
        module = types.ModuleType(name)
        module.__file__ = str(self.script)
        module.__dict__["__builtins__"] = __builtins__
        module.__dict__.update(display=_display, input=_no_input)  # what a notebook run from top to bottom has
        sys.modules[name] = module
        sys.path.insert(0, str(self.work))
        try:
            with self.alarm(self.plan.get("script_seconds")):
                code = compile(self.script.read_bytes(), str(self.script), "exec", dont_inherit=True)
                exec(code, module.__dict__)
        except BaseException as error:  # the student's script: anything at all, sys.exit included
            self.send("crash", self.describe_error(error))
            return module.__dict__, True
        return module.__dict__, False

    def defined_classes(self, namespace: dict[str, Any]) -> list[type]:
        """The Differentiable subclasses the script itself defines, in definition order."""
        from graphviz_autodiff import Differentiable

        name = namespace.get("__name__")
        found = []
        for value in list(namespace.values()):
            try:
                if (
                    isinstance(value, type)
                    and issubclass(value, Differentiable)
                    and value is not Differentiable
                    and value.__module__ == name
                ):
                    found.append(value)
            except Exception:
                continue
        return found

    @contextmanager
    def alarm(self, seconds: float | None) -> Iterator[None]:
        """Raise :class:`OpTimeout` inside whatever runs after ``seconds`` (no limit when ``None``)."""
        if not seconds:
            yield
            return
        signal.setitimer(signal.ITIMER_REAL, float(seconds))
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    @contextmanager
    def guarded(self) -> Iterator[list[str]]:
        """Run student code with the checker put back before, and collect what it rebound (put back after)."""
        self.guard.restore()
        changed: list[str] = []
        try:
            yield changed
        finally:
            changed.extend(self.guard.restore())

    # -- one op --------------------------------------------------------------------------------------------
    def check_op(self, name: str, key: int, cls: Any, init: Any, inputs: Any) -> tuple[Any, list[Any]] | None:
        """Measure one op and send its evidence (or why not); return ``(op, inputs)`` when it could be called."""
        from graphviz_autodiff import Differentiable

        def error(stage: str, text: str = "", where: str | None = None, tampered: Any = ()) -> None:
            data = {"op": name, "key": key, "stage": stage, "error": text[:_TEXT], "where": where}
            self.send("op_error", {**data, "tampered": list(tampered)})

        if cls is None:
            return error("missing")
        if not isinstance(cls, type) or not issubclass(cls, Differentiable):
            bases = ", ".join(base.__name__ for base in cls.__bases__) if isinstance(cls, type) else ""
            return error(
                "not_differentiable", f"{cls.__name__}({bases})" if isinstance(cls, type) else type(cls).__name__
            )
        if cls.forward is Differentiable.forward:
            return error("abstract")
        library = _library_origin(cls) if self.mode == "grade" else None
        if library is not None:
            return error("library", library)
        self.send("running", {"op": name})
        start = time.monotonic()
        stage = "init"
        with self.guarded() as tampered:
            try:
                from graphviz_autodiff.debug import measure_call, random_streams

                with self.alarm(self.op_seconds):
                    op = _instantiate(cls, init)
                    stage = "inputs"
                    streams = random_streams(self.seed, key) if self.mode == "grade" else random_streams(self.seed)
                    values = _inputs(cls, op, inputs, streams.inputs if self.mode == "grade" else self.check_rng)
                    arrays, needs, data = _arguments(values)
                    stage = "measure"
                    evidence = measure_call(
                        op,
                        arrays,
                        needs,
                        None,
                        upstreams=[None, None],
                        eps=self.eps,
                        streams=streams,
                        label=name,
                        data=data,
                    )
            except OpTimeout as timeout:
                failure: BaseException | None = timeout
                stage = "timeout"
            except BaseException as other:  # the student's constructor, check_inputs, or a BaseException in forward
                failure = other
                stage = "exception" if stage == "measure" else stage
            else:
                failure = None
        if failure is not None:
            text = "" if stage == "timeout" else _describe(failure)
            return error(stage, text, self.where(failure), tampered)
        declares = inputs is None and _declares(cls, "check_inputs")
        seconds = time.monotonic() - start
        data = {"op": name, "key": key, "seconds": seconds, "declares_inputs": declares, "tampered": tampered}
        self.send_evidence("op", data, evidence)
        return op, values

    def init_of(self, name: str) -> Any:
        """The plan's constructor arguments of op ``name`` (``None``: the class's own or the lecture's)."""
        return next((op.get("init") for op in self.plan.get("ops", []) if op.get("name") == name), None)

    @property
    def check_rng(self) -> np.random.Generator:
        """``check``: one inputs stream for every class, as the command always drew them."""
        if not hasattr(self, "_check_rng"):
            from graphviz_autodiff.debug import random_streams

            self._check_rng = random_streams(self.seed).inputs
        return self._check_rng

    # -- the lecture graph -----------------------------------------------------------------------------------
    def lecture_classes(self, namespace: dict[str, Any]) -> dict[str, type] | None:
        """The student's own ``Linear``, ``Identity``, ``Squared`` and ``Sum``, or ``None`` when one is missing."""
        from graphviz_autodiff import Differentiable

        wanted = self.plan.get("lecture", list(_LECTURE))
        if not wanted:
            return None
        found = {}
        for name in _LECTURE:
            cls = namespace.get(name)
            if not (isinstance(cls, type) and issubclass(cls, Differentiable)):
                return None
            if self.mode == "check" and cls.__module__ != namespace.get("__name__"):
                return None
            if self.mode == "grade" and _library_origin(cls) is not None:
                return None
            found[name] = cls
        return found

    def lecture_graph(self, classes: dict[str, type]) -> None:
        """Build ``Sum(Squared(Identity(Linear(4)(X)), y))``, run its backward pass, send the graph and its checks."""
        from graphviz_autodiff import Tensor, iter_backward, no_record

        from .assignment import training_data
        from .replay import describe_graph

        X, y = training_data(self.seed)
        failure: BaseException | None = None
        with self.guarded() as tampered:
            try:
                with self.alarm(self.op_seconds), no_record():
                    linear = _instantiate(classes["Linear"], self.init_of("Linear"))
                    Xt, yt = Tensor(X, name="X"), Tensor(y, name="y")
                    z = linear(Xt)
                    mu = classes["Identity"]()(z)
                    s = classes["Squared"]()(mu, yt)
                    loss = classes["Sum"]()(s)
                    for tensor, symbol in ((z, "z"), (mu, "μ"), (s, "s"), (loss, "L")):
                        tensor.name = symbol  # the lecture's names, as the drawings of its own ops use
                    steps = list(iter_backward(loss, on_error="record"))
            except BaseException as error:  # the student's code
                failure = error
        if failure is not None:
            self.send("graph", {"error": _describe(failure), "where": self.where(failure), "tampered": tampered})
            return
        description = describe_graph([loss], steps, self.where)
        self.send("graph", {**description.data, "tampered": tampered}, description.arrays)
        self.check_nodes(description, each=bool(self.plan.get("node_checks", True)))

    def overview_graph(self, built: list[tuple[Any, list[Any]]]) -> None:
        """``check --out`` without the lecture's classes: one call of every op that could be built, in one graph."""
        from graphviz_autodiff import no_record

        from .replay import describe_graph

        outputs = []
        for op, inputs in built:
            with self.guarded():
                try:
                    with self.alarm(self.op_seconds), no_record():
                        outputs.append(op(*inputs))
                except BaseException:  # already reported by the op's own check
                    continue
        if not outputs:
            return
        description = describe_graph(outputs, (), self.where)
        self.send("graph", description.data, description.arrays)
        self.check_nodes(description, truth=False)

    def check_nodes(self, description: Any, *, each: bool = True, truth: bool = True) -> None:
        """Send the evidence of every op call of the graph (``node``, when ``each``) and, after a backward pass,
        ``truth``."""
        from graphviz_autodiff.debug import random_streams

        for call in description.calls if each else []:  # backward order
            up = call.upstream if call.upstream is not None and np.isfinite(call.upstream).all() else None
            evidence = None
            with self.guarded() as tampered:
                try:
                    with self.alarm(self.op_seconds):
                        evidence = self.measure(call, [up, None], random_streams(self.seed, call.id), data=call.data)
                except BaseException:  # the node gets no evidence: the grader says so
                    evidence = None
            if evidence is not None:
                self.send_evidence("node", {"id": call.id, "tampered": tampered}, evidence)
        if truth:
            with self.guarded() as tampered:
                values = self.truth(description)
            self.send("truth", {"tampered": tampered}, {f"t{k}": v for k, v in sorted(values.items())})

    def measure(self, call: Any, upstreams: list[np.ndarray | None], streams: Any, **options: Any) -> Any:
        """:func:`~graphviz_autodiff.debug.measure_call` of one recorded ``call`` (of ``describe_graph``)."""
        from graphviz_autodiff.debug import measure_call

        return measure_call(
            call.op,
            call.arrays,
            call.needs,
            call.params,
            upstreams=upstreams,
            eps=self.eps,
            streams=streams,
            label=call.label,
            **options,
        )

    def truth(self, description: Any) -> dict[int, np.ndarray]:
        """The gradient each node should have received: finite differences of every call, from the loss down."""
        from graphviz_autodiff.debug import random_streams
        from graphviz_autodiff.debug.numeric import numeric_gradient

        truth: dict[int, np.ndarray] = {}
        for root in description.roots:
            truth[root.id] = root.upstream if root.upstream is not None else np.ones_like(root.output)
        for call in description.calls:
            true_up = truth.get(call.id)
            if true_up is None or true_up.shape != call.output.shape or not np.isfinite(true_up).all():
                continue
            try:
                with self.alarm(self.op_seconds):
                    evidence = self.measure(call, [true_up], random_streams(self.seed, call.id, 2), run_backward=False)
            except BaseException:
                continue
            if not evidence.trials:
                continue
            for source, differences in zip(call.sources, evidence.trials[0].differences):
                if source is None or differences is None:
                    continue
                values, _, kinks = numeric_gradient(differences)
                g = np.where(kinks, np.nan, values)
                truth[source] = truth[source] + g if source in truth else g
        return truth

    def train(self, classes: dict[str, type], spec: dict[str, Any]) -> None:
        """Train the lecture graph and send the loss history (``train``)."""
        from graphviz_autodiff import no_record

        from .assignment import training_data

        X, y = training_data(self.seed)
        losses: list[float] = []
        failure: BaseException | None = None
        with self.guarded() as tampered:
            try:
                with self.alarm(self.op_seconds), no_record():
                    self.train_steps(classes, spec, X, y, losses)
            except BaseException as error:  # the student's code
                failure = error
        if failure is not None:
            data = {"losses": losses, "error": _describe(failure), "where": self.where(failure)}
        else:
            data = {"losses": losses, "error": None, "where": None}
        self.send("train", {**data, "tampered": tampered})

    def train_steps(
        self, classes: dict[str, type], spec: dict[str, Any], X: np.ndarray, y: np.ndarray, losses: list[float]
    ) -> None:
        """Gradient descent on the lecture graph with the student's ops, the loss of every step in ``losses``."""
        from graphviz_autodiff import Tensor

        linear = _instantiate(classes["Linear"], self.init_of("Linear"))
        params = linear.parameters()
        if not params:
            raise TypeError("Linear holds no Parameter: nothing to train")
        Xt, yt = Tensor(X, name="X", requires_grad=False), Tensor(y, name="y", requires_grad=False)
        identity, squared, total = classes["Identity"](), classes["Squared"](), classes["Sum"]()
        steps, lr = int(spec["steps"]), float(spec["lr"])
        for step in range(steps + 1):
            loss = total(squared(identity(linear(Xt)), yt))
            losses.append(float(np.asarray(loss.data, dtype=np.float64).reshape(-1)[0]))
            if step == steps:
                break
            loss.backward()
            for p in params:
                if p.grad is None:
                    raise ValueError(f"parameter {p.name or '?'} got no gradient")
                p.data = p.data - lr * np.asarray(p.grad, dtype=np.float64)

    # -- errors ---------------------------------------------------------------------------------------------
    def student_frames(self, error: BaseException) -> list[list[Any]]:
        """``[file, line, function]`` of the traceback's frames in the submission's files, innermost last."""
        frames = []
        for frame in traceback.extract_tb(error.__traceback__):
            try:
                inside = Path(frame.filename).resolve().is_relative_to(self.work)
            except (OSError, ValueError):
                inside = False
            if inside:
                frames.append([Path(frame.filename).name, frame.lineno, frame.name])
        if isinstance(error, SyntaxError) and error.filename and error.lineno:
            frames.append([Path(error.filename).name, error.lineno, "<module>"])
        return frames[-_MAX_FRAMES:]

    def where(self, error: BaseException, op: Any = None) -> str | None:
        """``file:line`` of the innermost frame in the submission's files.

        Without one (a contract error the engine found after ``op.backward``
        returned: a wrong shape, a missing gradient), the line of that
        ``backward``'s definition when the submission wrote it (``op``, else
        the op the library's error names).
        """
        frames = self.student_frames(error)
        if frames:
            return f"{frames[-1][0]}:{frames[-1][1]}"
        try:  # (the op is the student's: its class may do anything when asked for an attribute)
            op = op if op is not None else getattr(error, "op", None)  # (the library's errors name it)
            code = getattr(type(op).raw_backward, "__code__", None) if op is not None else None
            if code is not None and Path(code.co_filename).resolve().is_relative_to(self.work):
                return f"{Path(code.co_filename).name}:{code.co_firstlineno}"
        except Exception:
            pass
        return None

    def describe_error(self, error: BaseException) -> dict[str, Any]:
        """The ``crash`` frame's data for ``error``."""
        frames = self.student_frames(error)
        return {
            "error": _describe(error),
            "where": f"{frames[-1][0]}:{frames[-1][1]}" if frames else None,
            "frames": frames,
            "timeout": isinstance(error, OpTimeout),
        }


# -- the checker's own code, kept as it was ---------------------------------------------------------------
#: Modules whose functions, classes and submodules the worker puts back after the student's code ran.
GUARDED_MODULES = ("graphviz_autodiff", "numpy", "json", "struct", "copy", "os", "posix")


class _Guard:
    """Undo and report monkeypatches of the checker, NumPy and the modules the result channel uses.

    Snapshot (before any student code runs): every function, class and
    submodule bound in the modules of :data:`GUARDED_MODULES`, the attributes
    of the library's classes, and the code of the library's functions.
    :meth:`restore` puts back whatever was rebound since and returns what it
    was (``"graphviz_autodiff.debug.measure._run_backward"``): data (a seed,
    a cache) may change freely, callables may not. Code that walks the garbage
    collector to rewrite the worker itself is beyond this: the grader's
    reference checks and the sandbox are the other walls.
    """

    def __init__(self) -> None:
        modules = [
            (name, module)
            for name, module in list(sys.modules.items())
            if module is not None and any(name == p or name.startswith(p + ".") for p in GUARDED_MODULES)
        ]
        ours = [m for n, m in modules if n == "graphviz_autodiff" or n.startswith("graphviz_autodiff.")]
        classes = sorted(
            {
                value
                for module in ours
                for value in vars(module).values()
                if isinstance(value, type) and str(getattr(value, "__module__", "")).startswith("graphviz_autodiff")
            },
            key=lambda c: (c.__module__, c.__qualname__),
        )
        # (namespace, key, value, owner's dotted name, class or None): one flat list, checked in one pass
        self.entries = [
            (vars(module), key, value, name, None)
            for name, module in modules
            for key, value in _callables(vars(module)).items()
        ]
        self.entries += [
            (vars(cls), key, value, f"{cls.__module__}.{cls.__qualname__}", cls)
            for cls in classes
            for key, value in _callables(dict(vars(cls))).items()
        ]
        functions = {
            value for module in ours for value in vars(module).values() if isinstance(value, types.FunctionType)
        }
        functions.update(
            value for _, _, value, _, cls in self.entries if cls is not None and isinstance(value, types.FunctionType)
        )
        self.codes = [(f, f.__code__, f.__defaults__, f.__kwdefaults__) for f in functions]

    def restore(self) -> list[str]:
        """Put every rebound callable back; return their dotted names (sorted, at most 20)."""
        rebound = [entry for entry in self.entries if entry[0].get(entry[1]) is not entry[2]]
        recoded = [
            entry for entry in self.codes if entry[0].__code__ is not entry[1] or entry[0].__defaults__ is not entry[2]
        ]
        changed = []
        for namespace, key, value, owner, cls in rebound:
            changed.append(f"{owner}.{key}")
            if cls is None:
                namespace[key] = value
            else:
                with suppress(Exception):
                    setattr(cls, key, value)
        for function, code, defaults, kwdefaults in recoded:
            changed.append(f"{function.__module__}.{function.__qualname__}.__code__")
            function.__code__, function.__defaults__, function.__kwdefaults__ = code, defaults, kwdefaults
        return sorted(set(changed))[:20]


def _callables(namespace: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value
        for key, value in namespace.items()
        if isinstance(
            value,
            (
                types.FunctionType,
                types.BuiltinFunctionType,
                type,
                types.ModuleType,
                staticmethod,
                classmethod,
                property,
            ),
        )
        or (callable(value) and not isinstance(value, (int, float, str, bytes)))
    }


def _display(*objects: Any, **options: Any) -> None:
    """IPython's ``display`` outside IPython: print each object (notebooks call it; a NameError would stop them)."""
    for value in objects:
        print(repr(value))


def _no_input(prompt: Any = "") -> str:
    """``input`` in a run that has no one to answer: the empty string (stdin is empty; EOFError would stop)."""
    return ""


def _on_alarm(signum: int, frame: Any) -> None:
    raise OpTimeout("out of time")


def _module_name(script: Path) -> str:
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in script.stem) or "student"
    return name if not name[0].isdigit() else "student_" + name


def _describe(error: BaseException) -> str:
    """The error's type and the first line of its message (the library's in the report's language), cut short."""
    try:
        text = describe_error(error)
    except BaseException:  # a student's exception whose __str__ raises even BaseException
        text = type(error).__name__
    return text.split("\n", 1)[0][:_TEXT]


# -- building an op and its inputs (the rules of graphviz_autodiff.cli.check) ------------------------------
def _library_origin(cls: type) -> str | None:
    """``"graphviz_autodiff.ops.lecture.Squared"`` when ``forward`` or ``backward`` is the library's, else ``None``."""
    for method in ("forward", "backward"):
        owner = next((c for c in cls.__mro__ if method in vars(c)), None)
        module = getattr(owner, "__module__", "") or ""
        if (
            owner is not None
            and owner.__name__ != "Differentiable"
            and (module == "graphviz_autodiff" or module.startswith("graphviz_autodiff."))
        ):
            return f"{module}.{owner.__qualname__}"
    return None


def _declares(cls: type, name: str) -> bool:
    return any(name in vars(c) for c in cls.__mro__)


def _instantiate(cls: type, init: Any) -> Any:
    """``cls(*init)`` / ``cls(**init)``; without ``init``: ``check_init``, the lecture's defaults, or ``cls()``."""
    from .assignment import instantiate

    if init is not None:
        return instantiate(cls, init)
    if _declares(cls, "check_init"):
        spec = cls.check_init  # type: ignore[attr-defined]
        if isinstance(spec, dict):
            return cls(**spec)
        if isinstance(spec, (tuple, list)):
            return cls(*spec)
        raise TypeError(f"check_init must be a tuple of positional or a dict of keyword arguments, got {spec!r}")
    if cls.__name__ in _LECTURE_INIT:
        try:
            return cls(*_LECTURE_INIT[cls.__name__])
        except TypeError:
            pass
    return cls()


def _inputs(cls: type, op: Any, specs: Any, rng: np.random.Generator) -> list[Any]:
    """The op's inputs: from the plan's specs, else ``check_inputs``, else the lecture's or (3, 4) shapes."""
    from .assignment import LECTURE_DEFAULTS, make_inputs

    if specs is not None:
        return make_inputs(specs, rng)
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
        return make_inputs(spec, rng)
    default = LECTURE_DEFAULTS.get(cls.__name__, {}).get("inputs")
    return make_inputs(default or [_DEFAULT_SHAPE] * _n_arguments(op), rng)


def _n_arguments(op: Any) -> int:
    params = list(inspect.signature(type(op).forward).parameters.values())[1:]
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    return max(len(positional), 1)


def _arguments(values: list[Any]) -> tuple[list[np.ndarray], tuple[bool, ...], tuple[bool, ...]]:
    """Arrays, which need a gradient, and which are plain data, as :func:`~graphviz_autodiff.gradcheck` sees them."""
    from graphviz_autodiff import Parameter, Tensor

    arrays, needs = [], []
    for position, x in enumerate(values):
        if isinstance(x, (Tensor, Parameter)):
            arrays.append(np.asarray(x.data))
            needs.append(bool(x.requires_grad) and x.data.dtype.kind in "fc")
            continue
        a = np.asarray(x)
        if a.dtype == object:
            raise TypeError(f"argument {position} is a {type(x).__name__}, not numeric data")
        arrays.append(a)
        needs.append(a.dtype.kind in "fc" and not isinstance(x, (int, float, complex, np.number)))
    data = tuple(type(x) is np.ndarray and x.dtype.kind == "f" for x in values)
    return arrays, tuple(needs), data
