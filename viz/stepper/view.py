"""The stepper's ipywidgets view: buttons, slider, picture and text over a model.

This module's one job is :class:`_View`, the widgets of a
:class:`viz.stepper.Stepper` (built on first display). They hold no logic:
every button calls the :class:`~viz.stepper.StepperModel`, and the picture
and text follow its ``step_index``; an error raised by a button is shown in
the status line, not swallowed.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import traitlets

from graphviz_autodiff.i18n import tr

from .walkthrough import _ERROR_STYLE

if TYPE_CHECKING:
    from .model import StepperModel

# -- the widget -----------------------------------------------------------------------------------------
_CSS = """<style>
.gad-stepper-picture { overflow: auto; max-height: 75vh; border: 1px solid #dddddd; }
.gad-stepper-picture.gad-fit svg { max-width: 100%; height: auto; }
.gad-stepper-status { min-height: 1.4em; }
</style>"""


class _View:
    """The ipywidgets of a :class:`Stepper` (built on first display; they only call the model)."""

    def __init__(self, model: StepperModel) -> None:
        import ipywidgets as w

        self.model = model
        lang = model.lang
        n = model.n_steps

        def button(key: str, css: str) -> Any:
            b = w.Button(
                description=tr(f"button.{key}", lang), tooltip=tr(f"tooltip.{key}", lang), layout=w.Layout(width="auto")
            )
            b.add_class(css)
            return b

        self.first = button("first", "gad-first")
        self.back = button("back", "gad-back")
        self.next = button("next", "gad-next")
        self.last = button("last", "gad-last")
        self.play = w.Play(
            value=model.step_index,
            min=0,
            max=n,
            step=1,
            interval=800,
            show_repeat=False,
            description=tr("tooltip.play", lang),
        )
        self.play.add_class("gad-play")
        self.speed = w.IntSlider(
            value=800,
            min=100,
            max=3000,
            step=100,
            description=tr("label.speed", lang),
            continuous_update=False,
            tooltip=tr("tooltip.speed", lang),
            layout=w.Layout(width="260px"),
        )
        self.speed.add_class("gad-speed")
        self.slider = w.IntSlider(
            value=model.step_index,
            min=0,
            max=n,
            description=tr("label.step", lang),
            tooltip=tr("tooltip.slider", lang),
            layout=w.Layout(width="340px"),
        )
        self.slider.add_class("gad-slider")
        options = [(f"{model.title(s.node)} · {s.index + 1}", s.node) for s in model.steps]
        self.target = w.Dropdown(
            options=options, value=options[0][1] if options else None, layout=w.Layout(width="220px")
        )
        self.target.add_class("gad-target")
        self.run_to = button("run_to", "gad-run-to")
        self.problem = button("problem", "gad-problem")
        self.fit = w.ToggleButton(
            value=True,
            description=tr("button.fit", lang),
            tooltip=tr("tooltip.fit", lang),
            layout=w.Layout(width="auto"),
        )
        self.fit.add_class("gad-fit-toggle")
        self.status = w.HTML()
        self.status.add_class("gad-stepper-status")
        self.picture = w.HTML()
        self.picture.add_class("gad-stepper-picture")
        self.picture.add_class("gad-fit")
        self.text = w.HTML()
        self.text.add_class("gad-stepper-text-widget")

        w.link((self.speed, "value"), (self.play, "interval"))
        self._links = [
            traitlets.link((model, "step_index"), (self.slider, "value")),
            traitlets.link((model, "step_index"), (self.play, "value")),
        ]
        self.first.on_click(self._guard(model.reset))
        self.back.on_click(self._guard(model.back))
        self.next.on_click(self._guard(model.next))
        self.last.on_click(self._guard(model.last))
        self.run_to.on_click(self._guard(lambda: self._reached(model.run_to(self.target.value))))
        self.problem.on_click(self._guard(lambda: self._stopped(model.run_to_problem())))
        self.fit.observe(self._fit, names="value")
        model.observe(self._refresh, names="step_index")

        controls = w.HBox([self.first, self.back, self.next, self.last, self.play, self.speed])
        jumps = w.HBox([self.slider, self.target, self.run_to, self.problem, self.fit])
        self.box = w.VBox([w.HTML(_CSS), controls, jumps, self.status, self.picture, self.text])
        self.box.add_class("gad-stepper")
        self._refresh()

    def _guard(self, action: Callable[[], Any]) -> Callable[[Any], None]:
        """A click handler that calls ``action`` and shows any exception in the status line (then re-raises)."""

        def handler(_: Any) -> None:
            try:
                action()
            except Exception as error:
                self._error_status(f"✗ {type(error).__name__}: {error}")
                raise

        return handler

    def _counter(self) -> str:
        return html.escape(tr("status.counter", self.model.lang, k=self.model.step_index, n=self.model.n_steps))

    def _reached(self, k: int) -> None:
        step = self.model.current
        if step is not None:
            self.status.value = html.escape(
                tr("status.reached", self.model.lang, k=k, label=step.label, node=step.node)
            )

    def _stopped(self, k: int | None) -> None:
        model = self.model
        if k is None:
            self.status.value = html.escape(tr("status.no_problem", model.lang, k=model.step_index))
            return
        kinds = [p.kind for p in model.problems(k)]
        names = [
            tr(f"problem.{kind}" if kind in ("failed", "nonfinite") else f"kind.{kind}", model.lang, default=kind)
            for kind in kinds
        ]
        self._error_status(tr("status.problem", model.lang, k=k, kind=", ".join(names)))

    def _error_status(self, message: str) -> None:
        self.status.value = f'<span style="{_ERROR_STYLE}">{html.escape(message)}</span>'

    def _fit(self, change: Any) -> None:
        if change["new"]:
            self.picture.add_class("gad-fit")
        else:
            self.picture.remove_class("gad-fit")

    def _refresh(self, change: Any = None) -> None:
        model = self.model
        self.status.value = self._counter()
        self.text.value = model.describe_html()
        try:
            self.picture.value = model.svg()
        except Exception as error:  # shown in the widget, never swallowed silently
            message = tr("status.draw_error", model.lang, error=f"{type(error).__name__}: {error}")
            self.picture.value = f'<pre style="{_ERROR_STYLE};white-space:pre-wrap">{html.escape(message)}</pre>'
