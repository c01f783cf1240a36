"""viz.demo: the lecture graph behind every artefact (3 gradient-descent steps), the student's bug, README pictures."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from graphviz_autodiff.course.datasets import lecture5
from graphviz_autodiff.debug import check, gradcheck
from viz.demo import StudentSquared, lecture_graph, write_readme_pictures


def gradient_descent(X, y, epochs):
    """Full-batch gradient descent on Σ(Xθ − y)² from θ = 0, with half the stability limit 2/λ_max(2XᵀX)."""
    lr = 0.5 * 2.0 / np.linalg.eigvalsh(2 * X.T @ X).max()
    theta = np.zeros(X.shape[1])
    for _ in range(epochs):
        theta = theta - lr * 2 * X.T @ (X @ theta - y)
    return theta


def test_the_lecture_graph_is_the_partly_trained_model_on_five_rows():
    data = lecture5()
    loss, linear = lecture_graph()
    theta = np.round(gradient_descent(data.X, data.y, 3), 3)
    np.testing.assert_allclose(linear.theta.data, theta, atol=1e-12)
    X, y = data.X[:5].round(2), data.y[:5].round(2)
    assert loss.item() == pytest.approx(np.sum((X @ theta - y) ** 2), rel=1e-12)
    labels = {attrs["label"] for _, attrs in loss.graph.nx.nodes(data=True)}
    assert labels == {"X", "θ", "Linear", "Identity", "y", "Squared", "Sum"}
    names = [attrs["name"] for n, attrs in sorted(loss.graph.nx.nodes(data=True)) if attrs["kind"] == "op"]
    assert names == ["z", "μ", "s", "L"]


def test_more_rows_and_epochs():
    data = lecture5()
    loss, linear = lecture_graph(8, epochs=10)
    np.testing.assert_allclose(linear.theta.data, np.round(gradient_descent(data.X, data.y, 10), 3), atol=1e-12)
    assert loss.graph.nx.nodes[0]["value"].shape == (8, 4)


def test_the_students_squared_misses_the_factor_two_and_the_debugger_says_so():
    result = gradcheck(StudentSquared(), np.array([1.0, 2.0, -1.0]), np.array([0.5, 0.0, 1.0]))
    assert (result.kind, result.diagnosis) == ("wrong_gradient", "factor")
    assert result.failing.factor == pytest.approx(0.5, rel=1e-6)
    loss, _ = lecture_graph(squared=StudentSquared)
    loss.backward()
    report = check(loss)
    assert report.culprit.label == "StudentSquared"
    assert {n.label for n in report.inherited} >= {"Identity", "Linear"}


@pytest.mark.dot
def test_readme_pictures_are_a_16_9_slide_and_a_walk(tmp_path):
    picture, walk = write_readme_pictures(tmp_path)
    assert (picture.name, walk.name) == ("lecture5.png", "lecture5_walk.gif")
    with Image.open(picture) as image:
        assert image.size == (1920, 1080)
    with Image.open(walk) as gif:
        assert gif.size[0] == 1280 and gif.n_frames == 1 + 4  # the start and one frame per op call
        assert gif.info["duration"] == 2000
