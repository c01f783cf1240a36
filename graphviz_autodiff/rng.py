"""The library's random number generator (parameter initialisation, Dropout).

Seeded with 0 at import, so a script that builds the same model twice gets
the same weights and the same drawings; reseed with :func:`manual_seed`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["default_rng", "get_generator", "manual_seed", "set_generator"]

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reseed the generator used for parameter initialisation and dropout."""
    global _generator
    _generator = np.random.default_rng(seed)


def get_generator() -> np.random.Generator:
    """The library's shared generator (what :func:`default_rng` returns without a seed)."""
    return _generator


def set_generator(generator: np.random.Generator) -> None:
    """Make ``generator`` the library's shared generator (the debugger restores a snapshot with it)."""
    global _generator
    _generator = generator


def default_rng(seed: int | None = None) -> np.random.Generator:
    """A generator: a fresh one for ``seed``, else the library's shared one."""
    return np.random.default_rng(seed) if seed is not None else _generator
