r"""The training loop of the lecture: forward, loss, backward, gradient-descent step, history.

Every epoch (эпоха)::

    μ = model(X)                       # forward (прямой проход)
    L = loss_fn(μ, y)                  # loss (функция потерь)
    L.backward()                       # backward (обратный проход): ∂L/∂θ
    θ := θ − η · ∂L/∂θ                 # optimizer.step()
    history.loss.append(L)

:func:`fit` runs it with recording into networkx graphs turned off (no
picture is wanted for the 1000th epoch, and it costs time), an optional
progress bar (tqdm), mini-batches, early stopping and a callback.
"""

from __future__ import annotations

import contextlib
import math
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import DivergenceWarning
from ..graph import no_record
from ..optim import SGD, Optimizer
from ..tensor import Parameter, Tensor

__all__ = ["DivergenceWarning", "History", "fit"]


@dataclass(eq=False)
class History:
    """What :func:`fit` recorded, epoch by epoch.

    Attributes
    ----------
    loss : list of float
        ``loss[e]`` is the loss on the whole data set at the start of epoch
        ``e``, i.e. after ``e`` gradient steps (``loss[0]`` is the loss of the
        initial parameters). For full-batch training it is the loss of that
        epoch's forward pass.
    epochs_run : int
        Epochs started (``len(loss)``); fewer than asked when training
        stopped early or diverged.
    params : list of list of ndarray or None
        With ``keep_params=True``: copies of the parameters at the start of
        every epoch (aligned with ``loss``), in the optimizer's order.
    lr : float or None
        The learning rate of the default optimizer (``None`` for a given one).
    stopped_early : bool
        ``tol`` or the callback ended training.
    diverged : bool
        The loss became NaN or infinite (a :class:`DivergenceWarning` was issued).
    """

    loss: list[float] = field(default_factory=list)
    epochs_run: int = 0
    params: list[list[np.ndarray]] | None = None
    lr: float | None = None
    stopped_early: bool = False
    diverged: bool = False

    def __len__(self) -> int:
        return len(self.loss)

    @property
    def final_loss(self) -> float:
        """The last recorded loss (``nan`` before any epoch)."""
        return self.loss[-1] if self.loss else math.nan

    def epochs_to_reach(self, loss_value: float) -> int | None:
        """The number of epochs (gradient steps) after which the loss first was ``<= loss_value``.

        Returns ``0`` if the initial parameters already reach it, ``None`` if
        training never did.

        Examples
        --------
        >>> History(loss=[8.0, 4.0, 2.0, 1.0], epochs_run=4).epochs_to_reach(2.5)
        2
        """
        for epoch, value in enumerate(self.loss):
            if value <= loss_value:
                return epoch
        return None

    def __repr__(self) -> str:
        last = f", final_loss={self.final_loss:.6g}" if self.loss else ""
        flags = ", stopped_early=True" if self.stopped_early else ""
        flags += ", diverged=True" if self.diverged else ""
        return f"History(epochs_run={self.epochs_run}{last}{flags})"


def fit(
    model: Callable[[Any], Tensor],
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    X: Any,
    y: Any,
    *,
    optimizer: Optimizer | None = None,
    lr: float = 0.01,
    epochs: int = 100,
    batch_size: int | None = None,
    shuffle: bool = True,
    seed: int = 0,
    progress: bool | str = False,
    record: bool = False,
    callback: Callable[[int, float], Any] | None = None,
    tol: float | None = None,
    keep_params: bool = False,
) -> History:
    r"""Train ``model`` by gradient descent on ``loss_fn(model(X), y)``.

    Parameters
    ----------
    model : callable
        Anything that maps the input tensor to predictions and has
        ``parameters()``: an op (``Linear(4)``), a
        :class:`~graphviz_autodiff.nn.Module` or ``Sequential(Linear(4), Identity())``.
    loss_fn : callable
        ``loss_fn(prediction, y)`` returning a one-element tensor, e.g.
        ``MSE()`` or ``lambda mu, y: Sum()(Squared()(mu, y))``.
    X : array_like of shape (n, ...)
        Inputs, wrapped as ``Tensor(X, requires_grad=False)`` so ops skip ∂L/∂X.
    y : array_like of shape (n, ...)
        Targets (also a tensor without gradient).
    optimizer : Optimizer, optional
        Default: ``optim.SGD(model.parameters(), lr)``.
    lr : float, default 0.01
        η for the default optimizer (ignored when ``optimizer`` is given).
        For the lecture's sum-of-squares loss of a linear model, gradient
        descent is stable for η < :func:`graphviz_autodiff.course.analysis.max_stable_lr`
        (= 1/λ_max(XᵀX)); half of it is a safe, fast choice.
    epochs : int, default 100
        Passes over the data.
    batch_size : int, optional
        Mini-batch size; ``None`` trains on the whole data set at once (the
        lecture's gradient descent).
    shuffle : bool, default True
        Shuffle the rows every epoch (mini-batches only).
    seed : int, default 0
        Seed of the shuffling.
    progress : bool or "auto", default False
        Show a tqdm progress bar with the current loss. ``"auto"``: only when
        running in a notebook or a terminal, and only if tqdm is installed.
    record : bool, default False
        Record every epoch's calls into a networkx graph (for drawings). Off,
        ``backward`` still works but no graph is built.
    callback : callable, optional
        ``callback(epoch, loss)`` after each epoch's step; return ``True`` to stop.
    tol : float, optional
        Stop when the loss changes by less than ``tol`` between two epochs.
    keep_params : bool, default False
        Keep a copy of the parameters at every epoch in ``History.params``.

    Returns
    -------
    History

    Raises
    ------
    TypeError
        The model has no ``parameters()`` and no optimizer was given, or the
        loss is not a tensor.
    ValueError
        Bad sizes: X and y lengths differ, the loss has more than one element,
        ``epochs``/``batch_size`` not positive.
    ImportError
        ``progress=True`` without tqdm installed.

    Warns
    -----
    DivergenceWarning
        The loss became NaN or infinite; training stops (``history.diverged``).

    Examples
    --------
    >>> from graphviz_autodiff.course.analysis import least_squares, max_stable_lr
    >>> from graphviz_autodiff.course.datasets import lecture5
    >>> from graphviz_autodiff.nn import Sequential
    >>> from graphviz_autodiff.ops import MSE, Identity, Linear
    >>> data = lecture5()
    >>> network = Sequential(Linear(4), Identity())
    >>> history = fit(network, MSE(), data.X, data.y, lr=0.5 * max_stable_lr(data.X), epochs=2000)
    >>> bool(np.allclose(network[0].theta.data, least_squares(data.X, data.y), rtol=1e-6))
    True
    """
    X_data, y_data = _as_data(X, "X"), _as_data(y, "y", keep_integers=True)
    if len(X_data) != len(y_data):
        raise ValueError(f"fit: X has {len(X_data)} rows but y has {len(y_data)}; give one target per object.")
    if not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative integer, got {epochs!r}.")
    if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
        raise ValueError(f"fit: batch_size must be a positive integer or None, got {batch_size!r}.")
    history = History(params=[] if keep_params else None)
    if optimizer is None:
        optimizer = SGD(_parameters(model), lr)
        history.lr = lr
    bar = _progress_bar(progress, epochs)
    X_all = Tensor(X_data, name="X", requires_grad=False)
    y_all = Tensor(y_data, name="y", requires_grad=False)
    rng = np.random.default_rng(seed)
    try:
        with contextlib.nullcontext() if record else no_record():
            for epoch in range(int(epochs)):
                if history.params is not None:
                    history.params.append([p.data.copy() for p in optimizer.params])
                if batch_size is None:
                    value = _step(model, loss_fn, X_all, y_all, optimizer, train=True)
                else:
                    with no_record():
                        value = _step(model, loss_fn, X_all, y_all, optimizer, train=False)
                    if math.isfinite(value):
                        _epoch_of_batches(model, loss_fn, X_data, y_data, optimizer, batch_size, shuffle, rng)
                history.loss.append(value)
                history.epochs_run = epoch + 1
                if bar is not None:
                    bar.set_postfix(loss=f"{value:.6g}", refresh=False)
                    bar.update(1)
                if not math.isfinite(value):
                    history.diverged = True
                    _warn_divergence(history, epoch)
                    break
                if tol is not None and epoch > 0 and abs(history.loss[-2] - value) < tol:
                    history.stopped_early = True
                    break
                if callback is not None and callback(epoch, value) is True:
                    history.stopped_early = True
                    break
    finally:
        if bar is not None:
            bar.close()
    return history


def _as_data(values: Any, what: str, keep_integers: bool = False) -> np.ndarray:
    """``values`` as an array; integer features become float, integer targets (class labels) stay."""
    array = values.data if isinstance(values, (Tensor, Parameter)) else np.asarray(values)
    if array.dtype.kind not in "fc":
        if array.dtype.kind not in "biu":
            raise TypeError(f"fit: {what} must be numeric, got dtype {array.dtype}.")
        if not (keep_integers and array.dtype.kind in "iu"):
            array = array.astype(np.float64)
    if array.ndim == 0:
        raise ValueError(f"fit: {what} must have one row per object, got a scalar.")
    return array


def _parameters(model: Any) -> list[Parameter]:
    parameters = getattr(model, "parameters", None)
    if not callable(parameters):
        raise TypeError(
            f"fit: the model ({type(model).__name__}) has no parameters() method; pass an op or a Module, "
            f"or give optimizer=SGD([...], lr) with the parameters to train."
        )
    params = list(parameters())
    if not params:
        raise ValueError(f"fit: the model ({type(model).__name__}) has no parameters to train.")
    return params


def _step(model: Any, loss_fn: Any, X: Tensor, y: Tensor, optimizer: Optimizer, *, train: bool) -> float:
    """Forward and loss; with ``train``, also backward and one optimizer step. Returns the loss."""
    loss = loss_fn(model(X), y)
    if not isinstance(loss, Tensor):
        raise TypeError(
            f"fit: loss_fn returned {type(loss).__name__}, not a Tensor; compute the loss with ops "
            f"(e.g. Sum()(Squared()(mu, y))) so that backward can reach the parameters."
        )
    if loss.size != 1:
        raise ValueError(
            f"fit: loss_fn returned a tensor of shape {loss.shape}; the loss must be one number "
            f"(reduce it with Sum() or Mean())."
        )
    value = float(loss.data.real.reshape(()))
    if train and math.isfinite(value):
        loss.backward()
        optimizer.step()
    return value


def _epoch_of_batches(
    model: Any,
    loss_fn: Any,
    X: np.ndarray,
    y: np.ndarray,
    optimizer: Optimizer,
    batch_size: int,
    shuffle: bool,
    rng: np.random.Generator,
) -> None:
    order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
    for start in range(0, len(X), batch_size):
        rows = order[start : start + batch_size]
        X_batch = Tensor(X[rows], name="X", requires_grad=False)
        y_batch = Tensor(y[rows], name="y", requires_grad=False)
        _step(model, loss_fn, X_batch, y_batch, optimizer, train=True)


def _warn_divergence(history: History, epoch: int) -> None:
    before = f" (it was {history.loss[-2]:.3g} at epoch {epoch - 1})" if len(history.loss) > 1 else ""
    lr = f"lr={history.lr:g} " if history.lr is not None else "the learning rate "
    warnings.warn(
        f"fit: the loss became {history.loss[-1]} at epoch {epoch}{before}; training stopped. {lr}is "
        f"probably too large: lower it (for the sum-of-squares loss of a linear model, gradient descent is "
        f"stable for lr < graphviz_autodiff.course.analysis.max_stable_lr(X)).",
        DivergenceWarning,
        stacklevel=3,
    )


def _progress_bar(progress: bool | str, total: int) -> Any:
    if progress is False or progress is None:
        return None
    if progress not in (True, "auto"):
        raise ValueError(f"fit: progress must be True, False or 'auto', got {progress!r}.")
    if progress == "auto" and not _interactive():
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if progress == "auto":
            return None
        raise ImportError("fit(progress=True) needs tqdm, which is not installed: pip install tqdm") from None
    return tqdm(total=int(total), desc="fit", unit="epoch")


def _interactive() -> bool:
    """Whether output goes to a Jupyter kernel or a terminal."""
    if "ipykernel" in sys.modules:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - ipykernel always brings IPython
            return False
        shell = get_ipython()
        if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
            return True
    stream = sys.stderr
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())
