"""The words the viewer shows (buttons, tooltips, hover card, status line), read from the one catalogue.

The front end has no words of its own: :func:`viz.viewer.payload.build_payload` puts :func:`strings` of the
stepper's language into the payload (``payload["strings"]``), and ``viewer.js`` reads it. The texts live in
the gettext catalogue of :mod:`graphviz_autodiff.i18n` under the keys of :data:`KEYS`; templates keep their
``{name}`` fields (``{k}``, ``{n}``, ...), which the front end fills in. The strings are plain text: the front
end sets them with ``textContent`` or as attribute values, never as HTML.

Examples
--------
>>> strings("ru")["button.next"]
'вперёд ▶'
>>> strings("en")["status.counter"]
'step {k} of {n}'
"""

from __future__ import annotations

from graphviz_autodiff.i18n import LANGS, check_lang, tr

__all__ = ["FIELDS", "KEYS", "LANGS", "strings"]

#: The catalogue keys of every word the front end shows.
KEYS = (
    "button.first",
    "button.back",
    "button.next",
    "button.last",
    "button.play",
    "button.pause",
    "button.run_to",
    "button.problem",
    "button.fit",
    "button.zoom_in",
    "button.zoom_out",
    "button.reset",
    "tooltip.first",
    "tooltip.back",
    "tooltip.next",
    "tooltip.last",
    "tooltip.play",
    "tooltip.speed",
    "tooltip.slider",
    "tooltip.target",
    "tooltip.run_to",
    "tooltip.problem",
    "tooltip.fit",
    "tooltip.zoom_in",
    "tooltip.zoom_out",
    "tooltip.reset",
    "label.speed",
    "label.step",
    "label.steps",
    "label.picture",
    "label.text",
    "label.keys",
    "legend.title",
    "status.counter",
    "status.no_problem",
    "status.problem",
    "status.reached",
    "status.draw_error",
    "list.start",
    "list.step",
    "target.option",
    "card.node",
    "card.kind.op",
    "card.kind.input",
    "card.kind.parameter",
    "card.kind.constant",
    "card.op",
    "card.shape",
    "card.dtype",
    "card.value",
    "card.grad",
    "card.chain",
    "card.scalar",
    "card.none",
    "card.pending",
    "card.no_grad",
    "card.stats",
    "card.nonfinite",
    "card.inherited",
)

#: The ``{fields}`` the front end fills in; :func:`strings` leaves them in the templates.
FIELDS = (
    "k",
    "n",
    "ms",
    "kind",
    "label",
    "node",
    "title",
    "min",
    "mean",
    "max",
    "nan",
    "inf",
    "size",
    "culprit",
    "error",
)


def strings(lang: str) -> dict[str, str]:
    """Every word of the viewer in ``lang``, as templates whose ``{fields}`` the front end fills in.

    Raises
    ------
    graphviz_autodiff.i18n.UnknownLanguageError
        ``lang`` is not one of :data:`LANGS` (also a :class:`ValueError`).
    """
    check_lang(lang, "viz.viewer")
    keep = {name: "{" + name + "}" for name in FIELDS}
    return {key: tr(key, lang, **keep) for key in KEYS}
