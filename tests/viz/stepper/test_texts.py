"""viz.stepper.texts: the text panel of every step, in English and Russian."""

from __future__ import annotations

import re

import numpy as np
import pytest

import graphviz_autodiff as gad
import viz
from graphviz_autodiff.ops import Add, Identity, Squared, Sum
from tests.viz.conftest import (
    lecture5,
)
from tests.viz.stepper.graphs import (
    fmt,
    lecture_numbers,
)
from viz.stepper import StepIndexError

pytestmark = pytest.mark.filterwarnings("error::viz.GraphvizWarning")
SVG = "{http://www.w3.org/2000/svg}"


# -- the text panel ---------------------------------------------------------------------------------------
def test_describe_explains_each_step():
    want = lecture_numbers()
    stepper = viz.StepperModel(lecture5())
    start = stepper.describe()
    assert start.splitlines()[0] == "Step 0 of 4 · backward pass"
    assert "node 6, Sum (L), starts the pass with ∂L/∂L = 1" in start
    text = stepper.describe(1)
    assert text.splitlines()[0] == "Step 1 of 4 · backward pass · node 6: Sum (L)"
    assert "The pass starts here: ∂L/∂L = 1" in text
    text = stepper.describe(2)
    assert "Upstream gradient ∂L/∂s: (5,) = [1, 1, 1, 1, 1]" in text
    assert "received from its consumer Sum (node 6)" in text
    assert f"∂L/∂μ → node 3 (Identity), argument mu: (5,) = {fmt(want['dmu'])}" in text
    assert f"∂L/∂y → node 4 (y), argument y: (5,) = {fmt(want['dy'])}" in text
    assert "Chain rule:\n  ∂L/∂μ = 2(μ − y) ⊙ ∂L/∂s\n  ∂L/∂y = −2(μ − y) ⊙ ∂L/∂s" in text
    text = stepper.describe(4)
    assert f"∂L/∂θ (parameter theta → node 1): (4,) = {fmt(want['dtheta'])}" in text
    assert "∂L/∂θ = Xᵀ·∂L/∂z" in text
    assert text.splitlines()[-1] == "The backward pass is complete: all 4 steps are done."
    with pytest.raises(StepIndexError):
        stepper.describe(5)


def test_fan_out_says_the_gradient_is_summed():
    x = gad.Tensor(np.array([1.0, -2.0]), name="x")
    h = Identity()(x)
    h.name = "h"
    L = Sum()(Add()(Squared()(h, np.zeros(2)), Identity()(h)))
    stepper = viz.StepperModel(L)
    step = next(s for s in stepper.steps if s.node == h.node)
    assert step.n_consumers == 2
    np.testing.assert_allclose(step.upstream_grad, 2 * x.data + 1)
    text = stepper.describe(step.index + 1)
    assert f"Upstream gradient ∂L/∂h: (2,) = {fmt(2 * x.data + 1)}" in text
    assert re.search(r"summed over its 2 consumers: Squared \(node \d\), Identity \(node \d\)", text)


def test_russian_texts():
    stepper = viz.StepperModel(lecture5(), lang="ru")
    assert stepper.describe().splitlines()[0] == "Шаг 0 из 4 · обратный проход"
    text = stepper.describe(2)
    assert text.splitlines()[0] == "Шаг 2 из 4 · обратный проход · узел 5: Squared (s)"
    assert "Градиент сверху (upstream_grad) ∂L/∂s" in text and "получен от потребителя Sum (узел 6)" in text
    assert "backward вернул:" in text and "Цепное правило:" in text
    assert stepper.describe(4).splitlines()[-1] == "Обратный проход завершён: выполнены все шаги (4)."
    forward = viz.StepperModel(lecture5(), direction="forward", lang="ru")
    assert "Вычисляет μ = 𝕀(z) = z" in forward.describe(2)
