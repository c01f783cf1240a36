"""The exported walk: one self-contained HTML page running the same front end as the widget.

:func:`to_html` writes the payload (:func:`viz.viewer.build_payload`) as JSON inside the page, the
viewer's CSS, and one module script: the vendored svg-pan-zoom, ``viewer.js`` and the small ``page.js``
adapter that gives ``viewer.js`` the widget's model interface over that JSON. Nothing is loaded from
anywhere: no ``src=`` or ``href=`` to a file or URL, and a ``Content-Security-Policy`` of
``default-src 'none'`` forbids any request, so the page works from a USB stick, an LMS or an e-mail.

The page follows the system's light or dark preference (``prefers-color-scheme``) through the same
``--jp-*`` CSS variables JupyterLab defines.

Examples
--------
>>> import numpy as np, tempfile, os, viz
>>> from graphviz_autodiff.ops import Squared, Sum
>>> model = viz.StepperModel(Sum()(Squared()(np.array([1.0, 2.0]), np.zeros(2))))
>>> from viz.viewer import build_payload
>>> path = to_html(build_payload(model), os.path.join(tempfile.mkdtemp(), "walk.html"))
>>> text = path.read_text(encoding="utf-8")
>>> "<script src" in text, 'id="gad-payload"' in text
(False, True)
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any

from .assets import css, esm, page_adapter

__all__ = ["page_html", "to_html"]

# The variables JupyterLab's themes define, for the page (light, and dark when the system prefers it).
_THEME = """
:root { color-scheme: light dark; }
body.gad-page {
  --jp-layout-color0: #ffffff; --jp-layout-color1: #ffffff; --jp-layout-color2: #eeeeee;
  --jp-layout-color3: #bdbdbd; --jp-ui-font-color0: rgba(0, 0, 0, 1); --jp-ui-font-color1: rgba(0, 0, 0, 0.87);
  --jp-ui-font-color2: rgba(0, 0, 0, 0.54); --jp-border-color1: #bdbdbd; --jp-border-color2: #e0e0e0;
  --jp-brand-color1: #1976d2; --jp-brand-color3: #bbdefb; --jp-error-color1: #d32f2f; --jp-warn-color0: #e65100;
  margin: 1em 2em; background: var(--jp-layout-color0); color: var(--jp-ui-font-color1);
  font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
}
@media (prefers-color-scheme: dark) {
  body.gad-page {
    --jp-layout-color0: #111111; --jp-layout-color1: #212121; --jp-layout-color2: #424242;
    --jp-layout-color3: #616161; --jp-ui-font-color0: rgba(255, 255, 255, 1);
    --jp-ui-font-color1: rgba(255, 255, 255, 0.87); --jp-ui-font-color2: rgba(255, 255, 255, 0.54);
    --jp-border-color1: #616161; --jp-border-color2: #424242; --jp-brand-color1: #64b5f6;
    --jp-brand-color3: #0d47a1; --jp-error-color1: #ef5350; --jp-warn-color0: #ffb74d;
  }
}
body.gad-page h1 { font-size: 1.3em; margin: 0 0 0.5em 0; }
"""

_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
    "font-src data:; base-uri 'none'; form-action 'none'"
)


def _json_for_script(payload: dict[str, Any]) -> str:
    """``payload`` as JSON that is safe inside ``<script type="application/json">`` (no ``<``, ``>``, ``&``)."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _script(code: str) -> str:
    """Code for an inline ``<script>``; ``</script`` or ``<!--`` inside it would end or confuse the element."""
    lowered = code.lower()
    if "</script" in lowered or "<!--" in lowered:
        raise ValueError("viz.viewer: the front-end code contains '</script' or '<!--' and cannot be inlined")
    return code


def page_html(payload: dict[str, Any], *, title: str | None = None) -> str:
    """The page's HTML text (see :func:`to_html`)."""
    if not isinstance(payload, dict) or "version" not in payload or "svg" not in payload:
        raise ValueError("to_html: payload must be a dict from viz.viewer.build_payload")
    title = title if title is not None else str(payload.get("title") or "")
    lang = str(payload.get("lang", "en"))
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(lang, quote=True)}">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_THEME}</style>",
        f"<style>{_script(css())}</style>",
        "</head>",
        f'<body class="gad-page" data-step="{int(payload.get("start", 0))}">',
        f"<h1>{html.escape(title)}</h1>",
        '<div id="gad-viewer"></div>',
        f'<script type="application/json" id="gad-payload">{_json_for_script(payload)}</script>',
        f'<script type="module">\n{_script(esm())}\n{_script(page_adapter())}\n</script>',
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


def to_html(payload: dict[str, Any], path: str | os.PathLike, *, title: str | None = None) -> Path:
    """Write one self-contained HTML page that steps through the walk of ``payload``.

    Parameters
    ----------
    payload : dict
        From :func:`viz.viewer.build_payload`.
    path : str or path-like
        The ``.html`` file to write (parent directories are created; written atomically).
    title : str, optional
        The page's title and heading (default: ``payload["title"]``).

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    ValueError
        ``payload`` is not a viewer payload, or holds NaN/Inf numbers (not JSON).
    """
    data = page_html(payload, title=title).encode("utf-8")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
