"""From a network's logits to scores to 0/1 decisions, the same for every form a model takes.

The networks output one logit per class. Classes are independent (multi-label), so each gets its
own sigmoid, and a class is decided present where its score reaches that class's threshold (tuned
on validation to maximise F1, :mod:`pvdefects.evaluation.thresholds`). The exported SavedModel
computes the same in its graph (:mod:`pvdefects.export.savedmodel`).
"""

from __future__ import annotations

import numpy as np


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Scores in (0, 1) of logits ``[N, C]``, elementwise."""
    return 1.0 / (1.0 + np.exp(-logits))


def apply_thresholds(scores: np.ndarray, thresholds: list[float] | np.ndarray) -> np.ndarray:
    """0/1 decisions (uint8 ``[N, C]``): score >= threshold, per class."""
    return (scores >= np.asarray(thresholds)[np.newaxis, :]).astype(np.uint8)
