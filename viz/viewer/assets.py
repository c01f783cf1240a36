"""The viewer's front-end files, read from ``viz/viewer/static/`` and joined into one ES module.

``viewer.js`` uses svg-pan-zoom (vendored, unmodified, in ``static/vendor/``). The library is a UMD
bundle that sets ``window.svgPanZoom``; :func:`esm` runs it inside a function where ``define`` is hidden
(so an AMD loader on the page is not used), takes the function and restores ``window.svgPanZoom`` as it
was, and declares it as ``const svgPanZoom`` before the viewer's code. The widget sends that module to
the front end (``Viewer._esm``); the exported page inlines it followed by ``page.js``.

The library's own header names its home page; :func:`esm` replaces that comment line with one without a
URL (the page must not contain any), and prepends the licence text, as the BSD-2-Clause licence asks.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

__all__ = ["LIBRARY", "LIBRARY_VERSION", "css", "esm", "page_adapter", "read"]

LIBRARY = "svg-pan-zoom"
LIBRARY_VERSION = "3.6.2"
_LIBRARY_FILE = "vendor/svg-pan-zoom.min.js"
_LICENSE_FILE = "vendor/svg-pan-zoom.LICENSE"
_HOME_COMMENT = "// https://github.com/bumbu/svg-pan-zoom"


def read(name: str) -> str:
    """The text of ``viz/viewer/static/<name>`` (UTF-8).

    Raises
    ------
    FileNotFoundError
        No such file in the installed package (a broken install: ``package_data`` in ``setup.cfg``).
    """
    return resources.files("viz.viewer").joinpath("static", name).read_text(encoding="utf-8")


def _library() -> str:
    code = read(_LIBRARY_FILE)
    if _HOME_COMMENT not in code:
        raise RuntimeError(f"viz.viewer: {_LIBRARY_FILE} is not the vendored {LIBRARY} {LIBRARY_VERSION}")
    code = code.replace(_HOME_COMMENT, f"// {LIBRARY} {LIBRARY_VERSION} (npm), BSD-2-Clause, see the licence above")
    licence = "\n".join(f"// {line}".rstrip() for line in read(_LICENSE_FILE).splitlines())
    return (
        f"// ---- {LIBRARY} {LIBRARY_VERSION}, vendored unmodified; its licence:\n{licence}\n"
        "const svgPanZoom = (() => {\n"
        "  const define = undefined; // no AMD loader: the bundle then sets window.svgPanZoom\n"
        "  const had = Object.prototype.hasOwnProperty.call(window, 'svgPanZoom');\n"
        "  const before = window.svgPanZoom;\n"
        f"{code}\n"
        "  const lib = window.svgPanZoom;\n"
        "  if (had) window.svgPanZoom = before; else delete window.svgPanZoom;\n"
        "  return lib;\n"
        "})();\n"
    )


@cache
def esm() -> str:
    """The front end as one ES module: the vendored library, then ``viewer.js`` (``export default {render}``)."""
    return _library() + "// ---- viewer.js\n" + read("viewer.js")


@cache
def css() -> str:
    """The viewer's stylesheet (``viewer.css``)."""
    return read("viewer.css")


@cache
def page_adapter() -> str:
    """``page.js``: the model interface over the payload embedded in an exported page."""
    return read("page.js")
