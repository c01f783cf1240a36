"""SGD, Momentum and Adam follow PyTorch's update rules: 20 steps on the same problem give the same parameters."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import graphviz_autodiff as gad
from graphviz_autodiff import Parameter, Tensor
from graphviz_autodiff.course.models import mlp
from graphviz_autodiff.ops import CrossEntropy
from graphviz_autodiff.optim import SGD, Adam, Momentum

torch = pytest.importorskip("torch", reason="PyTorch is the oracle; install the 'bench' extra (torch==2.13.0 CPU)")

# (our optimizer, the same in PyTorch), with the same keyword arguments where PyTorch has them.
CASES = {
    "sgd": (lambda ps: SGD(ps, lr=0.1), lambda ps: torch.optim.SGD(ps, lr=0.1)),
    "sgd_weight_decay": (
        lambda ps: SGD(ps, lr=0.1, weight_decay=0.01),
        lambda ps: torch.optim.SGD(ps, lr=0.1, weight_decay=0.01),
    ),
    "momentum_defaults": (lambda ps: Momentum(ps, lr=0.05), lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9)),
    "momentum_dampening": (
        lambda ps: Momentum(ps, lr=0.05, momentum=0.5, dampening=0.3, weight_decay=0.01),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.5, dampening=0.3, weight_decay=0.01),
    ),
    "nesterov": (
        lambda ps: Momentum(ps, lr=0.05, momentum=0.8, nesterov=True),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True),
    ),
    "adam_defaults": (lambda ps: Adam(ps), lambda ps: torch.optim.Adam(ps)),
    "adam_lr": (lambda ps: Adam(ps, lr=0.02), lambda ps: torch.optim.Adam(ps, lr=0.02)),
    "adam_all": (
        lambda ps: Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01),
        lambda ps: torch.optim.Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01),
    ),
}


def problem():
    """A 3-class problem for a 3-8-3 MLP: 12 samples, fixed seed."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3))
    y = rng.integers(0, 3, size=12)
    return X, y


@pytest.mark.oracle
@pytest.mark.parametrize("case", list(CASES))
def test_20_steps_on_an_mlp_match_pytorch(case):
    ours_opt, torch_opt = CASES[case]
    X, y = problem()
    model = mlp(3, 8, 3, seed=1, activation="tanh")
    params = model.parameters()
    t_params = [torch.tensor(p.data, requires_grad=True) for p in params]
    opt, t_opt = ours_opt(params), torch_opt(t_params)
    X_data, t_X, t_y = Tensor(X, requires_grad=False), torch.tensor(X), torch.tensor(y)
    for _ in range(20):
        with gad.no_record():
            loss = CrossEntropy()(model(X_data), y)
        loss.backward()
        opt.step()
        t_opt.zero_grad()
        w1, b1, w2, b2 = t_params
        t_loss = torch.nn.functional.cross_entropy(torch.tanh(t_X @ w1 + b1) @ w2 + b2, t_y)
        t_loss.backward()
        t_opt.step()
        np.testing.assert_allclose(loss.data, t_loss.item(), rtol=1e-10)
    moved = max(float(np.abs(p.data - p0).max()) for p, p0 in zip(params, mlp(3, 8, 3, seed=1).parameters()))
    assert moved > 1e-3  # the 20 steps did train
    for p, t in zip(params, t_params):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-10, atol=1e-10, err_msg=p.name)


@pytest.mark.oracle
@pytest.mark.parametrize("case", list(CASES))
def test_given_gradients_and_missing_ones_match_pytorch(case):
    """The update rule alone: the same gradient sequence, with some gradients missing (left alone by both)."""
    ours_opt, torch_opt = CASES[case]
    rng = np.random.default_rng(1)
    start = [rng.normal(size=(3, 2)), rng.normal(size=4)]
    params = [Parameter(a.copy(), name=f"p{i}") for i, a in enumerate(start)]
    t_params = [torch.tensor(a.copy(), requires_grad=True) for a in start]
    opt, t_opt = ours_opt(params), torch_opt(t_params)
    for step in range(20):
        for i, (p, t) in enumerate(zip(params, t_params)):
            if (step + i) % 4 == 3:
                p.grad, t.grad = None, None
            else:
                g = rng.normal(size=p.shape) * 10.0 ** rng.integers(-3, 2)
                p.grad, t.grad = g, torch.tensor(g)
        opt.step()
        t_opt.step()
        for p, t in zip(params, t_params):
            np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=f"step {step}")


@pytest.mark.oracle
def test_defaults_are_pytorchs():
    adam, t_adam = inspect.signature(Adam).parameters, inspect.signature(torch.optim.Adam).parameters
    for name in ("lr", "betas", "eps", "weight_decay"):
        assert adam[name].default == t_adam[name].default, name
    momentum, t_sgd = inspect.signature(Momentum).parameters, inspect.signature(torch.optim.SGD).parameters
    for name in ("dampening", "nesterov", "weight_decay"):
        assert momentum[name].default == t_sgd[name].default, name
    assert momentum["momentum"].default == 0.9


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1), lambda ps: Momentum(ps, lr=0.1), lambda ps: Adam(ps)])
def test_step_replaces_the_array_and_keeps_the_old_one(make):
    theta = Parameter(np.array([1.0, 2.0]))
    old = theta.data
    theta.grad = np.array([1.0, -1.0])
    make([theta]).step()
    assert theta.data is not old
    np.testing.assert_array_equal(old, [1.0, 2.0])
    assert theta.data[0] < 1.0 < 2.0 < theta.data[1]


def test_momentum_accumulates_velocity():
    theta = Parameter(np.array([0.0]))
    opt = Momentum([theta], lr=1.0, momentum=0.5)
    for _ in range(3):
        theta.grad = np.array([1.0])
        opt.step()
    # v = 1, 1.5, 1.75: θ = −(1 + 1.5 + 1.75)
    np.testing.assert_allclose(theta.data, [-4.25])


def test_adam_first_step_moves_each_coordinate_by_lr():
    theta = Parameter(np.array([1.0, 1.0]))
    theta.grad = np.array([1e-3, 1e3])
    Adam([theta], lr=0.1).step()
    np.testing.assert_allclose(theta.data, [0.9, 0.9], rtol=1e-4)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda ps: Adam(ps, betas=(0.9, 1.0)), r"Adam: betas must be two numbers in \[0, 1\)"),
        (lambda ps: Adam(ps, eps=-1.0), "Adam: eps must be non-negative"),
        (lambda ps: Momentum(ps, lr=0.1, momentum=-0.1), "Momentum: momentum must be non-negative"),
        (lambda ps: Momentum(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov momentum requires"),
        (lambda ps: SGD(ps, lr=0.0), "SGD: the learning rate must be positive"),
        (lambda ps: SGD(ps, lr=0.1, weight_decay=-1.0), "SGD: weight_decay must be non-negative"),
    ],
)
def test_bad_hyperparameters_are_rejected(make, match):
    with pytest.raises(ValueError, match=match):
        make([Parameter(np.zeros(2))])


def test_a_gradient_of_the_wrong_shape_is_reported():
    theta = Parameter(np.zeros(2), name="θ")
    theta.grad = np.zeros(3)
    with pytest.raises(ValueError, match=r"Adam: parameter θ has shape \(2,\) but its .grad has shape \(3,\)"):
        Adam([theta]).step()


def test_params_must_be_parameters():
    with pytest.raises(TypeError, match="parameter 0 is a ndarray, not a Parameter"):
        Adam([np.zeros(2)])
    with pytest.raises(ValueError, match="empty parameter list"):
        Momentum([], lr=0.1)
