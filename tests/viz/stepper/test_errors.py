"""viz.stepper.errors: the stepper's errors are VizErrors and the built-in kinds callers already catch."""

from __future__ import annotations

import pytest

from tests.viz.conftest import lecture5
from viz.dot import VizError
from viz.stepper import StepperModel
from viz.stepper.errors import StepIndexError, StepperError, UnknownNodeError


def test_the_hierarchy():
    assert issubclass(StepperError, VizError)
    assert issubclass(StepIndexError, StepperError) and issubclass(StepIndexError, IndexError)
    assert issubclass(UnknownNodeError, StepperError) and issubclass(UnknownNodeError, LookupError)


def test_a_step_out_of_range_is_caught_as_an_index_error():
    stepper = StepperModel(lecture5())
    with pytest.raises(IndexError, match=r"^Stepper: step 99 does not exist; steps go from 0 to 4$") as raised:
        stepper.goto(99)
    assert type(raised.value) is StepIndexError
    with pytest.raises(StepIndexError, match=r"the step must be an int between 0 and 4, got 1\.5"):
        stepper.goto(1.5)
    assert stepper.step_index == 0


def test_running_to_an_unknown_node_is_caught_as_a_lookup_error():
    stepper = StepperModel(lecture5())
    with pytest.raises(LookupError, match=r"no node 'Softmax' among the stepper's nodes; labels: ") as raised:
        stepper.run_to("Softmax")
    assert type(raised.value) is UnknownNodeError
    assert "Identity, Linear, Squared, Sum" in str(raised.value)
