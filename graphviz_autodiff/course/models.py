"""Ready-made models built from the library's ops: the two-layer perceptron of the MLP lectures."""

from __future__ import annotations

from ..nn import Sequential
from ..ops import Linear, ReLU, Tanh

__all__ = ["mlp"]

_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh}


def mlp(n_in: int, n_hidden: int, n_out: int, seed: int = 0, *, activation: str = "relu") -> Sequential:
    r"""A two-layer perceptron: Linear → activation → Linear, returning logits.

    ``z = act(X·θ₁ + b₁)·θ₂ + b₂`` with θ₁ of shape (n_in, n_hidden) and θ₂ of
    shape (n_hidden, n_out). The weights start uniform in ±1/√(fan-in) (as in
    PyTorch), the biases at zero; the output is raw scores, to feed
    :class:`~graphviz_autodiff.ops.CrossEntropy` (n_out classes) or
    :class:`~graphviz_autodiff.ops.BinaryCrossEntropy` (n_out = 1).

    Parameters
    ----------
    n_in : int
        Features per sample.
    n_hidden : int
        Width of the hidden layer.
    n_out : int
        Outputs per sample (classes).
    seed : int, default 0
        Seeds the initial weights (the second layer uses ``seed + 1``), so the
        same call always builds the same model.
    activation : {"relu", "tanh"}, default "relu"
        The hidden layer's activation.

    Returns
    -------
    Sequential
        ``Sequential(Linear(n_in, n_hidden, bias=True), ReLU() or Tanh(), Linear(n_hidden, n_out, bias=True))``,
        named "MLP"; its parameters are named θ₁, b₁, θ₂, b₂ in drawings.

    Examples
    --------
    >>> import numpy as np
    >>> model = mlp(2, 16, 2)
    >>> model(np.zeros((5, 2))).shape
    (5, 2)
    >>> model.n_params()  # (2·16 + 16) + (16·2 + 2)
    82
    """
    for what, value in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"mlp: {what} must be a positive int, got {value!r}")
    if activation not in _ACTIVATIONS:
        raise ValueError(f"mlp: activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    first = Linear(n_in, n_hidden, bias=True, seed=seed)
    second = Linear(n_hidden, n_out, bias=True, seed=seed + 1)
    for index, layer in ((1, first), (2, second)):
        sub = "₀₁₂"[index]
        layer.theta.name, layer.bias.name = f"θ{sub}", f"b{sub}"
    return Sequential(first, _ACTIVATIONS[activation](), second, name="MLP")
