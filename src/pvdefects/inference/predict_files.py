"""Score image files batch by batch.

Images are read one batch at a time, so a folder of any size fits in memory; the results go to
:func:`pvdefects.data.predictions.write_predictions`.
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
