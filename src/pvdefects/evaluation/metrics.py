"""Per-class metrics of a multi-label classifier, computed from the confusion counts.

precision = TP / (TP + FP), recall = TP / (TP + FN), specificity = TN / (TN + FP),
F1 = 2 * precision * recall / (precision + recall); undefined ratios count as 0 (scikit-learn's
``zero_division=0``). The headline figure is the mean F1 over classes.
"""

from __future__ import annotations

import numpy as np


def _ratio(numerator: int, denominator: int) -> float:
    return float(numerator) / denominator if denominator else 0.0


def class_metrics(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float | int]:
    """Metrics of one class from 0/1 vectors."""
    truth, predicted = truth.astype(bool), predicted.astype(bool)
    tp = int(np.sum(truth & predicted))
    fp = int(np.sum(~truth & predicted))
    tn = int(np.sum(~truth & ~predicted))
    fn = int(np.sum(truth & ~predicted))
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return {
        "accuracy": _ratio(tp + tn, len(truth)),
        "precision": precision,
        "recall": recall,
        "specificity": _ratio(tn, tn + fp),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "support": int(truth.sum()),
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
    }


def multilabel_metrics(truth: np.ndarray, predicted: np.ndarray, class_names: list[str]) -> dict:
    """``{"classes": {name: metrics}, "mean_f1": float}`` for ``[N, C]`` 0/1 arrays."""
    if truth.shape != predicted.shape or truth.shape[1] != len(class_names):
        raise ValueError(
            f"shapes differ: truth {truth.shape}, predicted {predicted.shape}, {len(class_names)} classes"
        )
    classes = {name: class_metrics(truth[:, c], predicted[:, c]) for c, name in enumerate(class_names)}
    return {"classes": classes, "mean_f1": float(np.mean([m["f1"] for m in classes.values()]))}
