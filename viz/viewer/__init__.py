"""The step viewer: one front end, in the browser, for the Jupyter widget and the exported HTML page.

A walk (every frame of a stepper, its texts, a hover card per node, the UI words) is turned into one JSON
payload by :func:`build_payload`; the browser then steps through it alone, without a kernel round trip per
click. The same ES module (``static/viewer.js``, with svg-pan-zoom vendored in ``static/vendor/``) runs in

* :class:`Viewer`, an anywidget widget whose ``step`` trait is synced both ways
  (``Viewer.from_model(model)`` also links it to ``model.step_index``): ``viz.Stepper``'s widget, and
* :func:`to_html`, a self-contained page (no network at all) with the same controls:
  ``StepperModel.to_html`` writes it.

Controls: first / back / next / last, Play with its speed, a slider, a clickable step list, run to a node,
next problem, fit / zoom in / zoom out / reset view; drag to pan, Ctrl + wheel to zoom; keys ← → Home End
and space (when the viewer has the focus or the pointer). The picture opens at a zoom where the values are
at least ``min_font_px`` on screen, centred on the current node, and stays centred on it at every step.

Examples
--------
>>> import numpy as np, tempfile, os, viz
>>> from graphviz_autodiff.ops import Squared, Sum
>>> model = viz.StepperModel(Sum()(Squared()(np.array([1.0, 2.0]), np.zeros(2))))
>>> payload = build_payload(model)
>>> to_html(payload, os.path.join(tempfile.mkdtemp(), "walk.html")).suffix
'.html'
>>> from viz.viewer import Viewer
>>> Viewer.from_model(model).step
0
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .page import page_html, to_html
from .payload import CHECK_LIMIT, PAYLOAD_VERSION, STATES_SHOWN, StepSource, build_payload, summarize
from .strings import KEYS, LANGS, strings

if TYPE_CHECKING:
    from .widget import Viewer

__all__ = [
    "CHECK_LIMIT",
    "KEYS",
    "LANGS",
    "PAYLOAD_VERSION",
    "STATES_SHOWN",
    "StepSource",
    "Viewer",
    "build_payload",
    "page_html",
    "strings",
    "summarize",
    "to_html",
]


def __getattr__(name: str) -> Any:
    # The widget imports anywidget and ipywidgets: only when it is asked for.
    if name == "Viewer":
        from .widget import Viewer

        return Viewer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
