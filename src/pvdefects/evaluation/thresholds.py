"""Per-class decision thresholds that maximise F1 on validation scores."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import precision_recall_curve


def best_f1_threshold(truth: np.ndarray, scores: np.ndarray, default: float = 0.5) -> float:
    """The score threshold with the highest F1 for one class (``default`` without positives).

    The threshold is placed halfway between the chosen score and the next lower one, so that it
    does not sit exactly on a validation score and generalises a little better.
    """
    if truth.sum() == 0 or truth.sum() == len(truth):
        return default
    precision, recall, thresholds = precision_recall_curve(truth, scores)
    f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-12)
    best = thresholds[int(np.argmax(f1))]
    lower = scores[scores < best]
    return float((best + lower.max()) / 2) if lower.size else float(best)


def tune_thresholds(truth: np.ndarray, scores: np.ndarray) -> list[float]:
    """One F1-maximising threshold per class of ``[N, C]`` arrays."""
    return [best_f1_threshold(truth[:, c], scores[:, c]) for c in range(truth.shape[1])]
