"""course.datasets.lecture: the lecture-5 data follow their documented model, and least squares recovers it."""

from __future__ import annotations

import numpy as np
import pytest

from graphviz_autodiff.course.datasets.lecture import Lecture5Data, lecture5, lecture5_path


def test_least_squares_recovers_the_true_theta_within_the_noise():
    data = lecture5()
    theta, *_ = np.linalg.lstsq(data.X, data.y, rcond=None)
    np.testing.assert_allclose(theta, [1.62732423, -0.15297361, 1.02080366, -0.73853208], atol=1e-7)
    residual = data.y - data.X @ theta
    assert np.std(residual) == pytest.approx(data.noise_std, rel=0.1)
    # Dropping the correlated column loses almost nothing and leaves the others near the truth.
    keep = [0, 2, 3]
    reduced, *_ = np.linalg.lstsq(data.X[:, keep], data.y, rcond=None)
    np.testing.assert_allclose(reduced, data.true_theta[keep], atol=0.1)
    assert np.sum((data.y - data.X[:, keep] @ reduced) ** 2) < 1.01 * np.sum(residual**2)


def test_the_correlated_pair_makes_xtx_badly_conditioned():
    data = lecture5()
    first, second = data.correlated_pair
    assert (data.feature_names[first], data.feature_names[second]) == ("engine_power", "engine_displacement")
    assert np.corrcoef(data.X[:, first], data.X[:, second])[0, 1] == pytest.approx(0.98, abs=0.005)
    assert np.linalg.cond(data.X.T @ data.X) > 100
    keep = [j for j in range(4) if j != second]
    assert np.linalg.cond(data.X[:, keep].T @ data.X[:, keep]) < 2


def test_metadata_and_repr():
    data = lecture5()
    assert isinstance(data, Lecture5Data)
    assert (data.n_samples, data.target_name, data.true_bias, data.noise_std, data.seed) == (
        200,
        "fuel_consumption",
        0.0,
        0.5,
        5,
    )
    assert repr(data) == (
        "Lecture5Data(n_samples=200, feature_names=('engine_power', 'engine_displacement', 'vehicle_mass', "
        "'tyre_pressure'), target_name='fuel_consumption', true_theta=[1.5, 0.0, 1.0, -0.8])"
    )


def test_description_tells_the_whole_story():
    text = lecture5().description
    assert text.startswith("Lecture 5 data set: 200 cars, 4 features per car, one scalar target.\n")
    assert "    0: engine_power\n    1: engine_displacement\n    2: vehicle_mass\n    3: tyre_pressure\n" in text
    assert (
        "    fuel_consumption = 1.5*engine_power + 0*engine_displacement + 1*vehicle_mass - 0.8*tyre_pressure + noise\n"
        "    θ_true = [1.5, 0.0, 1.0, -0.8],  noise standard deviation 0.5\n"
    ) in text
    assert "engine_power and engine_displacement are strongly correlated (r = 0.980)." in text


def test_each_load_gives_fresh_contiguous_arrays():
    first, second = lecture5(), lecture5()
    first.X[0, 0] = 99.0
    first.y[0] = 99.0
    assert second.X[0, 0] != 99.0 and lecture5().y[0] != 99.0
    assert first.X.flags.c_contiguous and first.X.dtype == np.float64
    assert lecture5_path().name == "lecture5.csv" and lecture5_path().is_file()


def test_as_frame_names_what_to_install_when_pandas_is_missing(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match=r"lecture5\(as_frame=True\) needs pandas.*pip install pandas"):
        lecture5(as_frame=True)
