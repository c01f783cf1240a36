"""Fixtures of the viewer's unit tests: stepper models of the test graphs, built once per module."""

from __future__ import annotations

import pytest

import viz

from .broken import broken_loss
from .graphs import lecture_loss, mlp_loss


@pytest.fixture(scope="module")
def lecture_model() -> viz.StepperModel:
    return viz.StepperModel(lecture_loss())


@pytest.fixture(scope="module")
def mlp_model() -> viz.StepperModel:
    return viz.StepperModel(mlp_loss())


@pytest.fixture(scope="module")
def broken_model() -> viz.StepperModel:
    return viz.StepperModel(broken_loss())
