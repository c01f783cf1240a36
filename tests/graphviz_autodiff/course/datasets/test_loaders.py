"""course.datasets.loaders: load_csv reads numeric CSV (header or not, delimiters, comments), says what is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from graphviz_autodiff.course.datasets.loaders import DatasetFormatError, load_csv, read_metadata


def write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_header_target_by_name_or_position(tmp_path):
    path = write(tmp_path, "a,b,price\n1,2,3\n4,5,6\n")
    X, y, names = load_csv(path, target="price")
    np.testing.assert_array_equal(X, [[1.0, 2.0], [4.0, 5.0]])
    np.testing.assert_array_equal(y, [3.0, 6.0])
    assert names == ["a", "b"] and X.dtype == np.float64
    X, y, names = load_csv(path, target=0)
    np.testing.assert_array_equal(y, [1.0, 4.0])
    assert names == ["b", "price"]
    X, y, names = load_csv(path, target=None)
    assert y is None and X.shape == (2, 3) and names == ["a", "b", "price"]


def test_no_header_comments_blank_lines_semicolons_and_a_bom(tmp_path):
    text = "# made by hand\n\n1.5;-2;nan\n# in the middle\n3;4e2;5\n"
    path = write(tmp_path, text, encoding="utf-8-sig")
    X, y, names = load_csv(path, delimiter=";")
    assert names == ["x0", "x1"]
    np.testing.assert_array_equal(X, [[1.5, -2.0], [3.0, 400.0]])
    assert np.isnan(y[0]) and y[1] == 5.0


def test_read_metadata_reads_the_leading_comment_lines_only(tmp_path):
    path = write(tmp_path, "# seed: 5\n# model: y = 2*x + noise\n#no colon here\nx,y\n# late: ignored\n1,2\n")
    assert read_metadata(path) == {"seed": "5", "model": "y = 2*x + noise"}
    assert read_metadata(write(tmp_path, "x\n1\n", name="plain.csv")) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n1,2\n3\n", r"load_csv: 'data\.csv' line 3 has 1 cell but the header has 2; every row needs"),
        ("1,2\n3,4,5\n", r"load_csv: 'data\.csv' line 2 has 3 cells but the first row has 2"),
        ("a,b\n1,x\n", r"line 2, column 1 \('b'\) holds 'x', which is not a number; the file must contain numbers"),
        ("a,b\n1, \n", r"line 2, column 1 \('b'\) holds an empty cell"),
        ("# only\n\n", r"has no rows \(only comments or blank lines\)"),
        ("a,b\n", r"has a header but no data rows"),
    ],
)
def test_format_errors_give_the_line_and_the_column(tmp_path, text, message):
    with pytest.raises(DatasetFormatError, match=message):
        load_csv(write(tmp_path, text), target=None)


def test_a_missing_file_a_directory_and_a_bad_target(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"'.*nothing\.csv' does not exist; pass the path of a CSV file"):
        load_csv(tmp_path / "nothing.csv")
    with pytest.raises(FileNotFoundError, match=r"is a directory"):
        load_csv(tmp_path)
    path = write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(KeyError, match=r"has no column named 'c'; its columns are \['a', 'b'\]"):
        load_csv(path, target="c")
    with pytest.raises(IndexError, match=r"target=2 is out of range for 'data\.csv', which has 2 columns"):
        load_csv(path, target=2)
    with pytest.raises(TypeError, match=r"target must be a column index, a column name or None, got bool"):
        load_csv(path, target=True)
    X, y, _ = load_csv(path, target=-2)
    assert y.tolist() == [1.0] and X.tolist() == [[2.0]]
