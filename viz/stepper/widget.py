"""The step debugger widget: :class:`Stepper` is a :class:`~viz.stepper.StepperModel` whose widget is the viewer.

The widget is :class:`viz.viewer.Viewer` (anywidget): the frames, texts and
hover cards of the whole walk go to the browser once (:func:`viz.viewer.build_payload`),
and stepping happens there, without a kernel round trip per click. The
model's ``step_index`` and the widget's ``step`` are linked both ways, so
``stepper.goto(3)`` moves the picture and a click moves the model. The
exported page (:meth:`StepperModel.to_html`) runs the same front end.

:class:`Stepper` *is* the model (no forwarding methods); this module adds the
widget, its display in Jupyter, and :meth:`Stepper.close`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphviz_autodiff.graph import Graph
from graphviz_autodiff.tensor import Tensor

from .model import StepperModel

if TYPE_CHECKING:
    from ..viewer.widget import Viewer

__all__ = ["Stepper"]


class Stepper(StepperModel):
    """The step debugger widget: ``display(stepper)``, or leave it as the last expression of a cell.

    A :class:`StepperModel` (``next() back() goto(k) reset() run_to(node)
    run_to_problem() n_steps step_index current describe() svg()
    to_html(path) save_frames(dir, fmt)``, all without a browser) whose
    :attr:`widget`, the viewer, shows the same frames and texts and follows
    :attr:`step_index` both ways.

    Parameters
    ----------
    tensor_or_graph, direction, lang, report, width_px, **render_options
        As for :class:`StepperModel`.
    payload_options : dict, optional
        Options of :func:`viz.viewer.build_payload` for the widget (``check``, ``min_font_px``, ...).

    Examples
    --------
    >>> import numpy as np
    >>> import viz
    >>> from graphviz_autodiff.ops import Identity, Linear, Squared, Sum
    >>> L = Sum()(Squared()(Identity()(Linear(4)(np.eye(3, 4))), np.ones(3)))
    >>> stepper = viz.Stepper(L, lang="ru")
    >>> stepper.run_to("Identity"), stepper.current.label
    (3, 'Identity')
    >>> stepper.widget.step  # the viewer follows the model ...
    3
    >>> stepper.widget.step = 1  # ... and the model the viewer
    >>> stepper.current.label
    'Sum'
    >>> stepper.close()
    """

    def __init__(
        self,
        tensor_or_graph: Tensor | Graph,
        direction: str = "backward",
        lang: str = "en",
        *,
        report: Any = None,
        width_px: float = 1400.0,
        payload_options: dict[str, Any] | None = None,
        **render_options: Any,
    ) -> None:
        super().__init__(tensor_or_graph, direction, lang, report=report, width_px=width_px, **render_options)
        self.payload_options = dict(payload_options or {})
        self._widget: Viewer | None = None

    @property
    def widget(self) -> Viewer:
        """The viewer (:class:`viz.viewer.Viewer`), built on first use and linked to :attr:`step_index`."""
        if self._widget is None:
            from ..viewer.widget import Viewer

            self._widget = Viewer.from_model(self, **self.payload_options)
        return self._widget

    def close(self) -> None:
        """Close the widget and its comm (the front end drops it); stepping from Python still works.

        Displaying the stepper again builds a new widget.
        """
        if self._widget is not None:
            self._widget.close()
            self._widget = None

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        # The widget's own bundle (anywidget gives IPython a (data, metadata) pair).
        return self.widget._repr_mimebundle_(include=include, exclude=exclude)
