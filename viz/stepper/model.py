"""The step debugger's model: walk the backward (or forward) pass one node at a time, no widgets.

:class:`StepperModel` runs the backward pass once through
:func:`graphviz_autodiff.iter_backward` (with ``on_error="record"``, so a
student op that raises does not stop it), keeps every step's record, and
moves between them with ``next() / back() / goto(k) / reset() / run_to(node)
/ run_to_problem()``. Going back never runs student code again: every frame
is a snapshot. It is made of parts that each receive what they need:

* :mod:`viz.stepper.steps`: the :class:`~viz.stepper.steps.Step` records;
* :mod:`viz.drawing.names`: the names of nodes in texts, formulas and frames;
* :mod:`viz.stepper.problems`: what "run to next problem" stops at;
* :mod:`viz.stepper.texts`: the text panel;
* :mod:`viz.stepper.timeline` and :mod:`viz.stepper.frames`: the pictures;
* :mod:`viz.stepper.slides`: files for slides (one per step, GIF, MP4, PDF);
  :meth:`StepperModel.to_html` writes the viewer's page (:mod:`viz.viewer`).

:class:`viz.stepper.Stepper` is this model plus its widget, the viewer of :mod:`viz.viewer`.

Once a gradient-check report is known (given as ``report=``, or run by
:meth:`run_to_problem` or the viewer), every frame that shows a node's
gradient draws the node in the state of its verdict: the culprit ``failed``,
the nodes that only receive its wrong gradient (``inherits_wrong``)
``inherited`` (orange), never as a green "done". "Run to next problem" stops
at the culprit, not at the nodes that inherit from it.

Steps and frames
----------------
``n_steps`` is the number of op calls (4 for the lecture's graph: ``Sum``,
``Squared``, ``Identity``, ``Linear``). ``step_index`` runs from 0 (nothing
done yet) to ``n_steps`` (all done); at ``step_index = k >= 1`` the current
step is ``steps[k - 1]``: its node is highlighted, the nodes done before it
show their gradients, the pending ones are greyed. A forward stepper walks the
op calls in recording order instead, and values appear as they are computed.

The graph is laid out once, and each frame is spliced together from
pre-drawn node and edge variants, so a step costs about a millisecond even on
graphs of hundreds of nodes.

Examples
--------
>>> import numpy as np
>>> import viz
>>> from graphviz_autodiff.ops import Identity, Linear, Squared, Sum
>>> X, y = np.eye(3, 4), np.ones(3)
>>> L = Sum()(Squared()(Identity()(Linear(4)(X)), y))
>>> stepper = viz.StepperModel(L)
>>> stepper.n_steps, stepper.next(), stepper.current.label
(4, 1, 'Sum')
>>> print(stepper.describe().splitlines()[0])
Step 1 of 4 · backward pass · node 6: Sum (L)
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import traitlets

from graphviz_autodiff.graph import Graph
from graphviz_autodiff.i18n import check_lang
from graphviz_autodiff.tensor import Tensor

from ..drawing.builder import render
from ..drawing.names import GraphNames
from ..drawing.states import verdict_state
from ..readable import Readability, fit_font_px, shape_rankdir
from ..themes import get_theme
from .errors import StepIndexError, UnknownNodeError
from .formulas import chain_lines as step_chain_lines
from .formulas import forward_line
from .frames import FrameSet
from .problems import Problem, Problems, kind_name
from .slides import arrangement, save_frames, slide_svg, write_gif, write_mp4, write_pdf
from .steps import Step, backward_steps, forward_steps, select_nodes
from .texts import StepTexts
from .timeline import Walk, backward_timeline, forward_timeline

__all__ = ["DIRECTIONS", "StepperModel"]

DIRECTIONS = ("backward", "forward")
# Render options the stepper sets itself, or that cannot follow a walk node by node.
# Above this many nodes the direction is chosen from the graph's shape, without laying it out twice.
_TRIAL_NODES = 300
_NOT_OPTIONS = ("states", "collapse", "only_grad_path", "overlay", "max_nodes", "report")


class StepperModel(traitlets.HasTraits):
    """Step through the backward (or forward) pass of a recorded graph; no widgets, no browser.

    Parameters
    ----------
    tensor_or_graph : Tensor or Graph
        Usually the loss: the backward pass from it runs once, now
        (``iter_backward(loss, on_error="record")``; like ``loss.backward()``
        it sets ``.grad`` of parameters, unless a ``backward`` raised). A graph
        whose backward pass already ran is read as it is. A forward stepper
        runs nothing.
    direction : {"backward", "forward"}
        Walk the backward pass (newest call first), or the forward pass (op
        calls in recording order, values appearing).
    lang : {"en", "ru"}
        Language of the texts and of the words in the picture.
    report : object, optional
        A gradient-check report (:func:`graphviz_autodiff.debug.check`) for
        :meth:`run_to_problem`; without one, the check runs the first time
        :meth:`run_to_problem` needs it.
    width_px : float, default 1400
        The width the picture will be shown in (CSS px). Without a
        ``rankdir`` option the direction is chosen for it: the one whose
        values are biggest at fit to width (both layouts are tried;
        a long chain is drawn top to bottom; see :mod:`viz.readable`).
    **render_options
        Options of :func:`viz.render` for the picture (``theme``, ``rankdir``,
        ``precision``, ``max_array``, ``legend``, ``heatmap``, ...). Not
        ``states``, ``collapse``, ``only_grad_path``, ``overlay``,
        ``max_nodes``: the stepper sets the states and draws every node.

    Attributes
    ----------
    step_index : int (a traitlet)
        0 = nothing done … ``n_steps`` = all done. Observe it with
        ``model.observe(callback, names="step_index")``.
    steps : tuple of Step
        Every step of the walk.
    graph : Graph
        The recorded graph; ``nodes`` are the drawn nodes, ``root`` the loss tensor (or ``None``).
    names : GraphNames
        The names of the nodes in texts, formulas and frames.
    frames : FrameSet
        The pictures (made on first use, after the layout direction is chosen).
    readability : Readability or None
        How the direction was chosen (``None`` when ``rankdir`` was given), made with :attr:`frames`.
    verdicts : dict
        ``{node: state}`` of the nodes the report (once known) finds wrong (``"failed"``, ``"nonfinite"``)
        or only receiving a wrong gradient (``"inherited"``); empty before the check and when all pass.

    Raises
    ------
    ValueError
        Bad ``direction``, ``lang`` or render option, or a tensor that is not recorded.
    TypeError
        ``tensor_or_graph`` is neither a Tensor nor a Graph.
    StepperError
        A graph (not a tensor) with no backward pass recorded in it.

    Examples
    --------
    >>> import numpy as np
    >>> from graphviz_autodiff.ops import Squared, Sum
    >>> model = StepperModel(Sum()(Squared()(np.array([1.0, 2.0]), np.zeros(2))))
    >>> model.goto(2), model.current.label, model.current.grads[0]
    (2, 'Squared', array([2., 4.]))
    >>> model.back(), model.current.label
    (1, 'Sum')
    """

    step_index = traitlets.Int(0, help="0 = nothing done yet … n_steps = all done")

    def __init__(
        self,
        tensor_or_graph: Tensor | Graph,
        direction: str = "backward",
        lang: str = "en",
        *,
        report: Any = None,
        width_px: float = 1400.0,
        **render_options: Any,
    ) -> None:
        super().__init__()
        if direction not in DIRECTIONS:
            raise ValueError(f"Stepper: direction must be 'backward' or 'forward', got {direction!r}")
        self.lang = check_lang(lang, "Stepper")
        self.direction = direction
        self.options = _check_options(render_options, lang)
        self.graph, self.nodes, self.root = select_nodes(tensor_or_graph)
        G = self.graph.nx
        if direction == "backward":
            self.steps: tuple[Step, ...] = tuple(backward_steps(self.graph, self.nodes, self.root, lang))
        else:
            self.steps = tuple(forward_steps(self.graph, self.nodes))
        self._step_of = {s.node: s.index + 1 for s in self.steps}
        self.names = GraphNames(G, self.nodes, root=self._root_node())
        self._problems = Problems(
            self.root if self.root is not None else self.graph,
            lang,
            self.names,
            self._node_step,
            report=report,
            checkable=direction == "backward",
        )
        self._texts = StepTexts(
            self.steps,
            G,
            self.names,
            direction,
            lang,
            problems=self._problems.of,
            nonfinite=self._problems.nonfinite,
            precision=int(self.options.get("precision", 4)),
            max_array=int(self.options.get("max_array", 6)),
        )
        self._lines: dict[int, list[str]] = {}
        self._chains: dict[int, list[str]] = {}
        self._selected = frozenset(self.nodes)
        self.width_px = float(width_px)
        self.readability: Readability | None = None
        self._frames: FrameSet | None = None
        self._frame_sets: dict[str, FrameSet] = {}
        self.verdicts: dict[int, str] = self._verdicts()
        self._walk = self._make_walk()

    @property
    def inherited(self) -> frozenset[int]:
        """The nodes the report says only receive a wrong gradient (``inherits_wrong``; drawn ``inherited``)."""
        return frozenset(n for n, state in self.verdicts.items() if state == "inherited")

    def _verdicts(self) -> dict[int, str]:
        """``{node: state}`` the report (once known) gives the drawn nodes that are not "ok"."""
        report = self._problems.report if self.direction == "backward" else None
        selected = set(self.nodes)
        out = {}
        for record in getattr(report, "nodes", None) or ():
            node = getattr(record, "node", None)
            state = verdict_state(str(getattr(record, "kind", "ok")))
            if state is not None and node in selected:
                out[int(node)] = state
        return dict(sorted(out.items()))

    def _make_walk(self) -> Walk:
        G = self.graph.nx
        if self.direction == "backward":
            return backward_timeline(G, self.nodes, self.steps, self.lang, self.verdicts)
        return forward_timeline(G, self.nodes, self.steps)

    def _report_arrived(self) -> None:
        """The gradient check ran: the texts show its verdicts, the frames its failing and ``inherited`` nodes.

        Frames already drawn are drawn again (a new layout, once) only when some node is not "ok";
        after a layout that timed out, the fallback picture stays.
        """
        self._lines.clear()
        verdicts = self._verdicts()
        if verdicts == self.verdicts:
            return
        self.verdicts = verdicts
        self._walk = self._make_walk()
        if self._frames is not None and self._frames.fallback is not None:
            return
        self._frames, self.readability = None, None
        self._frame_sets.clear()

    @property
    def frames(self) -> FrameSet:
        """The pictures of every step (:class:`~viz.stepper.frames.FrameSet`), one layout for all.

        Made on first use. Without a ``rankdir`` option the direction is chosen then
        (:attr:`readability`): the graph is laid out both ways and the direction whose value
        text is biggest at fit to :attr:`width_px` is kept (a graph of more than 300 nodes is laid
        out once, in the direction of its shape: :func:`viz.readable.shape_rankdir`).
        """
        if self._frames is None:
            self.readability, self._frames = self._choose(self.width_px)
        return self._frames

    def _frame_set(self, rankdir: str | None) -> FrameSet:
        """The frame set of a direction (``None``: the ``rankdir`` option), made once."""
        key = rankdir or self.options.get("rankdir", "LR")
        if key not in self._frame_sets:
            walk = self._walk
            options = dict(self.options, lang=self.lang, rankdir=key)
            if self.inherited and options.get("legend") is True:
                options["legend"] = "all"  # the standard legend, with the inherited state every frame may show
            self._frame_sets[key] = FrameSet(
                self.graph,
                self.nodes,
                walk.timeline,
                layout=walk.layout,
                hints=walk.hints,
                names=self.names.names,
                options=options,
            )
        return self._frame_sets[key]

    def _choose(
        self, width: float, height: float | None = None, *, enlarge: bool = False
    ) -> tuple[Readability | None, FrameSet]:
        """The readability and frames of the direction whose values are biggest in a ``width`` × ``height`` box."""
        if "rankdir" in self.options:
            return None, self._frame_set(None)
        if len(self.nodes) > _TRIAL_NODES:  # one layout only: the direction follows the graph's shape
            rankdir = shape_rankdir(self.graph.nx.subgraph(self.nodes))
            return Readability(rankdir, None, width), self._frame_set(rankdir)
        font = get_theme(self.options.get("theme", "lecture")).value_fontsize
        sizes = {}
        for rankdir in ("LR", "TB"):
            size = self._frame_set(rankdir).size()
            if size is None:  # the layout timed out: these frames fall back; no other layout is tried
                return Readability(rankdir, None, width), self._frame_set(rankdir)
            sizes[rankdir] = fit_font_px(font, size, width, height, enlarge=enlarge)
        best = max(sizes, key=lambda rd: (sizes[rd], rd == "LR"))
        return Readability(best, sizes[best], width, sizes), self._frame_set(best)

    def _slide_frames(self) -> FrameSet:
        """The frames for 16:9 slides: the direction drawn largest, with the text under or beside the picture."""
        if "rankdir" in self.options:
            return self._frame_set(None)
        if len(self.nodes) > _TRIAL_NODES:
            return self._frame_set(shape_rankdir(self.graph.nx.subgraph(self.nodes)))
        scales = {}
        for rankdir in ("LR", "TB"):
            size = self._frame_set(rankdir).size()
            if size is None:  # the layout timed out: these frames fall back
                return self._frame_set(rankdir)
            scales[rankdir] = arrangement(size)[1]
        return self._frame_set(max(scales, key=lambda rd: (scales[rd], rd == "LR")))

    def _root_node(self) -> int | None:
        """The loss: the tensor given, or the node a backward pass started from, or a graph's one sink."""
        if self.root is not None:
            return self.root.node
        if self.direction == "backward" and self.steps:
            return self.steps[0].node
        G = self.graph.nx
        sinks = [n for n in self.nodes if G.nodes[n]["kind"] == "op" and not any(True for _ in G.successors(n))]
        return sinks[0] if len(sinks) == 1 else None

    # -- stepping --------------------------------------------------------------------------------------
    @property
    def n_steps(self) -> int:
        """The number of steps: one per op call."""
        return len(self.steps)

    @property
    def current(self) -> Step | None:
        """The step at ``step_index`` (``None`` at step 0); ``current.error`` holds a raised exception."""
        k = self.step_index
        return self.steps[k - 1] if k else None

    @traitlets.validate("step_index")
    def _valid_index(self, proposal: Any) -> int:
        return self._check_step(proposal["value"])

    def _check_step(self, k: int) -> int:
        if not 0 <= k <= self.n_steps:
            raise StepIndexError(f"Stepper: step {k} does not exist; steps go from 0 to {self.n_steps}")
        return k

    def goto(self, k: int) -> int:
        """Go to step ``k`` (0 … ``n_steps``); return it. Nothing is recomputed.

        Raises
        ------
        StepIndexError
            ``k`` outside ``0 … n_steps``.
        """
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise StepIndexError(f"Stepper.goto: the step must be an int between 0 and {self.n_steps}, got {k!r}")
        self.step_index = int(k)
        return self.step_index

    def next(self) -> int:
        """One step forward (stays at ``n_steps`` at the end); return the new step index."""
        return self.goto(min(self.step_index + 1, self.n_steps))

    def back(self) -> int:
        """One step back (stays at 0; nothing is recomputed); return the new step index."""
        return self.goto(max(self.step_index - 1, 0))

    def reset(self) -> int:
        """Back to step 0."""
        return self.goto(0)

    def last(self) -> int:
        """To the last step (the pass complete)."""
        return self.goto(self.n_steps)

    def step_of(self, target: Any) -> int:
        """The step index at which ``target`` (node id, ``"n3"``, label, name or Tensor) is reached.

        For an op call, its own step; for a leaf, the step after which its
        gradient is complete (backward) or the step that first uses it
        (forward). A label shared by several nodes means the first of them
        after the current step (or the first of all).

        Raises
        ------
        UnknownNodeError
            No such node among the stepper's nodes (the message lists the labels).
        """
        candidates = sorted({self._node_step(n) for n in self._find(target)})
        ahead = [k for k in candidates if k > self.step_index]
        return (ahead or candidates)[0]

    def run_to(self, target: Any) -> int:
        """Go to the step where ``target`` is reached (see :meth:`step_of`); return the step index."""
        return self.goto(self.step_of(target))

    def run_to_problem(self) -> int | None:
        """Go to the next step with a problem; return it, or ``None`` (staying put) if there is none.

        A problem is a ``backward`` that raised (an exception or a contract
        violation such as the shape rule), NaN/Inf in the value, the upstream
        gradient or a returned gradient, or a node that fails the gradient
        check (:func:`graphviz_autodiff.debug.check`, run the first time it is
        needed unless a ``report`` was given).
        """
        for k in range(self.step_index + 1, self.n_steps + 1):
            if self.problems(k, check=True):
                return self.goto(k)
        return None

    # -- problems -------------------------------------------------------------------------------------
    @property
    def report(self) -> Any:
        """The gradient-check report given or computed so far (``None`` before it is needed)."""
        return self._problems.report

    def problems(self, k: int | None = None, *, check: bool = False) -> list[Problem]:
        """The problems of step ``k`` (default: the current one); ``check=True`` may run the gradient check."""
        k = self.step_index if k is None else k
        if not 1 <= k <= self.n_steps:
            return []
        before = self._problems.report
        found = self._problems.of(self.steps[k - 1], check=check)
        if self._problems.report is not before:
            self._report_arrived()
        return found

    def problem_title(self, k: int | None = None, *, check: bool = True) -> str | None:
        """The problems of step ``k`` in a few words (``"NaN / Inf"``, ``"wrong gradient"``), or ``None``."""
        kinds = dict.fromkeys(p.kind for p in self.problems(k, check=check))
        return ", ".join(kind_name(kind, self.lang) for kind in kinds) or None

    # -- nodes ----------------------------------------------------------------------------------------
    def _find(self, target: Any) -> list[int]:
        G = self.graph.nx
        if isinstance(target, Tensor):
            found = [target.node] if target.graph is self.graph or target.graph is self.graph.resolve() else []
        elif isinstance(target, (int, np.integer)) and not isinstance(target, bool):
            found = [int(target)]
        elif isinstance(target, str) and re.fullmatch(r"n\d+", target):
            found = [int(target[1:])]
        elif isinstance(target, str):
            found = [n for n in self.nodes if target in (G.nodes[n]["label"], G.nodes[n]["name"], self.names.name(n))]
        else:
            raise TypeError(f"Stepper.run_to: expected a node id, a label or a Tensor, got {type(target).__name__}")
        selected = self._selected
        found = [n for n in found if n in selected]
        if not found:
            labels = sorted({str(G.nodes[n]["label"]) for n in self.nodes})
            raise UnknownNodeError(
                f"Stepper.run_to: no node {target!r} among the stepper's nodes; labels: {', '.join(labels)} "
                f"(or pass a node id 0 … {max(self.nodes)}, or a tensor of this graph)"
            )
        return found

    def _node_step(self, node: int) -> int:
        if node in self._step_of:
            return self._step_of[node]
        users = [self._step_of[v] for v in self.graph.nx.successors(node) if v in self._step_of]
        if not users:
            return 0
        return max(users) if self.direction == "backward" else min(users)

    def title(self, node: int) -> str:
        """A node's title in texts: its label, and the output's name (``Linear (z)``)."""
        return self.names.title(node)

    # -- what is shown ------------------------------------------------------------------------------------
    def svg(self, k: int | None = None) -> str:
        """The SVG of step ``k`` (default: the current step), exactly what the widget shows.

        The first call lays the graph out (Graphviz); later calls take about a millisecond.
        """
        return self.frames.svg(self.step_index if k is None else k)

    def describe(self, k: int | None = None) -> str:
        """The text panel of step ``k`` (default: the current step), in the stepper's language.

        For a backward step: the node, the upstream gradient it received
        (summed over its consumers, saying so when there are several), what its
        ``backward`` returned for each argument and parameter (shape and
        values), the chain-rule formula, and any problem. Lines that report an
        error start with ``✗``.
        """
        return "\n".join(self.lines(k))

    def lines(self, k: int | None = None) -> list[str]:
        """:meth:`describe` as a list of lines."""
        k = self._check_step(self.step_index if k is None else k)
        if k not in self._lines:
            self._lines[k] = self._texts.lines(k)
        return list(self._lines[k])

    def chain_lines(self, k: int | None = None) -> list[str]:
        """The formulas of step ``k`` (default: the current one), written with the graph's names.

        The chain rule of a backward step (``∂L/∂θ = Xᵀ·∂L/∂z``; the general form for an op without a
        formula), the forward formula of a forward step; empty at step 0 and for a step whose
        ``backward`` failed or was skipped.
        """
        k = self._check_step(self.step_index if k is None else k)
        if k not in self._chains:
            self._chains[k] = self._chain_lines(k)
        return list(self._chains[k])

    def _chain_lines(self, k: int) -> list[str]:
        if k == 0:
            return []
        step = self.steps[k - 1]
        if self.direction == "forward":
            line = forward_line(step, self.names)
            return [line] if line else []
        return step_chain_lines(step, self.names) if step.status == "done" else []

    # -- export ----------------------------------------------------------------------------------------
    def to_html(self, path: str | os.PathLike, *, title: str | None = None, **payload_options: Any) -> Path:
        """Write the whole walk as one self-contained HTML page with the viewer the widget shows.

        The same controls as the widget (first / back / next / last, Play and its speed, the slider, the
        step list, run to, next problem, fit and zoom, pan, keys, hover cards), no Python and no network
        needed; it opens at the current step. See :func:`viz.viewer.to_html`.

        Parameters
        ----------
        path : str or path-like
            The ``.html`` file to write.
        title : str, optional
            The page's title (default: the walk's, in the stepper's language).
        **payload_options
            Passed to :func:`viz.viewer.build_payload` (``check``, ``min_font_px``, ...).
        """
        from ..viewer import build_payload, to_html

        return to_html(build_payload(self, title=title, **payload_options), path)

    def save_frames(self, directory: str | os.PathLike, fmt: str = "svg", *, dpi: float | None = None) -> list[Path]:
        """Write one file per step, ``step_000.<fmt>`` … (see :func:`viz.stepper.slides.save_frames`)."""
        return save_frames(self.frames, directory, fmt, dpi=dpi)

    def slide(self, k: int | None = None) -> str:
        """Step ``k`` (default: the current step) as a 16:9 slide: the picture, the step's text under it.

        The picture is laid out in the direction drawn largest on the slide, with the text under it or
        beside it (:func:`viz.stepper.slides.arrangement`), unless ``rankdir`` was given. See
        :func:`viz.stepper.slides.slide_svg`.
        """
        k = self._check_step(self.step_index if k is None else k)
        return slide_svg(self._slide_frames().svg(k), self.lines(k), theme=self.options.get("theme", "lecture"))

    def save_gif(self, path: str | os.PathLike, *, width: int = 960, seconds: float = 1.5) -> Path:
        """Write the whole walk as an animated GIF of slides (``width`` pixels, 16:9, ``seconds`` per step).

        One GIF frame per step, 0 … ``n_steps``; it loops. See :func:`viz.stepper.slides.write_gif`.
        """
        return write_gif(self._all_slides(), path, width=width, seconds=seconds)

    def save_mp4(self, path: str | os.PathLike, *, width: int = 1280, seconds: float = 1.5) -> Path:
        """Write the whole walk as an MP4 video of slides (H.264, one video frame per step, ``seconds`` each)."""
        return write_mp4(self._all_slides(), path, width=width, seconds=seconds)

    def save_pdf(self, path: str | os.PathLike) -> Path:
        """Write the whole walk as one PDF, one 16:9 vector page per step (0 … ``n_steps``)."""
        return write_pdf(self._all_slides(), path)

    def _all_slides(self) -> list[str]:
        return [self.slide(k) for k in range(self.n_steps + 1)]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.direction}: step {self.step_index} of {self.n_steps}>"


def _check_options(options: dict[str, Any], lang: str) -> dict[str, Any]:
    for name in _NOT_OPTIONS:
        if name in options:
            why = (
                "pass report= to the Stepper itself"
                if name == "report"
                else "the stepper sets states and draws every node"
            )
            raise ValueError(f"Stepper: the render option {name}= cannot be used here ({why})")
    if "lang" in options:
        raise ValueError("Stepper: pass lang= as the stepper's own argument")
    render(Graph(), lang=lang, **options)  # validates every option (and rejects unknown ones) on an empty graph
    return dict(options)
