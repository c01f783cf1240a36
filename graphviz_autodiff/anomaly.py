"""Anomaly mode: stop at the first NaN or infinity, naming the node and the line that made it.

Inside ``with detect_anomaly():`` (compare :func:`torch.autograd.detect_anomaly`):

* every recorded op call remembers the ``file:line`` of the code that made
  it (the graph node attribute ``site``);
* the first op call whose ``forward`` output holds a NaN or an infinity raises
  :class:`~graphviz_autodiff.errors.NonFiniteError` at once, naming the op,
  its graph node and that line;
* during a backward pass, the first ``backward`` that returns (or sets on a
  parameter) a non-finite gradient raises the same error, naming the node
  and the line of its forward call.

Anomaly mode costs a finiteness test per array and a stack walk per call; use
it to find a NaN, not for training.

Examples
--------
>>> import numpy as np
>>> import graphviz_autodiff as gad
>>> from graphviz_autodiff.ops import Log
>>> with gad.detect_anomaly():
...     try:
...         Log()(np.array([-1.0]))
...     except gad.errors.NonFiniteError as error:
...         print("caught:", str(error).split(" (")[0])
caught: Log.forward produced 1 NaN of 1 value
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .context import get_mode, reset_mode, set_mode

__all__ = ["detect_anomaly", "is_anomaly_enabled"]


@contextmanager
def detect_anomaly(enabled: bool = True) -> Iterator[None]:
    """Raise at the first non-finite value in forward or backward inside the block.

    Parameters
    ----------
    enabled : bool, default True
        ``detect_anomaly(False)`` turns anomaly mode off inside the block
        (inside an outer ``detect_anomaly()``, for a part known to make
        infinities on purpose).

    Raises
    ------
    graphviz_autodiff.errors.NonFiniteError
        From the op call or backward step that made the first NaN or Inf.

    Notes
    -----
    The previous setting is restored on exit, also when the block raises,
    so blocks nest. The setting is per thread (and per
    :mod:`contextvars` context). Works as a decorator too (``@detect_anomaly()``).
    """
    token = set_mode(get_mode().but(anomaly=bool(enabled)))
    try:
        yield
    finally:
        reset_mode(token)


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode is on (in this thread)."""
    return get_mode().anomaly
