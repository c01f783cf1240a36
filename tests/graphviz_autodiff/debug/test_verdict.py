"""The verdict seam: raw numbers in, verdict out, in another process than the op's code if need be."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from graphviz_autodiff.debug import evidence_from_json, evidence_to_json, gradcheck, judge, measure_call, random_streams
from graphviz_autodiff.debug import verdict as verdict_module
from graphviz_autodiff.ops import Sigmoid
from tests.buggy_ops.missed import SigmoidIgnoresUpstream, SquareLinearThetaNoTranspose
from tests.buggy_ops.returns import ReLUReturnsMask

ROOT = Path(__file__).resolve().parents[3]


def _evidence(op, *inputs):
    return measure_call(
        op,
        [np.asarray(x) for x in inputs],
        tuple(True for _ in inputs),
        None,
        upstreams=[None, None],
        eps=1e-6,
        streams=random_streams(0),
        label=type(op).__name__,
    )


@pytest.mark.parametrize(
    "op, shape",
    [
        (Sigmoid(), (3, 4)),
        (SigmoidIgnoresUpstream(), (3, 4)),
        (SquareLinearThetaNoTranspose(), (4, 4)),
        (ReLUReturnsMask(), (3, 4)),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, tuple) else None,
)
def test_the_verdict_is_computed_in_another_process_from_json(op, shape):
    x = np.random.default_rng(3).standard_normal(shape)
    evidence = _evidence(op, x)
    here = judge(evidence)
    text = evidence_to_json(evidence)
    assert evidence_to_json(evidence_from_json(text)) == text  # a lossless round trip (NaN, shapes, dtypes)
    program = (
        "import json, sys\n"
        "from graphviz_autodiff.debug.verdict import evidence_from_json, judge\n"
        "r = judge(evidence_from_json(sys.stdin.read()))\n"
        "print(json.dumps([r.kind, r.diagnosis, r.argument, r.message, r.max_rel_error]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], input=text, capture_output=True, text=True, cwd=ROOT, check=True
    )
    there = json.loads(done.stdout)
    assert there == [here.kind, here.diagnosis, here.argument, here.message, here.max_rel_error]
    # and the same as gradcheck with the same seed, which measures and judges in one go
    direct = gradcheck(op, x)
    assert (direct.kind, direct.diagnosis, direct.argument) == (here.kind, here.diagnosis, here.argument)


def test_the_judging_side_imports_nothing_that_runs_user_code():
    source = Path(verdict_module.__file__).read_text()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert imports == [
        "from __future__ import annotations",
        "import json",
        "from dataclasses import dataclass, field, fields",
        "from typing import Any",
        "import numpy as np",
        "from ..i18n import tr",
        "from ..util import describe_nonfinite",
        "from .diagnose import _diagnose, _message, _verdict, diagnosis_text, format_error, format_table",
        "from .numeric import compare, contract, numeric_gradient",
    ]


def test_the_decoder_builds_only_records_and_numeric_arrays():
    evidence = _evidence(Sigmoid(), np.ones((2, 2)))
    good = json.loads(evidence_to_json(evidence))
    for bad in (
        {**good, "__class__": "Popen"},
        {**good, "extra": 1},
        {**good, "output": {"__array__": "object", "shape": [1], "data": [1]}},
        {**good, "slots": [1, 2]},
    ):
        with pytest.raises(ValueError):
            evidence_from_json(json.dumps(bad))
    with pytest.raises(ValueError, match="not an Evidence"):
        evidence_from_json(json.dumps(good["slots"]["__tuple__"][0]))


def test_streams_are_independent_and_fixed():
    a, b = random_streams(0), random_streams(0)
    inputs, upstream = a.inputs.standard_normal(8), a.upstream.standard_normal(8)
    assert not np.isclose(inputs, upstream).any()
    np.testing.assert_array_equal(inputs, b.inputs.standard_normal(8))
    np.testing.assert_array_equal(upstream, b.upstream.standard_normal(8))
    assert not np.array_equal(
        random_streams(0, 5).upstream.standard_normal(3), random_streams(0, 6).upstream.standard_normal(3)
    )


def test_the_module_examples_run():
    failures, _ = doctest.testmod(verdict_module)
    assert failures == 0
