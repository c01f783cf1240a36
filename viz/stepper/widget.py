"""The step debugger widget: :class:`Stepper` is a :class:`~viz.stepper.StepperModel` plus its view.

This module's one job is the ipywidgets view of a model. :class:`StepperView`
holds the widgets (built on first display); they hold no logic: every button
calls a model method, and the picture and text follow the model's
``step_index``; an error raised by a button is shown in the status line, not
swallowed. :class:`Stepper` *is* the model (no forwarding methods) and adds
the view, its display in Jupyter, and :meth:`Stepper.close`.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import traitlets

from graphviz_autodiff.graph import Graph
from graphviz_autodiff.i18n import tr
from graphviz_autodiff.tensor import Tensor

from .model import StepperModel
from .problems import kind_name
from .walkthrough import ERROR_STYLE

__all__ = ["Stepper", "StepperView"]

# -- the widget -----------------------------------------------------------------------------------------
_CSS = """<style>
.gad-stepper-picture { overflow: auto; max-height: 75vh; border: 1px solid #dddddd; }
.gad-stepper-picture.gad-fit svg { max-width: 100%; height: auto; }
.gad-stepper-status { min-height: 1.4em; }
</style>"""


class StepperView:
    """The ipywidgets of a stepper model: buttons, Play, slider, run-to, picture and text.

    Parameters
    ----------
    model : StepperModel
        What the widgets show and call.

    Attributes
    ----------
    box : ipywidgets.VBox
        The widget to display.
    first, back, next, last, run_to, problem : ipywidgets.Button
    play : ipywidgets.Play
    speed, slider : ipywidgets.IntSlider
    target : ipywidgets.Dropdown
    fit : ipywidgets.ToggleButton
    status, picture, text : ipywidgets.HTML
    """

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

        self._links = [
            traitlets.link((self.speed, "value"), (self.play, "interval")),
            traitlets.link((model, "step_index"), (self.slider, "value")),
            traitlets.link((model, "step_index"), (self.play, "value")),
        ]
        self._clicks = [
            (self.first, self._guard(model.reset)),
            (self.back, self._guard(model.back)),
            (self.next, self._guard(model.next)),
            (self.last, self._guard(model.last)),
            (self.run_to, self._guard(lambda: self._reached(model.run_to(self.target.value)))),
            (self.problem, self._guard(lambda: self._stopped(model.run_to_problem()))),
        ]
        for b, handler in self._clicks:
            b.on_click(handler)
        self.fit.observe(self._fit, names="value")
        model.observe(self._refresh, names="step_index")

        controls = w.HBox([self.first, self.back, self.next, self.last, self.play, self.speed])
        jumps = w.HBox([self.slider, self.target, self.run_to, self.problem, self.fit])
        self.box = w.VBox([w.HTML(_CSS), controls, jumps, self.status, self.picture, self.text])
        self.box.add_class("gad-stepper")
        self._refresh()

    def close(self) -> None:
        """Close every widget (and its comm), and stop following the model; the view cannot be shown again."""
        self.model.unobserve(self._refresh, names="step_index")
        self.fit.unobserve(self._fit, names="value")
        for b, handler in self._clicks:
            b.on_click(handler, remove=True)
        self._clicks = []
        for link in self._links:
            link.unlink()
        self._links = []
        _close_tree(self.box)

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
        names = [kind_name(kind, model.lang) for kind in kinds]
        self._error_status(tr("status.problem", model.lang, k=k, kind=", ".join(names)))

    def _error_status(self, message: str) -> None:
        self.status.value = f'<span style="{ERROR_STYLE}">{html.escape(message)}</span>'

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
            self.picture.value = f'<pre style="{ERROR_STYLE};white-space:pre-wrap">{html.escape(message)}</pre>'


def _close_tree(widget: Any) -> None:
    """Close ``widget``, every widget inside it, and their ``layout`` and ``style`` widgets (each has a comm)."""
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if part is not None:
            part.close()
    widget.close()


class Stepper(StepperModel):
    """The step debugger widget: ``display(stepper)``, or leave it as the last expression of a cell.

    A :class:`StepperModel` (``next() back() goto(k) reset() run_to(node)
    run_to_problem() n_steps step_index current describe() svg()
    to_html(path) save_frames(dir, fmt)``, all without a browser) whose view
    (:attr:`view`, built on first display) shows the same frames and texts
    and follows :attr:`step_index` both ways.

    Parameters
    ----------
    tensor_or_graph, direction, lang, report, **render_options
        As for :class:`StepperModel`.

    Examples
    --------
    >>> import numpy as np
    >>> import viz
    >>> from graphviz_autodiff.ops import Identity, Linear, Squared, Sum
    >>> L = Sum()(Squared()(Identity()(Linear(4)(np.eye(3, 4))), np.ones(3)))
    >>> stepper = viz.Stepper(L, lang="ru")
    >>> stepper.run_to("Identity"), stepper.current.label
    (3, 'Identity')
    >>> 'class="node current op"' in stepper.svg()
    True
    """

    def __init__(
        self,
        tensor_or_graph: Tensor | Graph,
        direction: str = "backward",
        lang: str = "en",
        *,
        report: Any = None,
        **render_options: Any,
    ) -> None:
        super().__init__(tensor_or_graph, direction, lang, report=report, **render_options)
        self._view: StepperView | None = None

    @property
    def view(self) -> StepperView:
        """The widgets (``view.next``, ``view.slider``, ``view.picture``, ``view.text``, ...), built on first use."""
        if self._view is None:
            self._view = StepperView(self)
        return self._view

    @property
    def widget(self) -> Any:
        """The ``ipywidgets.VBox`` to display."""
        return self.view.box

    def close(self) -> None:
        """Close the widgets and their comms (the front end drops them); stepping from Python still works.

        Displaying the stepper again builds a new view.
        """
        if self._view is not None:
            self._view.close()
            self._view = None

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return self.widget._repr_mimebundle_(include=include, exclude=exclude)
