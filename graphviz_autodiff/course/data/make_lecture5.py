"""Generate ``lecture5.csv``, the data set of lecture 5 (linear regression as a network).

Run it from anywhere; it rewrites the CSV next to this script, byte for byte
the same every time (fixed seed, fixed rounding, fixed formatting)::

    python graphviz_autodiff/course/data/make_lecture5.py            # rewrite lecture5.csv
    python graphviz_autodiff/course/data/make_lecture5.py --out x.csv
    python graphviz_autodiff/course/data/make_lecture5.py --check    # exit 1 if the shipped CSV differs

The story: 200 cars, 4 features per car and a scalar target.

* ``engine_power``, ``vehicle_mass`` (mildly correlated with power, r ≈ 0.3)
  and ``tyre_pressure`` are drawn independently of each other otherwise;
* ``engine_displacement`` is made from power: ``0.98·power + 0.2·noise``, so
  the two are strongly correlated (r ≈ 0.98) -- the pair the lecture's
  correlation step must find;
* every feature is then standardized (mean 0, standard deviation 1) and
  rounded to 4 decimals;
* the target is the documented linear combination of the *stored* features
  plus centred Gaussian noise, with no intercept::

      fuel_consumption = 1.5·engine_power + 0.0·engine_displacement
                         + 1.0·vehicle_mass − 0.8·tyre_pressure + ε,   ε ~ N(0, 0.5²)

  The true coefficient of displacement is 0: it carries no information of its
  own beyond power, so dropping it loses (almost) nothing, while keeping it
  makes XᵀX badly conditioned (κ ≈ 100) and gradient descent slow.

Because the features and the target have mean 0, the lecture's model
``z = θᵀ·x`` without a bias term fits the data.

The comment lines at the top of the CSV (``# key: value``) carry this
metadata; :func:`graphviz_autodiff.course.datasets.lecture5` reads them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

SEED = 5
N_SAMPLES = 200
FEATURE_NAMES = ("engine_power", "engine_displacement", "vehicle_mass", "tyre_pressure")
TARGET_NAME = "fuel_consumption"
TRUE_THETA = (1.5, 0.0, 1.0, -0.8)
TRUE_BIAS = 0.0
NOISE_STD = 0.5
DISPLACEMENT_FROM_POWER = 0.98  # engine_displacement = 0.98·power + sqrt(1 − 0.98²)·noise
MASS_FROM_POWER = 0.3  # vehicle_mass = 0.3·power + sqrt(1 − 0.3²)·noise
CORRELATED_PAIR = ("engine_power", "engine_displacement")
DECIMALS = 4

DEFAULT_OUT = Path(__file__).with_name("lecture5.csv")


def make_data(seed: int = SEED, n_samples: int = N_SAMPLES) -> tuple[np.ndarray, np.ndarray]:
    """Draw the features and the target.

    Returns
    -------
    X : ndarray of shape (n_samples, 4)
        Standardized features, rounded to ``DECIMALS`` decimals.
    y : ndarray of shape (n_samples,)
        ``X @ TRUE_THETA + ε`` with centred noise, rounded to ``DECIMALS`` decimals.
    """
    rng = np.random.default_rng(seed)
    power = rng.normal(size=n_samples)
    rho = DISPLACEMENT_FROM_POWER
    displacement = rho * power + np.sqrt(1.0 - rho**2) * rng.normal(size=n_samples)
    mass = MASS_FROM_POWER * power + np.sqrt(1.0 - MASS_FROM_POWER**2) * rng.normal(size=n_samples)
    pressure = rng.normal(size=n_samples)
    X = np.column_stack([power, displacement, mass, pressure])
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    X = np.round(X, DECIMALS) + 0.0  # "+ 0.0" turns -0.0 into 0.0
    noise = NOISE_STD * rng.normal(size=n_samples)
    noise -= noise.mean()
    y = np.round(X @ np.asarray(TRUE_THETA) + TRUE_BIAS + noise, DECIMALS) + 0.0
    return X, y


def _metadata() -> list[str]:
    terms = " ".join(
        f"{'+' if c >= 0 else '-'} {abs(c):g}*{name}" for c, name in zip(TRUE_THETA, FEATURE_NAMES, strict=True)
    ).lstrip("+ ")
    return [
        "lecture5: 200 cars, 4 standardized features, target without intercept (lecture 5 of DL4ES)",
        f"generator: make_lecture5.py, seed {SEED}",
        f"model: {TARGET_NAME} = {terms} + noise",
        f"true_theta: {', '.join(f'{c:g}' for c in TRUE_THETA)}",
        f"true_bias: {TRUE_BIAS:g}",
        f"noise_std: {NOISE_STD:g}",
        f"correlated: {', '.join(CORRELATED_PAIR)}",
        f"seed: {SEED}",
    ]


def to_csv_text(X: np.ndarray, y: np.ndarray) -> str:
    """The CSV file's text: ``# key: value`` comment lines, a header, one row per sample."""
    lines = [f"# {line}" for line in _metadata()]
    lines.append(",".join((*FEATURE_NAMES, TARGET_NAME)))
    for row, target in zip(X, y, strict=True):
        lines.append(",".join(f"{v:.{DECIMALS}f}" for v in (*row, target)))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line: write the CSV (default next to this script) or ``--check`` it."""
    parser = argparse.ArgumentParser(description="Generate the lecture-5 data set (lecture5.csv).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the CSV")
    parser.add_argument("--check", action="store_true", help="only compare with the existing file")
    args = parser.parse_args(argv)
    text = to_csv_text(*make_data())
    if args.check:
        same = args.out.is_file() and args.out.read_bytes() == text.encode("utf-8")
        print(f"{args.out}: {'up to date' if same else 'DIFFERS from the generator output'}")
        return 0 if same else 1
    args.out.write_bytes(text.encode("utf-8"))
    print(f"wrote {args.out} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
