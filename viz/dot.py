"""Running the Graphviz ``dot`` program: a timeout, and clear errors.

The PyPI package ``graphviz`` only writes DOT source and calls the ``dot``
program, which comes from the system's Graphviz. Everything in ``viz`` that
needs the program goes through :func:`run_dot`, so a missing program gives one
error that says how to install it, and a layout that takes too long stops
after ``timeout`` seconds instead of hanging the notebook.
"""

from __future__ import annotations

import subprocess
import warnings
from collections.abc import Sequence

import graphviz

__all__ = [
    "ENGINES",
    "INSTALL_HINT",
    "GraphvizNotFoundError",
    "GraphvizWarning",
    "RenderError",
    "RenderTimeoutError",
    "VizError",
    "run_dot",
]

INSTALL_HINT = (
    "Install Graphviz (the Python package 'graphviz' only calls the 'dot' program, it does not contain it):\n"
    "  Debian/Ubuntu:  sudo apt-get install graphviz\n"
    "  conda:          conda install -c conda-forge graphviz\n"
    "  macOS:          brew install graphviz\n"
    "then check that 'dot -V' works in a terminal (restart the Jupyter kernel after installing)."
)

ENGINES = ("dot", "neato")


class VizError(Exception):
    """Base class of the errors raised by ``viz``."""


class GraphvizNotFoundError(graphviz.ExecutableNotFound, VizError):
    """The Graphviz program (``dot``) is not installed or not on ``PATH``.

    A subclass of :class:`graphviz.ExecutableNotFound`, so code that already
    catches the ``graphviz`` package's error catches this one too.
    """

    def __init__(self, message: str) -> None:
        RuntimeError.__init__(self, message)


class RenderTimeoutError(VizError, TimeoutError):
    """Graphviz did not finish the layout within the timeout."""


class RenderError(VizError, RuntimeError):
    """Graphviz exited with an error (its message is included)."""


class GraphvizWarning(UserWarning):
    """Graphviz succeeded but printed warnings (shown with this category)."""


def run_dot(
    source: str,
    fmt: str,
    *,
    timeout: float | None = 30.0,
    engine: str = "dot",
    args: Sequence[str] = (),
) -> bytes:
    """Lay out and draw DOT ``source`` with Graphviz; return the output bytes.

    Parameters
    ----------
    source : str
        DOT source (UTF-8 text).
    fmt : str
        Graphviz output format: ``"svg"``, ``"pdf"``, ``"png"``, ``"dot"``, ...
    timeout : float or None, default 30
        Seconds to wait for Graphviz; ``None`` waits forever.
    engine : {"dot", "neato"}
        The layout program.
    args : sequence of str
        Extra command-line arguments (e.g. ``["-Gdpi=150"]``).

    Returns
    -------
    bytes
        What Graphviz wrote to its standard output.

    Raises
    ------
    GraphvizNotFoundError
        The program is not installed (the message says how to install it).
    RenderTimeoutError
        The layout took longer than ``timeout`` seconds (the process is killed).
    RenderError
        Graphviz reported an error.

    Examples
    --------
    >>> run_dot("digraph { a -> b }", "svg")[:5]
    b'<?xml'
    """
    if engine not in ENGINES:
        raise ValueError(f"run_dot: engine must be one of {ENGINES}, got {engine!r}")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"run_dot: timeout must be a positive number of seconds or None, got {timeout!r}")
    command = [engine, f"-T{fmt}", *args]
    try:
        done = subprocess.run(command, input=source.encode("utf-8"), capture_output=True, timeout=timeout, check=False)
    except (FileNotFoundError, PermissionError, NotADirectoryError) as error:
        raise GraphvizNotFoundError(
            f"viz could not run the Graphviz program '{engine}' ({type(error).__name__}: it is not installed or not "
            f"on PATH). Drawing needs it.\n{INSTALL_HINT}"
        ) from None
    except subprocess.TimeoutExpired:
        raise RenderTimeoutError(
            f"Graphviz '{engine}' did not finish within timeout={timeout} s (the source has "
            f"{source.count(chr(10))} lines). Draw less (collapse=True, only_grad_path=True, or render a tensor "
            f"to draw only what it depends on) or pass a larger timeout=..."
        ) from None
    message = done.stderr.decode("utf-8", errors="replace").strip()
    if done.returncode != 0:
        raise RenderError(f"Graphviz '{engine} -T{fmt}' failed with exit code {done.returncode}: {message}")
    if message:
        warnings.warn(f"Graphviz '{engine} -T{fmt}': {message}", GraphvizWarning, stacklevel=2)
    return done.stdout
