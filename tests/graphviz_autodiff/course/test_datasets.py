"""The lecture-5 data set, its generator, and the NumPy CSV reader."""

from __future__ import annotations

import runpy
import subprocess
import sys

import numpy as np
import pytest

from graphviz_autodiff.course import datasets
from graphviz_autodiff.course.datasets import DatasetFormatError, lecture5, lecture5_path, load_csv, read_metadata

GENERATOR = lecture5_path().with_name("make_lecture5.py")


# -- the shipped data set ------------------------------------------------------
def test_lecture5_shapes_names_and_dtypes():
    data = lecture5()
    assert data.X.shape == (200, 4) and data.X.dtype == np.float64
    assert data.y.shape == (200,) and data.y.dtype == np.float64
    assert data.feature_names == ("engine_power", "engine_displacement", "vehicle_mass", "tyre_pressure")
    assert data.target_name == "fuel_consumption"
    assert data.n_samples == 200
    np.testing.assert_array_equal(data.true_theta, [1.5, 0.0, 1.0, -0.8])
    assert data.true_bias == 0.0 and data.noise_std == 0.5 and data.seed == 5


def test_lecture5_is_centred_standardized_and_follows_its_documented_model():
    data = lecture5()
    np.testing.assert_allclose(data.X.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(data.X.std(axis=0), 1.0, atol=1e-4)
    assert abs(data.y.mean()) < 1e-4
    noise = data.y - data.X @ data.true_theta - data.true_bias
    assert abs(noise.mean()) < 1e-4  # no intercept
    assert 0.45 < noise.std() < 0.55  # noise_std = 0.5
    # the true model explains the target: R² of θ_true close to that of least squares
    r2_true = 1 - np.sum(noise**2) / np.sum(data.y**2)
    assert r2_true > 0.94


def test_lecture5_correlated_pair_is_the_generated_one():
    data = lecture5()
    R = np.corrcoef(data.X, rowvar=False)
    i, j = data.correlated_pair
    assert (i, j) == (0, 1)
    assert abs(R[i, j]) > 0.95
    others = [abs(R[a, b]) for a in range(4) for b in range(a + 1, 4) if (a, b) != (i, j)]
    assert max(others) < 0.5


def test_lecture5_returns_fresh_arrays():
    first = lecture5()
    first.X[:] = 0.0
    first.y[:] = 0.0
    second = lecture5()
    assert np.abs(second.X).sum() > 100 and np.abs(second.y).sum() > 100


def test_lecture5_description_documents_the_truth():
    text = lecture5().description
    for needle in ("engine_displacement", "1.5*engine_power", "-0.8", "r = 0.980", "seed 5", "no bias"):
        assert needle in text, needle


def test_lecture5_as_frame_without_pandas_says_what_to_do(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        lecture5(as_frame=True)


def test_datasets_package_exports():
    from graphviz_autodiff.course.datasets import toy

    assert datasets.two_moons is toy.two_moons and datasets.spirals is toy.spirals
    assert {"lecture5", "load_csv", "two_moons", "spirals"} <= set(datasets.__all__)


# -- the generator -------------------------------------------------------------
def test_generator_reproduces_the_shipped_csv_byte_for_byte(tmp_path):
    out = tmp_path / "lecture5.csv"
    done = subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(out)], capture_output=True, text=True, check=True
    )
    assert "wrote" in done.stdout
    assert out.read_bytes() == lecture5_path().read_bytes()
    check = subprocess.run([sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_generator_check_detects_a_changed_file(tmp_path):
    changed = tmp_path / "lecture5.csv"
    changed.write_bytes(lecture5_path().read_bytes().replace(b"1.5", b"1.6", 1))
    module = runpy.run_path(str(GENERATOR))
    assert module["main"](["--check", "--out", str(changed)]) == 1


def test_generator_constants_match_the_loaded_metadata():
    module = runpy.run_path(str(GENERATOR))
    data = lecture5()
    np.testing.assert_array_equal(data.true_theta, module["TRUE_THETA"])
    assert data.feature_names == module["FEATURE_NAMES"]
    assert tuple(data.feature_names[k] for k in data.correlated_pair) == module["CORRELATED_PAIR"]
    X, y = module["make_data"]()
    np.testing.assert_array_equal(X, data.X)
    np.testing.assert_array_equal(y, data.y)


# -- load_csv ------------------------------------------------------------------
def _write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_csv_with_header_and_named_target(tmp_path):
    path = _write(tmp_path, "# a comment\na,price,b\n1,2,3\n\n4,5.5,-6e1\n")
    X, y, names = load_csv(path, target="price")
    np.testing.assert_array_equal(X, [[1.0, 3.0], [4.0, -60.0]])
    np.testing.assert_array_equal(y, [2.0, 5.5])
    assert names == ["a", "b"]


def test_load_csv_target_by_position_and_none(tmp_path):
    path = _write(tmp_path, "1;2;3\n4;5;6\n")
    X, y, names = load_csv(path, target=0, delimiter=";")
    np.testing.assert_array_equal(X, [[2.0, 3.0], [5.0, 6.0]])
    np.testing.assert_array_equal(y, [1.0, 4.0])
    assert names == ["x1", "x2"]
    X_all, y_none, all_names = load_csv(path, target=None, delimiter=";")
    assert X_all.shape == (2, 3) and y_none is None and all_names == ["x0", "x1", "x2"]
    _, y_last, _ = load_csv(path, delimiter=";")
    np.testing.assert_array_equal(y_last, [3.0, 6.0])


def test_load_csv_reads_the_shipped_file_like_lecture5():
    X, y, names = load_csv(lecture5_path())
    data = lecture5()
    np.testing.assert_array_equal(X, data.X)
    np.testing.assert_array_equal(y, data.y)
    assert tuple(names) == data.feature_names
    assert read_metadata(lecture5_path())["true_theta"] == "1.5, 0, 1, -0.8"


def test_load_csv_missing_file(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        load_csv(missing)
    with pytest.raises(FileNotFoundError, match="is a directory"):
        load_csv(tmp_path)


def test_load_csv_non_numeric_cell_names_line_and_column(tmp_path):
    path = _write(tmp_path, "# header follows\nmass,speed,y\n1,2,3\n4,fast,6\n")
    with pytest.raises(DatasetFormatError, match=r"line 4, column 1 \('speed'\) holds 'fast'"):
        load_csv(path)


def test_load_csv_empty_cell(tmp_path):
    path = _write(tmp_path, "a,b\n1,\n")
    with pytest.raises(DatasetFormatError, match=r"line 2, column 1 \('b'\) holds an empty cell"):
        load_csv(path)


def test_load_csv_ragged_row(tmp_path):
    path = _write(tmp_path, "a,b,c\n1,2,3\n4,5\n")
    with pytest.raises(DatasetFormatError, match="line 3 has 2 cells but the header has 3"):
        load_csv(path)


def test_load_csv_empty_and_header_only_files(tmp_path):
    with pytest.raises(DatasetFormatError, match="no rows"):
        load_csv(_write(tmp_path, "# only a comment\n\n", "empty.csv"))
    with pytest.raises(DatasetFormatError, match="no data rows"):
        load_csv(_write(tmp_path, "a,b\n", "header.csv"))


def test_load_csv_bad_target(tmp_path):
    path = _write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(KeyError, match="no column named 'price'"):
        load_csv(path, target="price")
    with pytest.raises(IndexError, match="target=2 is out of range"):
        load_csv(path, target=2)
    with pytest.raises(TypeError, match="column index, a column name or None"):
        load_csv(path, target=1.5)
