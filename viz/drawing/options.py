"""The options of a drawing, checked once and handed to every part as one frozen :class:`RenderOptions`.

:func:`viz.render` calls :func:`validate_options` with its keyword arguments;
the parts of the drawing (:mod:`~viz.drawing.states`, :mod:`~viz.drawing.nodes`,
:mod:`~viz.drawing.clusters`, :mod:`~viz.drawing.overlays`) receive the
resulting object (or the few fields they need) as arguments.

Examples
--------
>>> opts = validate_options(rankdir="TB", precision=3)
>>> opts.rankdir, opts.precision, opts.theme.name
('TB', 3, 'lecture')
>>> node_id("n3"), node_id(3), node_id("x")
(3, 3, None)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from ..themes import LECTURE, Theme, get_theme
from .labels import LANGS

__all__ = ["LEGENDS", "OVERLAYS", "RANKDIRS", "STATES", "RenderOptions", "node_id", "validate_options"]

#: States a node can be drawn in (``render(states=...)`` accepts these). ``"inherited"``: the node's own
#: backward is right, but the gradient it received is already wrong (the debugger's ``"inherits_wrong"``).
STATES = ("pending", "current", "done", "failed", "nonfinite", "inherited")
#: Values of ``render(legend=...)`` besides ``False``: ``True`` is the standard legend (every kind and state;
#: ``inherited`` when a report is drawn or a node is in it), ``"present"`` lists only the kinds and states
#: in this picture (static pictures, slides), ``"all"`` every kind and state (the frames of a walk).
LEGENDS = (True, "present", "all")
OVERLAYS = ("grad_norm", "magnitude", "nonfinite")
RANKDIRS = ("LR", "TB", "RL", "BT")


@dataclass(frozen=True)
class RenderOptions:
    """Every option of :func:`viz.render`, checked (see its docstring for their meaning).

    ``collapse`` is the depth of the groups drawn as one node (``None``: no
    group is collapsed); ``states`` maps graph node ids to state overrides;
    ``legend`` is ``None`` (no legend), ``"standard"``, ``"present"`` or ``"all"``.
    """

    theme: Theme = LECTURE
    rankdir: str = "LR"
    precision: int = 4
    max_array: int = 6
    heatmap: bool = False
    show_edge_grads: bool = True
    show_shapes: bool = True
    overlay: str | None = None
    only_grad_path: bool = False
    collapse: int | None = None
    legend: str | None = None
    states: Mapping[int, str] | None = None
    report: Any = None
    fold_constants: bool = True
    lang: str = "en"
    title: str | None = None
    max_nodes: int | None = 500
    timeout: float | None = 30.0


#: The default of every option of :func:`viz.render` (:func:`validate_options` uses them for those left out).
_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(RenderOptions)}


def node_id(key: Any) -> int | None:
    """A graph node id from an int or a DOT name like ``"n3"`` (``None`` if neither)."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
        return int(key)
    if isinstance(key, str) and key[:1] == "n" and key[1:].isdigit():
        return int(key[1:])
    return None


def validate_options(**options: Any) -> RenderOptions:
    """Check the options of :func:`viz.render` (its keyword arguments) and return them as a :class:`RenderOptions`.

    An option left out takes its default, the :class:`RenderOptions` field's (the same as :func:`viz.render`'s).

    Raises
    ------
    TypeError
        An unknown option.
    ValueError
        An option outside its allowed values (the message names the option and lists them).
    """
    unknown = sorted(set(options) - set(_DEFAULTS))
    if unknown:
        raise TypeError(f"render: unknown option {unknown[0]!r} (the options: {', '.join(_DEFAULTS)})")
    o = {**_DEFAULTS, **options}
    theme = get_theme(o["theme"])
    _choice("rankdir", o["rankdir"], RANKDIRS)
    _choice("overlay", o["overlay"], (None, *OVERLAYS))
    _choice("lang", o["lang"], LANGS)
    collapse, timeout, title, report, max_nodes = o["collapse"], o["timeout"], o["title"], o["report"], o["max_nodes"]
    if collapse is True:
        depth = 0
    elif collapse is False or collapse is None:
        depth = None
    else:
        depth = _int("collapse", collapse, 0)
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ValueError(f"render: timeout must be a positive number of seconds or None, got {timeout!r}")
    if title is not None and not isinstance(title, str):
        raise ValueError(f"render: title must be a str or None, got {type(title).__name__}")
    if report is not None and not hasattr(report, "nodes"):
        raise ValueError(
            f"render: report must have a .nodes list of records (.node, .kind, .diagnosis, .max_rel_error), "
            f"got {type(report).__name__}"
        )
    return RenderOptions(
        theme=theme,
        rankdir=o["rankdir"],
        precision=_int("precision", o["precision"], 1, 17),
        max_array=_int("max_array", o["max_array"], 0),
        heatmap=_flag("heatmap", o["heatmap"]),
        show_edge_grads=_flag("show_edge_grads", o["show_edge_grads"]),
        show_shapes=_flag("show_shapes", o["show_shapes"]),
        overlay=o["overlay"],
        only_grad_path=_flag("only_grad_path", o["only_grad_path"]),
        collapse=depth,
        legend=_legend(o["legend"]),
        states=_states(o["states"]),
        report=report,
        fold_constants=_flag("fold_constants", o["fold_constants"]),
        lang=o["lang"],
        title=title,
        max_nodes=None if max_nodes is None else _int("max_nodes", max_nodes, 1),
        timeout=None if timeout is None else float(timeout),
    )


def _choice(option: str, value: Any, allowed: tuple) -> None:
    if value not in allowed:
        raise ValueError(f"render: {option} must be one of {', '.join(map(repr, allowed))}, got {value!r}")


def _flag(option: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"render: {option} must be True or False, got {value!r}")
    return bool(value)


def _legend(value: Any) -> str | None:
    if value is False or value is None or (isinstance(value, np.bool_) and not value):
        return None
    if value is True or isinstance(value, np.bool_):
        return "standard"
    if isinstance(value, str) and value in LEGENDS:
        return value
    raise ValueError(f"render: legend must be one of False, {', '.join(map(repr, LEGENDS))}, got {value!r}")


def _int(option: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"render: {option} must be an int >= {low}, got {value!r}")
    if high is not None and value > high:
        raise ValueError(f"render: {option} must be an int between {low} and {high}, got {value!r}")
    return int(value)


def _states(states: Mapping | None) -> dict[int, str]:
    if states is None:
        return {}
    if not isinstance(states, Mapping):
        raise ValueError(f"render: states must be a dict {{node id: state}}, got {type(states).__name__}")
    out = {}
    for key, state in states.items():
        node = node_id(key)
        if node is None:
            raise ValueError(f"render: states keys must be graph node ids (3 or 'n3'), got {key!r}")
        _choice(f"states[{key!r}]", state, STATES)
        out[node] = state
    return out
