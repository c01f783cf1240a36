"""course/data/make_lecture5.py: the generator draws the documented model and writes the shipped CSV byte for byte."""

from __future__ import annotations

import numpy as np
import pytest

from graphviz_autodiff.course.data import make_lecture5
from graphviz_autodiff.course.datasets import lecture5_path


def test_make_data_follows_the_documented_model():
    X, y = make_lecture5.make_data()
    assert X.shape == (200, 4) and y.shape == (200,)
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(X.std(axis=0), 1.0, atol=1e-4)
    np.testing.assert_array_equal(X, np.round(X, 4))
    residual = y - X @ np.asarray(make_lecture5.TRUE_THETA)
    assert abs(residual.mean()) < 1e-3  # centred noise
    assert np.std(residual) == pytest.approx(make_lecture5.NOISE_STD, rel=0.1)
    r = np.corrcoef(X.T)
    assert r[0, 1] == pytest.approx(0.98, abs=0.01) and r[0, 2] == pytest.approx(0.3, abs=0.1)
    assert abs(r[0, 3]) < 0.2
    assert not np.signbit(X[X == 0]).any()  # no "-0.0000" in the file


def test_make_data_is_seeded():
    a, b = make_lecture5.make_data(seed=1, n_samples=10), make_lecture5.make_data(seed=1, n_samples=10)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], make_lecture5.make_data(seed=2, n_samples=10)[0])


def test_csv_text_is_the_shipped_file():
    text = make_lecture5.to_csv_text(*make_lecture5.make_data())
    assert text.encode("utf-8") == lecture5_path().read_bytes()
    lines = text.splitlines()
    assert lines[2] == (
        "# model: fuel_consumption = 1.5*engine_power + 0*engine_displacement + 1*vehicle_mass "
        "- 0.8*tyre_pressure + noise"
    )
    assert lines[8] == "engine_power,engine_displacement,vehicle_mass,tyre_pressure,fuel_consumption"
    assert len(lines) == 8 + 1 + 200


def test_to_csv_text_formats_four_decimals():
    text = make_lecture5.to_csv_text(np.array([[0.5, -1.0, 2.0, 0.0]]), np.array([1.23456]))
    assert text.endswith("engine_power,engine_displacement,vehicle_mass,tyre_pressure,fuel_consumption\n"
                         "0.5000,-1.0000,2.0000,0.0000,1.2346\n")  # fmt: skip


def test_main_writes_then_checks(tmp_path, capsys):
    out = tmp_path / "copy.csv"
    assert make_lecture5.main(["--out", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {out} (209 lines)\n"
    assert out.read_bytes() == lecture5_path().read_bytes()
    assert make_lecture5.main(["--check", "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"{out}: up to date\n"
    out.write_bytes(out.read_bytes().replace(b"1.5", b"1.6", 1))
    assert make_lecture5.main(["--check", "--out", str(out)]) == 1
    assert capsys.readouterr().out == f"{out}: DIFFERS from the generator output\n"
    assert make_lecture5.main(["--check", "--out", str(tmp_path / "absent.csv")]) == 1
