"""Optimizers: gradient-descent steps on a list of parameters (SGD, Momentum, Adam).

Each follows PyTorch's update rule and defaults exactly (``torch.optim.SGD``,
``torch.optim.SGD`` with ``momentum``, ``torch.optim.Adam``), so the same
problem trained here and in PyTorch gives the same parameters. Notation:
θ a parameter, g = ∂L/∂θ its gradient, η the learning rate, t the step count.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .tensor import Parameter

__all__ = ["SGD", "Adam", "Momentum", "Optimizer"]


class Optimizer:
    """Base class: holds the parameters; subclasses implement :meth:`step`.

    Updates replace ``param.data`` with a new array instead of writing into
    it, so graphs recorded before the step keep the values they used.
    Parameters whose ``.grad`` is ``None`` are left alone (as in PyTorch).

    Parameters
    ----------
    params : iterable of Parameter
        What to train (``model.parameters()``).
    lr : float
        η, the learning rate (positive).

    Raises
    ------
    ValueError
        An empty parameter list or a learning rate that is not positive.
    TypeError
        Something in ``params`` that is not a :class:`Parameter`.
    """

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Parameter):
                raise TypeError(
                    f"{type(self).__name__}: parameter {i} is a {type(p).__name__}, not a Parameter; "
                    f"pass model.parameters()"
                )
        if not lr > 0:
            raise ValueError(f"{type(self).__name__}: the learning rate must be positive, got {lr}")
        self.lr = lr
        # Per-parameter state (momentum buffers, moment estimates), by position in self.params.
        self.state: list[dict[str, np.ndarray]] = [{} for _ in self.params]

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        raise NotImplementedError

    def zero_grad(self) -> None:
        """Forget the gradients (not needed between passes: each pass sets them afresh)."""
        for p in self.params:
            p.grad = None

    def _grads(self, weight_decay: float) -> Iterable[tuple[Parameter, dict[str, np.ndarray], np.ndarray]]:
        """``(parameter, its state, g + weight_decay·θ)`` for every parameter with a gradient."""
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            g = np.asarray(p.grad)
            if g.shape != p.data.shape:
                raise ValueError(
                    f"{type(self).__name__}: parameter {p.name or '?'} has shape {p.data.shape} but its .grad "
                    f"has shape {g.shape}"
                )
            yield p, state, (g + weight_decay * p.data if weight_decay else g)


def _check_non_negative(op: str, **values: float) -> None:
    for name, value in values.items():
        if not value >= 0:
            raise ValueError(f"{op}: {name} must be non-negative, got {value}")


class SGD(Optimizer):
    r"""Plain gradient descent: θ := θ − η · ∂L/∂θ.

    Parameters
    ----------
    params : iterable of Parameter
        What to train (``model.parameters()``).
    lr : float
        η, the learning rate.
    weight_decay : float, default 0
        λ of an L2 penalty: the step uses g + λθ instead of g (PyTorch's rule).

    Examples
    --------
    >>> import numpy as np
    >>> from graphviz_autodiff import Parameter
    >>> theta = Parameter(np.array([1.0, 2.0]))
    >>> theta.grad = np.array([10.0, 10.0])
    >>> SGD([theta], lr=0.1).step()
    >>> theta.data
    array([0., 1.])
    """

    def __init__(self, params: Iterable[Parameter], lr: float, *, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        _check_non_negative("SGD", weight_decay=weight_decay)
        self.weight_decay = weight_decay

    def step(self) -> None:
        for p, _, g in self._grads(self.weight_decay):
            p.data = p.data - self.lr * g


class Momentum(Optimizer):
    r"""Gradient descent with momentum, exactly ``torch.optim.SGD(params, lr, momentum, ...)``.

    With g = ∂L/∂θ (+ λθ with weight decay), each step:

    * v := g on the first step, then v := μ·v + (1 − dampening)·g
    * θ := θ − η·v, or with Nesterov momentum θ := θ − η·(g + μ·v)

    Parameters
    ----------
    params : iterable of Parameter
        What to train.
    lr : float
        η, the learning rate.
    momentum : float, default 0.9
        μ, the decay of the velocity v.
    dampening : float, default 0
        Scales down the new gradient's share of v (PyTorch's ``dampening``).
    nesterov : bool, default False
        Nesterov's variant (needs ``momentum > 0`` and ``dampening == 0``).
    weight_decay : float, default 0
        λ of an L2 penalty added to the gradient.

    Examples
    --------
    >>> import numpy as np
    >>> from graphviz_autodiff import Parameter
    >>> theta = Parameter(np.array([0.0]))
    >>> opt = Momentum([theta], lr=0.1, momentum=0.5)
    >>> for _ in range(2):
    ...     theta.grad = np.array([1.0])
    ...     opt.step()
    >>> theta.data  # −0.1·1, then −0.1·(0.5·1 + 1)
    array([-0.25])
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float,
        momentum: float = 0.9,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        _check_non_negative("Momentum", momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"Momentum: Nesterov momentum requires momentum > 0 and dampening == 0, "
                f"got momentum={momentum}, dampening={dampening}"
            )
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weight_decay = weight_decay

    def step(self) -> None:
        mu = self.momentum
        for p, state, g in self._grads(self.weight_decay):
            if mu != 0:
                buf = state.get("momentum_buffer")
                buf = g.copy() if buf is None else mu * buf + (1 - self.dampening) * g
                state["momentum_buffer"] = buf
                g = g + mu * buf if self.nesterov else buf
            p.data = p.data - self.lr * g


class Adam(Optimizer):
    r"""Adam, exactly ``torch.optim.Adam`` (without ``amsgrad``).

    With g = ∂L/∂θ (+ λθ with weight decay) and t the step number (from 1):

    * m := β₁·m + (1 − β₁)·g,   v := β₂·v + (1 − β₂)·g²   (both start at 0)
    * θ := θ − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    Parameters
    ----------
    params : iterable of Parameter
        What to train.
    lr : float, default 1e-3
        η, the learning rate.
    betas : (float, float), default (0.9, 0.999)
        β₁ and β₂, the decays of the first and second moment estimates.
    eps : float, default 1e-8
        ε, keeps the denominator away from zero.
    weight_decay : float, default 0
        λ of an L2 penalty added to the gradient (not AdamW's decoupled decay).

    Examples
    --------
    >>> import numpy as np
    >>> from graphviz_autodiff import Parameter
    >>> theta = Parameter(np.array([1.0]))
    >>> theta.grad = np.array([5.0])
    >>> Adam([theta], lr=0.1).step()
    >>> theta.data.round(6)  # the first step moves by about lr, whatever the gradient's size
    array([0.9])
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"Adam: betas must be two numbers in [0, 1), got {betas!r}")
        _check_non_negative("Adam", eps=eps, weight_decay=weight_decay)
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = eps
        self.weight_decay = weight_decay

    def step(self) -> None:
        beta1, beta2 = self.betas
        for p, state, g in self._grads(self.weight_decay):
            if not state:
                state["step"] = np.zeros(())
                state["exp_avg"] = np.zeros_like(p.data)
                state["exp_avg_sq"] = np.zeros_like(p.data)
            t = float(state["step"]) + 1
            state["step"] = np.asarray(t)
            m = state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * g
            v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
            step_size = self.lr / (1 - beta1**t)
            denom = np.sqrt(v) / np.sqrt(1 - beta2**t) + self.eps
            p.data = p.data - step_size * m / denom
