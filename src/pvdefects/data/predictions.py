"""Write the predictions CSV: the labels CSV's ``;`` layout with a score column per class.

``filename;<class>...;<class>_score...``: a run's ``val_predictions.csv`` and a cross-validation's
``oof_predictions.csv`` (true labels, then scores) and ``pvdefects predict``'s output (decisions,
then scores) share it, so one reader serves all three.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pvdefects.atomic import write_text


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
