"""The main job (``make demo``): every lecture artefact, produced from code that runs.

``python -m graphviz_autodiff demo --out DIR`` calls :func:`write_lecture_outputs`, which writes

* ``diagrams/``: the lecture-5 graph (X, θ → Linear → z → Identity → μ; μ, y → Squared → Sum → L)
  before and after ``backward()``, as SVG, PDF and PNG, in every theme, in English and Russian, and
  ``lecture5_backward_slide*``: the 16:9 slide picture (``preset="slide"``, 1920 × 1080 PNG);
* ``figures/`` (and ``figures_ru/``): scatter grid, correlation heat map, loss history, true vs
  predicted, and the convergence comparison with and without the correlated feature;
* ``walkthrough.html`` (and ``walkthrough_ru.html``): the backward pass step by step in the viewer, a single
  self-contained page for slides or an LMS, plus ``frames/step_NNN.svg`` for slide decks;
* ``debugging/``: the lecture graph built with a typical student mistake (``Squared`` without the
  factor 2), the debugger's report as text and the graph with the culprit drawn red (nodes that
  only receive its wrong gradient in orange), also as a 16:9 slide.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable, Tensor, course
from graphviz_autodiff.course.datasets import lecture5
from graphviz_autodiff.ops import Linear, Squared, Sum

from .export import save_all
from .themes import THEMES

__all__ = ["lecture_graph", "write_lecture_outputs", "write_readme_pictures"]


class StudentSquared(Differentiable):
    """A student's ``Squared`` with the classic mistake: d(u²)/du written as u, not 2u."""

    def forward(self, mu: np.ndarray, y: np.ndarray) -> np.ndarray:
        self.mu, self.y = mu, y
        return (mu - y) ** 2

    def backward(self, upstream_grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (self.mu - self.y) * upstream_grad, -(self.mu - self.y) * upstream_grad


def lecture_graph(n_rows: int = 5, *, epochs: int = 3, squared: type = Squared) -> tuple[Tensor, Linear]:
    """The lecture-5 graph on the first ``n_rows`` objects of the lecture data set.

    θ is the lecture model's after ``epochs`` full-batch gradient-descent
    steps from zero (so the picture shows a partly trained model with
    non-zero gradients). Returns the loss ``L`` (not yet backpropagated) and
    the ``Linear`` op. ``squared`` replaces the ``Squared`` op class (the
    debugging example passes a student's buggy one).
    """
    data = lecture5()
    linear, identity = course.lecture.lecture_model()
    fit = course.lecture.train_lecture_model(data.X, data.y, epochs=epochs)
    linear = Linear(4, theta=np.round(fit.theta, 3))
    X = Tensor(data.X[:n_rows].round(2), name="X")
    y = Tensor(data.y[:n_rows].round(2), name="y")
    z = linear(X)
    z.name = "z"
    mu = identity(z)
    mu.name = "μ"
    s = squared()(mu, y)
    s.name = "s"
    loss = Sum()(s)
    loss.name = "L"
    return loss, linear


def write_readme_pictures(folder: str | os.PathLike) -> list[Path]:
    """The README's pictures, with the library's defaults: ``lecture5.png`` and ``lecture5_walk.gif``.

    ``lecture5.png`` is the lecture graph after ``backward()`` as a 16:9 slide (``preset="slide"``,
    1920 × 1080); ``lecture5_walk.gif`` its backward walk as slides (1280 px, 2 s a step). The outputs
    are unnamed here, so the pictures show the default names (z, μ, s, L).
    """
    from .export import save
    from .stepper import StepperModel

    folder = Path(folder)
    data = lecture5()
    fit = course.lecture.train_lecture_model(data.X, data.y, epochs=3)
    X = Tensor(data.X[:5].round(2), name="X")
    y = Tensor(data.y[:5].round(2), name="y")
    _, identity = course.lecture.lecture_model()
    loss = Sum()(Squared()(identity(Linear(4, theta=np.round(fit.theta, 3))(X)), y))
    walk = StepperModel(loss)  # runs the backward pass
    picture = save(loss, folder / "lecture5.png", preset="slide")
    return [picture, walk.save_gif(folder / "lecture5_walk.gif", width=1280, seconds=2.0)]


def write_lecture_outputs(
    out_dir: str | os.PathLike,
    *,
    langs: Sequence[str] = ("en", "ru"),
    log: Callable[[str], object] = print,
) -> list[Path]:
    """Write every lecture artefact into ``out_dir``; return the files written."""
    from .plots import save_lecture_figures
    from .stepper import Stepper

    out = Path(out_dir)
    diagrams = out / "diagrams"
    written: list[Path] = []
    loss, _ = lecture_graph()
    for lang in langs:
        suffix = "" if lang == "en" else f"_{lang}"
        log(f"diagrams ({lang}) ...")
        written += save_all(loss, diagrams, f"lecture5_forward{suffix}", legend="present", lang=lang)
    loss.backward()
    for lang in langs:
        suffix = "" if lang == "en" else f"_{lang}"
        written += save_all(loss, diagrams, f"lecture5_backward{suffix}", legend="present", lang=lang)
        written += save_all(loss, diagrams, f"lecture5_backward_slide{suffix}", preset="slide", lang=lang)
        for theme in THEMES:
            if theme not in ("lecture", "slide"):
                written += save_all(
                    loss, diagrams, f"lecture5_backward_{theme}{suffix}", formats=("svg", "png"), theme=theme, lang=lang
                )
    for lang in langs:
        suffix = "" if lang == "en" else f"_{lang}"
        log(f"figures ({lang}) ...")
        written += save_lecture_figures(out / f"figures{suffix}", lang=lang, formats=("png", "svg"))
        log(f"walk-through ({lang}) ...")
        stepper = Stepper(lecture_graph()[0], lang=lang)
        written.append(Path(stepper.to_html(out / f"walkthrough{suffix}.html")))
        if lang == "en":
            written += [Path(p) for p in stepper.save_frames(out / "frames", fmt="svg")]
    for lang in langs:
        suffix = "" if lang == "en" else f"_{lang}"
        log(f"debugging example ({lang}) ...")
        written += _debugging_example(out / "debugging", suffix, lang)
    return written


def _debugging_example(directory: Path, suffix: str, lang: str) -> list[Path]:
    """The lecture graph with :class:`StudentSquared`: the report and the graph with the culprit in red."""
    loss, _ = lecture_graph(squared=StudentSquared)
    loss.backward()
    report = gad.check(loss, lang=lang)
    directory.mkdir(parents=True, exist_ok=True)
    text = directory / f"report{suffix}.txt"
    text.write_text(str(report) + "\n", encoding="utf-8")
    written = save_all(loss, directory, f"student_squared{suffix}", report=report, legend="present", lang=lang)
    slide = save_all(loss, directory, f"student_squared_slide{suffix}", report=report, preset="slide", lang=lang)
    return [text, *written, *slide]
