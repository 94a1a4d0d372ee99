"""Score image files batch by batch and write the predictions CSV.

Images are read one batch at a time, so a folder of any size fits in memory. The CSV has the
layout of a run's ``val_predictions.csv``: ``filename;<class>...;<class>_score...``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np

from pvdefects.data.images import read_grayscale
from pvdefects.inference.predictor import Predictor


def predict_files(
    predictor: Predictor,
    paths: list[Path],
    batch_size: int = 32,
    tta: bool = False,
    on_batch: Callable[[int], None] = lambda done: None,
) -> tuple[np.ndarray, np.ndarray]:
    """Decisions and scores of each file, in order; ``on_batch`` gets the number of images just scored.

    Images of different sizes within a batch are scored in runs of equal size (the model resizes
    each image itself, so no image is resized here)."""
    decisions, scores = [], []
    for start in range(0, len(paths), batch_size):
        pixels = [read_grayscale(path) for path in paths[start : start + batch_size]]
        for _, same_size in itertools.groupby(pixels, key=np.shape):
            batch_decisions, batch_scores = predictor.predict(
                np.stack(list(same_size))[..., np.newaxis], batch_size, tta
            )
            decisions.append(batch_decisions)
            scores.append(batch_scores)
        on_batch(len(pixels))
    return np.concatenate(decisions), np.concatenate(scores)


def write_predictions(
    path: Path, filenames: list[str], class_names: list[str], values: np.ndarray, scores: np.ndarray
) -> Path:
    """Write ``filename;<class>...;<class>_score...`` rows (``values``: decisions or true labels) to
    ``path``, through a temporary name so that no half-written file is left."""
    header = ";".join(["filename", *class_names, *(f"{name}_score" for name in class_names)])
    rows = [
        ";".join([name, *(str(int(v)) for v in row_values), *(f"{s:.6f}" for s in row_scores)])
        for name, row_values, row_scores in zip(filenames, values, scores)
    ]
    partial = path.with_name(path.name + ".partial")
    partial.write_text("\n".join([header, *rows]) + "\n")
    partial.replace(path)
    return path
