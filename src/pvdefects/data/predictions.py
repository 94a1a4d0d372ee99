"""Write the predictions CSV: the labels CSV's ``;`` layout with a score column per class.

``filename;<class>...;<class>_score...``: a run's ``val_predictions.csv`` and a cross-validation's
``oof_predictions.csv`` (true labels, then scores) and ``pvdefects predict``'s output (decisions,
then scores) share it, so one reader (:func:`read_predictions`) serves all three.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pvdefects.atomic import write_text
from pvdefects.data.labels import read_rows
from pvdefects.errors import UserError


def write_predictions(
    path: Path, filenames: list[str], class_names: list[str], values: np.ndarray, scores: np.ndarray
) -> Path:
    """Write ``filename;<class>...;<class>_score...`` rows (``values``: decisions or true labels) to
    ``path`` whole or not at all (:mod:`pvdefects.atomic`)."""
    header = ";".join(["filename", *class_names, *(f"{name}_score" for name in class_names)])
    rows = [
        ";".join([name, *(str(int(v)) for v in row_values), *(f"{s:.6f}" for s in row_scores)])
        for name, row_values, row_scores in zip(filenames, values, scores)
    ]
    return write_text(path, "\n".join([header, *rows]) + "\n")


def read_predictions(path: Path) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """``(filenames, class_names, values, scores)`` of a file :func:`write_predictions` wrote:
    values uint8 ``[N, C]`` (decisions or true labels), scores float32 ``[N, C]``. Raises
    :class:`UserError` naming the file and row where it is missing or of another layout."""
    rows = read_rows(path, "predictions file")
    header = rows[0] if rows else []
    classes = (len(header) - 1) // 2
    class_names = header[1 : 1 + classes]
    if not classes or header != ["filename", *class_names, *(f"{name}_score" for name in class_names)]:
        raise UserError(f"{path}: row 1: header must be filename;<class>...;<class>_score...")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise UserError(f"{path}: row {number}: {len(row)} columns, expected {len(header)}")
    try:
        values = np.array([row[1 : 1 + classes] for row in rows[1:]], np.float32).reshape(-1, classes)
        scores = np.array([row[1 + classes :] for row in rows[1:]], np.float32).reshape(-1, classes)
    except ValueError as error:
        raise UserError(f"{path}: not a predictions file ({error})") from None
    return [row[0] for row in rows[1:]], class_names, values.astype(np.uint8), scores
