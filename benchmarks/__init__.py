"""Benchmarks of graphviz_autodiff against hand-written NumPy, PyTorch CPU, HIPS autograd and bare ``dot``.

Run them all with ``python -m benchmarks`` (or ``make bench``); see
``python -m benchmarks --help``. Each benchmark is a module with one function
``bench_NAME(quick: bool = False, **sizes) -> list[dict]`` returning rows built
with :func:`benchmarks._timing.row` (``benchmark``, ``case``, ``value``,
``unit``, ``ratio``, ``baseline``, ``target``, ``meets_target``, ``status``,
``note``). Ratios are measured in the same process run, contenders
interleaved, medians of several repetitions: absolute times on a shared
machine are noise, ratios are not.

A peer library that is not installed gives a row with status
``"not installed"``; a part of the library that has not landed yet gives
``"not available yet"``. The test suite runs every benchmark once at a tiny
size (``tests/benchmarks``); it never asserts on time.
"""

__all__: list[str] = []
