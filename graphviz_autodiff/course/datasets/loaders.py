"""Reading numeric CSV files into NumPy arrays (no pandas needed)."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ...errors import DatasetFormatError

__all__ = ["DatasetFormatError", "load_csv", "read_metadata"]


def load_csv(
    path: str | os.PathLike,
    target: int | str | None = -1,
    delimiter: str = ",",
    *,
    comments: str = "#",
) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Read a numeric CSV file: features ``X``, target ``y`` and the feature names.

    The first non-comment line is a header when any of its cells is not a
    number; otherwise there is no header and the columns are named ``x0``,
    ``x1``, ... Lines starting with ``comments`` and blank lines are skipped.

    Parameters
    ----------
    path : str or path-like
        The CSV file.
    target : int, str or None, default -1
        The target column: its position (negative counts from the end) or its
        header name. ``None``: every column is a feature and ``y`` is ``None``.
    delimiter : str, default ","
        The cell separator (``";"``, ``"\\t"``, ...).
    comments : str, default "#"
        Lines starting with this prefix are ignored.

    Returns
    -------
    X : ndarray of shape (n, d), float64
        The feature columns, in file order.
    y : ndarray of shape (n,), float64, or None
        The target column.
    feature_names : list of str
        The names of the columns of ``X``.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    DatasetFormatError
        The file has no data rows, a row has a different number of cells than
        the first one, or a cell is not a number (the message gives the line
        and the column).
    KeyError, IndexError
        ``target`` names no column / is out of range.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.csv"
    >>> _ = path.write_text("a,b,price\\n1,2,3\\n4,5,6\\n")
    >>> X, y, names = load_csv(path, target="price")
    >>> X.shape, y.tolist(), names
    ((2, 2), [3.0, 6.0], ['a', 'b'])
    """
    path = Path(path)
    if not path.is_file():
        where = "is a directory" if path.is_dir() else "does not exist"
        raise FileNotFoundError(f"load_csv: {str(path)!r} {where}; pass the path of a CSV file.")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(_data_rows(csv.reader(handle, delimiter=delimiter), comments))
    if not rows:
        raise DatasetFormatError(f"load_csv: {str(path)!r} has no rows (only comments or blank lines).")
    header: list[str] | None = None
    first = rows[0][1]
    if not all(_is_number(cell) for cell in first):
        header = [cell.strip() for cell in first]
        rows = rows[1:]
    if not rows:
        raise DatasetFormatError(f"load_csv: {str(path)!r} has a header but no data rows.")
    width = len(header) if header is not None else len(rows[0][1])
    names = header if header is not None else [f"x{j}" for j in range(width)]
    table = _parse(rows, width, names, path, header is not None)
    if target is None:
        return table, None, names
    column = _target_column(target, names, path)
    keep = [j for j in range(width) if j != column]
    return table[:, keep], table[:, column].copy(), [names[j] for j in keep]


def read_metadata(path: str | os.PathLike, comments: str = "#") -> dict[str, str]:
    """The ``# key: value`` comment lines at the top of a CSV file, as a dict.

    Reading stops at the first line that is not a comment.
    """
    found: dict[str, str] = {}
    with Path(path).open(encoding="utf-8-sig") as handle:
        for line in handle:
            if not line.startswith(comments):
                break
            key, sep, value = line[len(comments) :].partition(":")
            if sep:
                found[key.strip()] = value.strip()
    return found


def _data_rows(reader: Iterable[list[str]], comments: str) -> Iterable[tuple[int, list[str]]]:
    """``(line number, cells)`` for every row that is neither blank nor a comment."""
    for cells in reader:
        line = reader.line_num  # type: ignore[attr-defined]
        if not cells or all(not c.strip() for c in cells):
            continue
        if comments and cells[0].lstrip().startswith(comments):
            continue
        yield line, cells


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _cells(n: int) -> str:
    return f"{n} cell" if n == 1 else f"{n} cells"


def _parse(rows: list[tuple[int, list[str]]], width: int, names: list[str], path: Path, has_header: bool) -> np.ndarray:
    table = np.empty((len(rows), width))
    reference = "the header" if has_header else "the first row"
    for i, (line, cells) in enumerate(rows):
        if len(cells) != width:
            raise DatasetFormatError(
                f"load_csv: {path.name!r} line {line} has {_cells(len(cells))} but {reference} has {width}; "
                f"every row needs one value per column."
            )
        for j, cell in enumerate(cells):
            try:
                table[i, j] = float(cell)
            except ValueError:
                what = "an empty cell" if not cell.strip() else f"{cell!r}, which is not a number"
                raise DatasetFormatError(
                    f"load_csv: {path.name!r} line {line}, column {j} ({names[j]!r}) holds {what}; "
                    f"the file must contain numbers only (write missing values as nan)."
                ) from None
    return table


def _target_column(target: int | str, names: list[str], path: Path) -> int:
    width = len(names)
    if isinstance(target, str):
        if target not in names:
            raise KeyError(f"load_csv: {path.name!r} has no column named {target!r}; its columns are {names}.")
        return names.index(target)
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        if not -width <= target < width:
            raise IndexError(f"load_csv: target={target} is out of range for {path.name!r}, which has {width} columns.")
        return int(target) % width
    raise TypeError(f"load_csv: target must be a column index, a column name or None, got {type(target).__name__}.")
