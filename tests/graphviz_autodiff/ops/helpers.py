"""One helper that makes each op test a single call: ``check_op`` (after tinygrad's ``helper_test_op``).

``check_op(make_op, torch_fn, shapes)`` builds random float64 inputs, then checks

1. forward against PyTorch (``torch_fn`` on the same inputs and parameters) to ``atol``/``rtol`` (1e-10);
2. backward against PyTorch's autograd, for every float input and every parameter, to 1e-10;
3. backward against central finite differences, to ``fd_rtol`` (1e-6) relative to the gradient's scale;
4. that the op honours ``needs_input_grad``: with one input marked ``requires_grad=False`` it returns
   ``None`` for that input and the same gradients for the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings

import graphviz_autodiff as gad
from graphviz_autodiff import Differentiable, Tensor

# Deterministic hypothesis runs; the autouse recording-state fixture is harmless across examples.
SETTINGS = settings(
    max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

TORCH_REASON = "PyTorch is the oracle of these tests; install the 'bench' extra (torch==2.13.0 CPU)"

Sampler = Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]


def uniform(low: float = -2.0, high: float = 2.0) -> Sampler:
    """Inputs uniform in [low, high)."""

    def sample(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return rng.uniform(low, high, size=shape)

    return sample


def away_from(kinks: Sequence[float], margin: float = 1e-2, low: float = -2.0, high: float = 2.0) -> Sampler:
    """Uniform inputs at least ``margin`` away from every kink (so finite differences never straddle one)."""

    def sample(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        x = rng.uniform(low, high, size=shape)
        for k in kinks:
            near = np.abs(x - k) < margin
            x = np.where(near, k + np.where(x >= k, margin, -margin) * 2, x)
        return x

    return sample


def make_inputs(shapes: Sequence[Any], rng: np.random.Generator, sample: Sampler) -> list[np.ndarray]:
    """A tuple in ``shapes`` becomes a random float64 array; an array is used as given."""
    return [sample(rng, tuple(s)) if isinstance(s, tuple) else np.asarray(s) for s in shapes]


def _is_float(x: np.ndarray) -> bool:
    return x.dtype.kind == "f"


def _fd_value(make_op: Callable[[], Any], params: list, inputs: list[np.ndarray], upstream: np.ndarray) -> float:
    """Σ upstream ⊙ forward(inputs), with a fresh op whose parameters hold ``params``' current values."""
    op = make_op()
    for fresh, p in zip(op.parameters(), params):
        fresh.data = p.data.copy()
    with gad.no_record():
        out = op(*[x.copy() for x in inputs])
    return float(np.sum(upstream * out.data))


def finite_differences(f: Callable[[], float], x: np.ndarray, step: float) -> np.ndarray:
    """Central differences of scalar ``f`` with respect to ``x`` (modified in place, then restored)."""
    grad = np.zeros_like(x, dtype=np.float64)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + step
        plus = f()
        x[index] = old - step
        minus = f()
        x[index] = old
        grad[index] = (plus - minus) / (2 * step)
    return grad


def assert_close_fd(analytic: np.ndarray, numeric: np.ndarray, rtol: float, what: str) -> None:
    scale = max(1.0, float(np.max(np.abs(numeric), initial=0.0)))
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=rtol * scale, err_msg=f"finite differences: {what}")


def check_op(
    make_op: Callable[[], Any],
    torch_fn: Callable[..., Any] | None,
    shapes: Sequence[Any],
    *,
    sample: Sampler | None = None,
    seed: int = 0,
    atol: float = 1e-10,
    rtol: float = 1e-10,
    fd: bool = True,
    fd_rtol: float = 1e-6,
    fd_step: float = 1e-6,
    check_needs: bool = True,
) -> None:
    """Check an op's forward and backward against PyTorch and finite differences.

    Parameters
    ----------
    make_op : callable
        Builds a fresh op (or module); called again for each finite-difference
        evaluation, so a seeded op (Dropout) gives the same result every time.
    torch_fn : callable or None
        ``torch_fn(*inputs, *parameters)`` on float64 torch tensors, with the
        op's parameters in ``op.parameters()`` order. ``None``: no oracle.
    shapes : sequence of tuple or array
        One entry per argument: a shape for a random float64 input, or a
        ready array (integer labels, chosen values).
    sample : callable, optional
        ``sample(rng, shape)`` for the random inputs (default uniform in [−2, 2)).
    """
    rng = np.random.default_rng(seed)
    inputs = make_inputs(shapes, rng, sample or uniform())
    op = make_op()
    leaves = [Tensor(x.copy(), name=f"x{i}") for i, x in enumerate(inputs)]
    out = op(*leaves)
    params = op.parameters()
    upstream = rng.normal(size=out.shape)
    out.backward(upstream)
    ours = [leaf.grad if _is_float(x) else None for leaf, x in zip(leaves, inputs)]
    ours_params = [p.grad for p in params]
    for i, (g, x) in enumerate(zip(ours, inputs)):
        if _is_float(x):
            assert g is not None and g.shape == x.shape, f"input {i}: gradient {g!r} for shape {x.shape}"

    if torch_fn is not None:
        _compare_torch(torch_fn, inputs, params, out.data, upstream, ours, ours_params, atol, rtol)
    if fd:
        for i, x in enumerate(inputs):
            if _is_float(x):
                numeric = finite_differences(lambda: _fd_value(make_op, params, inputs, upstream), x, fd_step)
                assert_close_fd(ours[i], numeric, fd_rtol, f"input {i}")
        for j, p in enumerate(params):
            data = p.data.copy()
            p.data = data  # perturbed in place below, through this copy
            numeric = finite_differences(lambda: _fd_value(make_op, params, inputs, upstream), data, fd_step)
            assert_close_fd(ours_params[j], numeric, fd_rtol, f"parameter {j} ({p.name})")
    n_differentiable = sum(_is_float(x) for x in inputs) + len(params)
    if check_needs and isinstance(op, Differentiable) and n_differentiable >= 2:
        _check_needs_input_grad(make_op, inputs, upstream, ours)


def _compare_torch(torch_fn, inputs, params, out, upstream, ours, ours_params, atol, rtol) -> None:
    import torch

    t_inputs = [torch.tensor(x, requires_grad=_is_float(x)) for x in inputs]
    t_params = [torch.tensor(p.data, requires_grad=True) for p in params]
    t_out = torch_fn(*t_inputs, *t_params)
    expected = t_out.detach().numpy()
    assert out.shape == expected.shape, f"forward shape {out.shape}, PyTorch {expected.shape}"
    assert out.dtype == np.float64, out.dtype
    np.testing.assert_allclose(out, expected, atol=atol, rtol=rtol, err_msg="forward vs PyTorch")
    t_out.backward(torch.tensor(upstream))
    for i, (g, t) in enumerate(zip(ours, t_inputs)):
        if t.requires_grad:
            want = t.grad.numpy() if t.grad is not None else np.zeros(t.shape)
            np.testing.assert_allclose(g, want, atol=atol, rtol=rtol, err_msg=f"input {i} gradient vs PyTorch")
    for j, (g, t) in enumerate(zip(ours_params, t_params)):
        want = t.grad.numpy() if t.grad is not None else np.zeros(t.shape)
        got = g if g is not None else np.zeros(t.shape)
        np.testing.assert_allclose(got, want, atol=atol, rtol=rtol, err_msg=f"parameter {j} gradient vs PyTorch")


def _check_needs_input_grad(make_op, inputs, upstream, full) -> None:
    floats = [i for i, x in enumerate(inputs) if _is_float(x)]
    for skip in floats:
        op = make_op()
        leaves = [Tensor(x.copy(), requires_grad=i != skip) for i, x in enumerate(inputs)]
        out = op(*leaves)
        steps = list(gad.iter_backward(out, upstream))
        (step,) = [s for s in steps if s.op is op]
        assert step.grads[skip] is None, f"{type(op).__name__} computed a gradient for input {skip} nobody needs"
        for i in floats:
            if i != skip:
                np.testing.assert_allclose(step.grads[i], full[i], rtol=1e-12, atol=1e-14)
