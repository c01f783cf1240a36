"""The viewer as a Jupyter widget (anywidget): the walk is sent once, stepping happens in the browser.

:class:`Viewer` holds the payload (:func:`viz.viewer.build_payload`) and the current ``step`` as synced
traits. A click in the browser moves the picture at once and then sets ``step`` in the kernel; setting
``step`` in Python moves the picture. :meth:`Viewer.from_model` builds the payload of a stepper model and
links ``model.step_index`` and ``viewer.step`` both ways, so ``stepper.goto(3)`` moves the view and a
click moves the model.

anywidget works in JupyterLab, Notebook 7, VS Code, Colab and Voila; its JupyterLab extension comes
with the pip package.

Examples
--------
>>> import numpy as np, viz
>>> from graphviz_autodiff.ops import Squared, Sum
>>> model = viz.StepperModel(Sum()(Squared()(np.array([1.0, 2.0]), np.zeros(2))))
>>> viewer = Viewer.from_model(model)
>>> viewer.step = 2
>>> model.step_index, model.current.label
(2, 'Squared')
>>> model.back(), viewer.step
(1, 1)
"""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets

from .assets import css, esm
from .payload import PAYLOAD_VERSION, StepSource, build_payload

__all__ = ["Viewer"]


class Viewer(anywidget.AnyWidget):
    """The step viewer widget.

    Parameters
    ----------
    payload : dict
        From :func:`viz.viewer.build_payload`.
    step : int, optional
        The step shown first (default: ``payload["start"]``).
    speed : int, default 800
        Milliseconds per step while playing (100 … 3000).

    Attributes
    ----------
    payload : dict (synced)
        Replacing it redraws the view with the new walk.
    step : int (synced both ways)
        0 … ``n_steps``.
    speed : int (synced both ways)
        Milliseconds per step while playing.
    lang : str (synced, read from the payload)
        The language of the payload's words; the front end sets it as the view's ``lang`` attribute.
    n_steps : int
        The payload's number of steps.

    Raises
    ------
    traitlets.TraitError
        A payload that is not from :func:`build_payload` (or of another version), or ``step`` outside
        ``0 … n_steps``.
    """

    _esm = esm()
    _css = css()

    payload = traitlets.Dict().tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)
    speed = traitlets.Int(800).tag(sync=True)
    lang = traitlets.Unicode("en", read_only=True).tag(sync=True)

    def __init__(self, payload: dict[str, Any], *, step: int | None = None, speed: int = 800, **kwargs: Any) -> None:
        self._links: list[Any] = []
        super().__init__(payload=payload, speed=speed, **kwargs)
        self.step = int(payload["start"]) if step is None else step

    @classmethod
    def from_model(cls, model: StepSource, *, link: bool = True, **payload_options: Any) -> Viewer:
        """A viewer of a stepper model, starting at its current step.

        Parameters
        ----------
        model : StepSource
            A :class:`viz.StepperModel` (or an object with the same public API).
        link : bool, default True
            Link ``model.step_index`` and :attr:`step` both ways (needs ``model`` to be a
            ``traitlets.HasTraits`` with a ``step_index`` trait).
        **payload_options
            Passed to :func:`build_payload` (``title``, ``check``, ``min_font_px``, ...).
        """
        viewer = cls(build_payload(model, **payload_options))
        if link:
            viewer.link(model)
        return viewer

    def link(self, model: Any, name: str = "step_index") -> None:
        """Keep ``model.<name>`` and :attr:`step` equal, both ways (``traitlets.link``)."""
        self._links.append(traitlets.link((model, name), (self, "step")))

    def unlink(self) -> None:
        """Undo every :meth:`link`."""
        for link in self._links:
            link.unlink()
        self._links.clear()

    def close(self) -> None:
        """Undo the links to models and close the widget's comm (the front end drops the view)."""
        self.unlink()
        super().close()

    @property
    def n_steps(self) -> int:
        """The number of steps of the payload's walk."""
        return int(self.payload["n_steps"])

    @traitlets.validate("payload")
    def _valid_payload(self, proposal: Any) -> dict[str, Any]:
        payload = proposal["value"]
        if payload.get("version") != PAYLOAD_VERSION or "svg" not in payload or "n_steps" not in payload:
            raise traitlets.TraitError(
                f"Viewer: payload must come from viz.viewer.build_payload (version {PAYLOAD_VERSION})"
            )
        return payload

    @traitlets.observe("payload")
    def _payload_changed(self, change: Any) -> None:
        self.set_trait("lang", str(change["new"].get("lang", "en")))
        if self.step > self.n_steps:
            self.step = self.n_steps

    @traitlets.validate("step")
    def _valid_step(self, proposal: Any) -> int:
        k = proposal["value"]
        n = self.n_steps if self.payload else 0
        if not 0 <= k <= n:
            raise traitlets.TraitError(f"Viewer: step {k} does not exist; steps go from 0 to {n}")
        return k

    @traitlets.validate("speed")
    def _valid_speed(self, proposal: Any) -> int:
        ms = proposal["value"]
        if not 100 <= ms <= 3000:
            raise traitlets.TraitError(f"Viewer: speed must be between 100 and 3000 ms per step, got {ms}")
        return ms

    def __repr__(self) -> str:
        return f"<Viewer: step {self.step} of {self.n_steps}>"
