"""Fast frames for the stepper: one Graphviz layout, then every step's SVG by splicing.

This module's one job is :class:`FrameSet`, the SVG of every frame of a
:class:`~viz.stepper.timeline.Timeline`; the geometry is in
:mod:`viz.stepper.layout`, the string work on SVG in :mod:`viz.stepper.svg`.

Why
---
Graphviz's layout (``dot``) is the slow part of a drawing: about 0.1 s for a
graph of 300 nodes and 0.5 s for 1,000 on a 2-core machine. A stepper that
laid the graph out again on every click would lag, and the boxes would jump
around as gradients appear in them.

How
---
1. **One layout.** The labels of a few scenes (frame 0, the last frame, the
   hints below) are measured by Graphviz (``neato -n2`` on the labels alone,
   no layout); every node gets the size of its biggest label and every edge
   its biggest label, so no box ever needs to grow. ``dot -Tjson`` lays that
   out once and gives every node's position and size, every edge's spline
   and label position, every cluster's box.
2. **A few rounds.** A frame shows each node and edge in one of a few
   variants (pending, current, done, failed, ...). A *round* draws a whole
   scene with those positions pinned (``neato -n2``, node boxes of fixed size,
   and two invisible corner anchors so that the drawing's bounding box never
   moves); so the ``<g id="node3">`` group of any round fits into any frame.
   The stepper names a few scenes that together hold nearly every variant
   (nothing done yet; all done; all current; all pending with the gradients
   on the edges); any variant still missing is drawn from the first frame
   that shows it.
3. **Frames by splicing.** Which variant an element shows in frame ``k`` is
   decided by a key made of exactly what :func:`viz.render` reads for it (the
   node's status, the gradient it shows, its error note, its state override;
   an edge's gradient and whether it is the producer's only gradient). The
   frame's SVG is the skeleton of a round (background, clusters, title and
   legend) with the chosen groups joined in: string work, well under a
   millisecond for 300 nodes. (Should a round's drawing still be moved by
   Graphviz, because some label stuck out of the bounding box, its groups are
   moved back with a ``transform``.)

The SVG of a frame is standalone (``<svg xmlns=...>`` without the XML
prolog), so the same text is written to ``.svg`` files and shown inline in a
notebook or a web page, where ``svg g.node.current`` selects the current node.

Examples
--------
>>> import numpy as np
>>> from graphviz_autodiff.ops import Sum
>>> from viz.stepper.timeline import NodeView, Timeline
>>> L = Sum()(np.ones(3))
>>> timeline = Timeline({0: NodeView("pending"), 1: NodeView("pending")})
>>> timeline.append({1: NodeView("done", np.ones(()), state="current", current=True)})
>>> frames = FrameSet(L.graph, [0, 1], timeline)
>>> len(frames), 'class="node current op"' in frames.svg(1)
(2, True)
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import networkx as nx
import numpy as np

from graphviz_autodiff.graph import Graph
from graphviz_autodiff.i18n import tr

from ..dot import RenderError, RenderTimeoutError, run_dot
from ..drawing.builder import render
from ..drawing.fallback import fallback_svg
from ..drawing.states import known_grad, status_state
from .layout import Layout, measured_source, merge_hidden
from .svg import corner, mark_current, split_svg, translate
from .timeline import NodeView, Scene, Timeline

__all__ = ["FrameSet"]

_ZERO = np.zeros(())
_PAD = re.compile(r'\bpad="?([\d.]+)')  # inches Graphviz adds around the bounding box (default 4 points)


class _SceneGraph(Graph):
    """A :class:`Graph` over a private copy of the drawn nodes, into which scenes are written.

    :func:`viz.render` reads ``graph.nx``, ``graph.groups`` and ``graph.name``
    only, so a scene is drawn by writing it into this copy; the user's graph is
    never touched.
    """

    def __init__(self, source: Graph, nodes: Sequence[int], names: Mapping[int, str] | None = None) -> None:
        super().__init__(name=source.name)
        G = source.nx
        H = nx.DiGraph()
        for n in sorted(nodes):
            H.add_node(n, **G.nodes[n])
            if names is not None and H.nodes[n]["kind"] == "op":
                H.nodes[n]["name"] = names[n]  # the output's name on the node, its default filled in
        for u, v in G.subgraph(nodes).edges:
            H.add_edge(u, v, **G.edges[u, v])
        self._scene_nx = H
        self._scene_groups = source.groups
        self._forward = {n: (H.nodes[n]["shape"], H.nodes[n]["value"]) for n in H}

    @property
    def nx(self) -> nx.DiGraph:  # type: ignore[override]
        return self._scene_nx

    @property
    def groups(self) -> dict[str, dict[str, Any]]:  # type: ignore[override]
        return self._scene_groups

    def write(self, scene: Scene) -> dict[int, str]:
        """Write ``scene`` into the copy; return the state overrides for ``render(states=...)``."""
        nodes, edges = scene
        H = self._scene_nx
        states = {}
        for n, view in nodes.items():
            attrs = H.nodes[n]
            attrs["status"] = view.status
            attrs["grad"] = view.grad
            attrs["error"] = view.error
            if view.hidden:
                attrs["shape"], attrs["value"] = None, _ZERO
            else:
                attrs["shape"], attrs["value"] = self._forward[n]
            if view.state is not None:
                states[n] = view.state
            elif view.verdict is not None:
                states[n] = view.verdict
        for e, attrs in H.edges.items():
            attrs["grad"] = edges.get(e)
        return states


class FrameSet:
    """The SVG frames of a :class:`Timeline`, with one Graphviz layout.

    Parameters
    ----------
    graph : Graph
        The recorded graph (read only; it is copied).
    nodes : sequence of int
        The nodes to draw (a tensor and its ancestors, or the whole graph).
    timeline : Timeline
        What every frame shows.
    layout : sequence of Scene, optional
        Scenes whose labels, with those of frame 0 and of ``hints``, are
        measured for the one layout: every node gets the size of its biggest
        label, so no frame needs a bigger box (default: the last frame).
    hints : sequence of Scene
        Scenes that hold many of the variants the frames need, drawn first
        with frame 0 (default: the last frame).
    names : mapping, optional
        ``{node: name}`` of the op outputs (:func:`viz.drawing.names.default_names`):
        drawn as each output's name instead of the graph's own (``None``, "out").
    options : mapping, optional
        Options of :func:`viz.render` (theme, rankdir, precision, legend, ...);
        not ``states``, ``collapse``, ``only_grad_path``, ``overlay`` or
        ``max_nodes``, which the frames set or cannot follow.

    Notes
    -----
    Nothing is drawn until the first :meth:`svg` or :meth:`build`. The arrays in
    the timeline must stay alive (they do: the timeline holds them), because
    variants are told apart by the identity of the gradient they show.
    """

    def __init__(
        self,
        graph: Graph,
        nodes: Sequence[int],
        timeline: Timeline,
        *,
        layout: Sequence[Scene] = (),
        hints: Sequence[Scene] = (),
        names: Mapping[int, str] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        options = dict(options or {})
        for name in ("states", "collapse", "only_grad_path", "overlay", "max_nodes"):
            if options.get(name) not in (None, False):
                raise ValueError(f"FrameSet: the render option {name}= cannot be used for frames")
            options.pop(name, None)
        self.options = options
        self.timeline = timeline
        self._show_shapes = bool(options.get("show_shapes", True))
        self._timeout = options.get("timeout", 30.0)
        self._graph = _SceneGraph(graph, nodes, names)
        H = self._graph.nx
        self._kinds = {n: H.nodes[n]["kind"] for n in H}
        self._succ = {n: sorted(H.successors(n)) for n in H}
        self._pred = {n: sorted(H.predecessors(n)) for n in H}
        self._node_ids = sorted(H)
        self._edge_ids = list(H.edges)
        self._element = {f"node{n}": i for i, n in enumerate(self._node_ids)}
        offset = len(self._node_ids)
        self._element.update({f"edge_n{u}_n{v}": offset + i for i, (u, v) in enumerate(self._edge_ids)})
        self._edge_index = {e: offset + i for i, e in enumerate(self._edge_ids)}
        self._layout_scenes = list(layout)
        self._hints = list(hints)
        self._layout: Layout | None = None
        self._rows: np.ndarray | None = None
        self._marks: list[tuple[int, ...]] = []
        self._variants: list[dict[tuple, int]] = []
        self._snippets: list[list[str | None]] = []
        self._order: list[int] = []
        self._position: dict[int, int] = {}
        self._origin: dict[str, tuple[float, float] | None] = {}
        self._prefix = self._suffix = ""
        self.fallback: RenderTimeoutError | None = None
        self._fallback_svg: str | None = None
        self.stats: dict[str, float] = {}
        self._deadline: _Deadline | None = None
        self._sources: dict[int, str] = {}
        self._first: Scene = ({}, {})
        self._hint_scenes: list[Scene] = []

    def __len__(self) -> int:
        return len(self.timeline)

    # -- public ------------------------------------------------------------------------------------------
    def svg(self, k: int) -> str:
        """The SVG text of frame ``k`` (standalone ``<svg>`` element, no XML prolog).

        After a layout that timed out (:attr:`fallback`), the graph's fallback picture (the same for every
        frame, drawn once: a collapsed view or a summary, see :func:`viz.drawing.fallback.fallback_svg`).
        """
        self.build()
        if not 0 <= k < len(self):
            raise IndexError(f"FrameSet: frame {k} does not exist (there are {len(self)} frames, 0 … {len(self) - 1})")
        if self.fallback is not None:
            return self._summary()
        row = self._rows[k].tolist()  # type: ignore[index]
        snippets = self._snippets
        parts = [snippets[e][row[e]] for e in self._order]
        for e in self._marks[k]:
            i = self._position[e]
            parts[i] = mark_current(parts[i])  # type: ignore[arg-type]
        return self._prefix + "\n".join(parts) + "\n" + self._suffix  # type: ignore[arg-type]

    def dot(self, k: int) -> str:
        """The DOT source of frame ``k`` with every position pinned (draw it with ``neato -n2``).

        Raises
        ------
        RenderTimeoutError
            The layout timed out (:attr:`fallback`): there are no positions to pin.
        """
        self.build()
        if self.fallback is not None:
            raise self.fallback
        return self._source(self.timeline.scene(k))

    def full_svg(self, k: int) -> str:
        """Frame ``k`` drawn from scratch: :func:`viz.render` and a whole new ``dot`` layout.

        What every step would cost without this module (the benchmark's
        baseline); the boxes may move between frames drawn this way.
        """
        source = self._source(self.timeline.scene(k), pinned=False)
        svg = run_dot(source, "svg", timeout=self._timeout).decode("utf-8")
        return svg[svg.index("<svg") :]

    def build(self) -> None:
        """Lay the graph out and draw the variants (done once, on the first frame asked for).

        All of it must finish within the ``timeout`` render option (seconds, default 30). If it
        does not, the frame set falls back, once and for good, to the graph's fallback picture
        (:attr:`fallback` holds the timeout error): a later frame never runs the failing layout again.
        """
        if self._rows is not None or self.fallback is not None:
            return
        self._deadline = self._deadline or _Deadline(self._timeout)
        try:
            self._lay_out()
            self._build(self._deadline)
        except RenderTimeoutError as error:
            self.fallback = error
            self.stats["fallback_seconds"] = self._deadline.elapsed()
            return
        self.stats["build_seconds"] = self._deadline.elapsed()

    def size(self) -> tuple[float, float] | None:
        """``(width, height)`` of every frame in points (what Graphviz's SVG gives as its ``viewBox``).

        Lays the graph out (the first half of :meth:`build`) without drawing anything yet;
        ``None`` when the layout timed out (then the frames fall back, see :meth:`build`).
        """
        if self._layout is None and self.fallback is None:
            self._deadline = self._deadline or _Deadline(self._timeout)
            try:
                self._lay_out()
            except RenderTimeoutError as error:
                self.fallback = error
                self.stats["fallback_seconds"] = self._deadline.elapsed()
        if self._layout is None:
            return None
        x0, y0, x1, y1 = self._layout.bb
        m = _PAD.search(next(iter(self._sources.values()), ""))
        pad = 72 * float(m.group(1)) if m else 4.0
        return x1 - x0 + 2 * pad, y1 - y0 + 2 * pad

    def _lay_out(self) -> None:
        """The one layout: measure the labels of a few scenes, then ``dot`` with every box at its biggest size."""
        if self._layout is not None:
            return
        deadline = self._deadline
        first = self.timeline.scene(0)
        last = [self.timeline.scene(len(self) - 1)]
        self._first, self._hint_scenes = first, self._hints or last
        scenes = [first, *(self._layout_scenes or last), *self._hint_scenes]
        sources: dict[int, str] = {}
        for scene in scenes:
            if id(scene) not in sources:
                deadline.check()
                sources[id(scene)] = self._source(scene, pinned=False)
        source = measured_source([sources[id(scene)] for scene in scenes], deadline.remaining())
        self._layout = Layout.from_json(run_dot(source, "json0", timeout=deadline.remaining()))
        self._sources = sources
        self.stats["layout_seconds"] = deadline.elapsed()

    def _build(self, deadline: _Deadline) -> None:
        first, hints = self._first, self._hint_scenes
        rows, marks = self._compute_rows()
        self._marks = marks
        self._draw([first, *hints], deadline, first_round=True, sources=self._sources)
        rounds = 1 + len(hints)
        while True:
            missing = [(e, v) for e in self._order for v, s in enumerate(self._snippets[e]) if s is None]
            if not missing:
                break
            k = min(int(np.argmax(rows[:, e] == v)) for e, v in missing)
            self._draw([self.timeline.scene(k)], deadline)
            rounds += 1
        self._rows = rows
        self.stats["rounds"] = rounds
        self.stats["variants"] = sum(len(v) for v in self._variants)

    def _summary(self) -> str:
        """Every frame after a layout that timed out: the graph's fallback picture, drawn once.

        :func:`viz.drawing.fallback.fallback_svg` (the collapsed view, or a summary: the graph's size, why
        there is no picture, what to do). The step's text says which node is current.
        """
        if self._fallback_svg is None:
            lang = self.options.get("lang", "en")
            reason = tr("summary.fallback_reason", lang, timeout=f"{self._timeout:g}")
            self._fallback_svg = fallback_svg(
                self._graph,
                reason,
                timeout=self._timeout,
                advice=[tr("fallback.hint", lang)],
                theme=self.options.get("theme", "lecture"),
                lang=lang,
            )
        return self._fallback_svg

    # -- drawing ----------------------------------------------------------------------------------------
    def _render(self, scene: Scene, show_shapes: bool) -> str:
        states = self._graph.write(scene)
        options = dict(self.options, show_shapes=show_shapes)
        return render(self._graph, states=states, max_nodes=None, **options).source

    def _source(self, scene: Scene, pinned: bool = True) -> str:
        """The DOT source of a scene (positions pinned once the layout is known).

        A hidden value has no shape to draw, and :func:`viz.render` draws
        shapes everywhere or nowhere: hidden nodes and the edges leaving them
        come from a drawing without shapes, everything else from the normal one.
        """
        nodes, edges = scene
        hidden = {f"n{n}" for n, view in nodes.items() if view.hidden}
        if not hidden:
            source = self._render(scene, self._show_shapes)
        else:
            shown = ({n: replace(view, hidden=False) for n, view in nodes.items()}, edges)
            source = merge_hidden(self._render(shown, self._show_shapes), self._render(scene, False), hidden)
        return self._layout.pin(source) if pinned and self._layout is not None else source

    def _draw(
        self,
        scenes: list[Scene],
        deadline: _Deadline,
        first_round: bool = False,
        sources: dict[int, str] | None = None,
    ) -> None:
        """Draw whole scenes with pinned positions; keep every needed variant they contain.

        ``sources`` maps ``id(scene)`` to the scene's DOT source already made (not pinned yet).
        """
        jobs = []
        for scene in scenes:
            known = (sources or {}).get(id(scene))
            source = self._source(scene) if known is None else self._layout.pin(known)  # type: ignore[union-attr]
            jobs.append((source, self._keys(scene)))
        with ThreadPoolExecutor(max_workers=2) as pool:
            svgs = list(
                pool.map(
                    lambda job: run_dot(
                        job[0], "svg", engine="neato", args=["-n2"], timeout=deadline.remaining()
                    ).decode("utf-8"),
                    jobs,
                )
            )
        for index, ((_, keys), svg) in enumerate(zip(jobs, svgs)):
            prefix, items, suffix = split_svg(svg)
            if first_round and index == 0:
                self._prefix, self._suffix = prefix, suffix
                # Folded constants (and their edges) have no group of their own.
                self._order = [self._element[name] for name, _ in items if name in self._element]
                self._position = {e: i for i, e in enumerate(self._order)}
                if len(set(self._order)) != len(self._order):
                    raise RenderError("viz.stepper.frames: the drawing has two groups with the same id")
                self._origin = {name: corner(text) for name, text in items if name.startswith("node")}
            shift = self._shift(items)
            for name, text in items:
                e = self._element.get(name)
                if e is None:
                    continue
                v = self._variants[e].get(keys[e])
                if v is not None and self._snippets[e][v] is None:
                    self._snippets[e][v] = translate(text, shift) if shift else text

    def _shift(self, items: list[tuple[str, str]]) -> tuple[float, float] | None:
        """How far this round's drawing is moved from the first round's (``None``: not at all).

        Graphviz moves a whole drawing when something sticks out of the laid-out
        bounding box (a label grown past its edge); every box keeps its size, so
        one node's corner tells the shift.
        """
        for name, text in items:
            reference = self._origin.get(name)
            at = corner(text) if reference is not None else None
            if reference is not None and at is not None:
                dx, dy = reference[0] - at[0], reference[1] - at[1]
                return (dx, dy) if abs(dx) > 0.01 or abs(dy) > 0.01 else None
        return None

    # -- keys ---------------------------------------------------------------------------------------------
    def _node_key(self, n: int, nodes: dict[int, NodeView]) -> tuple:
        view = nodes[n]
        kind = self._kinds[n]
        known = known_grad(kind, view.status, view.grad, [nodes[s].status for s in self._succ[n]])
        mode = "hidden" if view.hidden else self._show_shapes
        return (
            mode,
            status_state(kind, view.status, known),
            None if known is None else id(known),
            view.error,
            view.state,
            view.verdict,
        )

    def _edge_key(self, e: tuple[int, int], scene: Scene) -> tuple:
        nodes, edges = scene
        u = e[0]
        producer = nodes[u]
        g = edges.get(e)
        only = False
        if g is not None:
            successors = [nodes[s].status for s in self._succ[u]]
            known = known_grad(self._kinds[u], producer.status, producer.grad, successors)
            if known is not None:
                only = sum(1 for w in self._succ[u] if edges.get((u, w)) is not None) == 1
        return (self._show_shapes and not producer.hidden, None if g is None else id(g), only)

    def _keys(self, scene: Scene) -> list[tuple]:
        nodes = scene[0]
        keys = [self._node_key(n, nodes) for n in self._node_ids]
        keys += [self._edge_key(e, scene) for e in self._edge_ids]
        return keys

    def _variant(self, e: int, key: tuple) -> int:
        variants = self._variants[e]
        v = variants.get(key)
        if v is None:
            v = variants[key] = len(variants)
            self._snippets[e].append(None)
        return v

    def _compute_rows(self) -> tuple[np.ndarray, list[tuple[int, ...]]]:
        """Variant index of every element in every frame, updating only what each change touches."""
        n_elements = len(self._element)
        self._variants = [{} for _ in range(n_elements)]
        self._snippets = [[] for _ in range(n_elements)]
        index = {n: i for i, n in enumerate(self._node_ids)}
        nodes, edges = dict(self.timeline.nodes0), dict(self.timeline.edges0)
        scene = (nodes, edges)
        row = np.array([self._variant(e, key) for e, key in enumerate(self._keys(scene))], dtype=np.int32)
        rows = [row.copy()]
        marks = [tuple(index[n] for n, view in nodes.items() if view.current)]
        for node_changes, edge_changes in self.timeline.changes:
            nodes.update(node_changes)
            edges.update(edge_changes)
            touched = set(node_changes)
            for n in node_changes:
                touched.update(self._pred[n])  # a leaf's gradient shows once its consumers are done
            touched_edges = set(edge_changes)
            for u in touched | {u for u, _ in edge_changes}:
                touched_edges.update((u, w) for w in self._succ[u])
            for n in touched:
                row[index[n]] = self._variant(index[n], self._node_key(n, nodes))
            for e in touched_edges:
                row[self._edge_index[e]] = self._variant(self._edge_index[e], self._edge_key(e, scene))
            rows.append(row.copy())
            marks.append(tuple(index[n] for n, view in nodes.items() if view.current))
        return np.array(rows), marks


class _Deadline:
    """The time left for building frames: ``None`` (no limit) or seconds, raising once it is spent."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.start = time.perf_counter()
        self.end = None if seconds is None else self.start + seconds

    def elapsed(self) -> float:
        """Seconds since the deadline was set."""
        return time.perf_counter() - self.start

    def remaining(self) -> float | None:
        """Seconds left (at least a millisecond), ``None`` without a limit."""
        if self.end is None:
            return None
        self.check()
        return max(self.end - time.perf_counter(), 1e-3)

    def check(self) -> None:
        """Raise :class:`RenderTimeoutError` when the time is spent."""
        if self.end is not None and time.perf_counter() >= self.end:
            raise RenderTimeoutError(
                f"viz.stepper: the frames were not drawn within timeout={self.seconds} s; draw less (step through "
                "an intermediate tensor) or pass a larger timeout=..."
            )
