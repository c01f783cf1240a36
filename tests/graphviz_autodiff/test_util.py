"""graphviz_autodiff.util: op labels, argument names as messages spell them, and NaN/Inf counts in both languages."""

from __future__ import annotations

import numpy as np
import pytest

from graphviz_autodiff import Differentiable
from graphviz_autodiff.ops import Concat, Linear, Squared
from graphviz_autodiff.util import (
    argument_name,
    argument_names,
    count_nonfinite,
    describe_nonfinite,
    has_nonfinite,
    op_label,
)


class Star(Differentiable):
    def forward(self, first, *rest):
        return first

    def backward(self, upstream_grad):
        return upstream_grad


def test_op_label_is_the_name_or_the_class_name():
    assert op_label(Squared()) == "Squared"
    assert op_label(Linear(2, name="layer 1")) == "layer 1"


def test_argument_names_follow_forwards_signature():
    assert argument_names(Squared(), 2) == ["mu", "y"]
    assert argument_names(Squared(), 0) == ["mu", "y"]
    assert argument_names(Squared(), 4) == ["mu", "y", "arg2", "arg3"]
    assert argument_names(Star(), 3) == ["first", "rest[0]", "rest[1]"]
    assert argument_names(Linear(2), 1) == ["x"]


def test_argument_name_as_messages_write_it():
    assert argument_name(Squared(), 0) == "argument 0 (mu)"
    assert argument_name(Squared(), 1) == "argument 1 (y)"
    assert argument_name(Squared(), 2) == "argument 2"
    assert argument_name(Star(), 2) == "argument 2 (rest[1])"


def test_count_and_has_nonfinite():
    a = np.array([[1.0, np.nan], [np.inf, -np.inf]])
    assert count_nonfinite(a) == (1, 2)
    assert count_nonfinite(np.array([1, 2, 3])) == (0, 0)
    assert count_nonfinite(np.array([complex(np.nan, 0), 1j])) == (1, 0)
    assert has_nonfinite(a) and has_nonfinite(float("inf"))
    assert not has_nonfinite(np.arange(3)) and not has_nonfinite(None) and not has_nonfinite(np.zeros(4))


@pytest.mark.parametrize(
    ("values", "lang", "text"),
    [
        ([np.nan, np.inf, 1.0], "en", "1 NaN and 1 Inf of 3 values"),
        ([np.nan, np.nan, np.nan, np.inf] + [0.0] * 8, "en", "3 NaN and 1 Inf of 12 values"),
        ([np.nan, 1.0], "en", "1 NaN of 2 values"),
        ([np.inf, -np.inf], "en", "2 Inf of 2 values"),
        ([np.nan, np.inf, 1.0], "ru", "1 NaN и 1 Inf из 3 значений"),
        ([1.0, 2.0, 3.0], "en", "no NaN or Inf among 3 values"),
        ([1.0], "en", "no NaN or Inf among 1 value"),
        ([1.0, 2.0], "ru", "нет NaN и Inf среди 2 значений"),
    ],
)
def test_describe_nonfinite(values, lang, text):
    assert describe_nonfinite(np.array(values), lang) == text


def test_concat_star_arguments_are_named_by_position():
    assert argument_names(Concat(), 2) == ["xs[0]", "xs[1]"]
    assert argument_names(Concat(), 0) == []
    assert argument_name(Concat(), 1) == "argument 1 (xs[1])"
