"""Score image files batch by batch, each image at its own size.

Images are read one batch at a time, so a folder of any size fits in memory; the results go to
:func:`pvdefects.data.predictions.write_predictions`. Every image reaches the model as read (0-255,
16-bit files scaled, see :mod:`pvdefects.data.images`): the model's own layers resize it, so a
cell's score never depends on the other files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pvdefects.data.images import ColourConversions, as_batch, read_in_batches
from pvdefects.inference.predictor import Predictor


@dataclass(frozen=True)
class ScoredFiles:
    """The outcome of :func:`predict_files`: decisions (uint8 ``[M, C]``) and scores (float32
    ``[M, C]``) of the ``M`` files that could be read, ``scored`` their positions in the input list,
    and one message per file that could not (only when skipping was asked for)."""

    decisions: np.ndarray
    scores: np.ndarray
    scored: list[int]
    unreadable: list[str]


def predict_files(
    predictor: Predictor,
    paths: list[Path],
    batch_size: int = 32,
    tta: bool = False,
    on_batch: Callable[[int], None] = lambda done: None,
    skip_unreadable: bool = False,
) -> ScoredFiles:
    """Score each file, in order; ``on_batch`` gets the number of files just handled.

    Images of one batch are sent to the model in groups of equal size. An unreadable file raises
    :class:`UserError`, or with ``skip_unreadable`` is left out and named in ``unreadable``. Colour
    conversions are reported in one line at the end."""
    conversions = ColourConversions()
    decisions = np.zeros((len(paths), len(predictor.class_names)), np.uint8)
    scores = np.zeros((len(paths), len(predictor.class_names)), np.float32)
    scored: list[int] = []
    unreadable: list[str] = []
    for positions, groups in read_in_batches(
        paths, batch_size, conversions, unreadable if skip_unreadable else None
    ):
        for group in groups:
            indices = [index for index, _ in group]
            decisions[indices], scores[indices] = predictor.predict(as_batch(group), batch_size, tta)
            scored.extend(indices)
        on_batch(len(positions))
    conversions.report()
    scored.sort()
    return ScoredFiles(decisions[scored], scores[scored], scored, unreadable)
