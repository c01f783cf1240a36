"""Course material of lecture 5, kept apart from the engine.

* :mod:`~graphviz_autodiff.course.datasets` -- the lecture-5 data set (CSV and
  the script that generates it), two moons, spirals, a CSV loader;
* :mod:`~graphviz_autodiff.course.analysis` -- correlations, the condition
  number of XᵀX, least squares, the largest stable step size;
* :mod:`~graphviz_autodiff.course.training` -- :func:`fit` (forward, loss,
  backward, step; loss history; a tqdm progress bar) and :class:`History`;
* :mod:`~graphviz_autodiff.course.lecture` -- the lecture's model and its
  flow (train, convergence with and without the correlated feature);
* :mod:`~graphviz_autodiff.course.models` -- ready-made networks (:func:`mlp`).

Examples
--------
>>> from graphviz_autodiff.course import datasets, fit
>>> data = datasets.lecture5()
>>> data.X.shape[1]
4
"""

from . import analysis, datasets, lecture, models, training
from .models import mlp
from .training import History, fit

__all__ = ["History", "analysis", "datasets", "fit", "lecture", "mlp", "models", "training"]
