"""Per-class metrics of a multi-label classifier, computed from the confusion counts.

precision = TP / (TP + FP), recall = TP / (TP + FN), specificity = TN / (TN + FP): undefined ratios
count as 0 (scikit-learn's ``zero_division=0``). F1 = 2 TP / (2 TP + FP + FN) is undefined (None)
where there is nothing to find and nothing was found (no positives, none predicted): a flawless
column of true negatives is neither 0 nor 1. The headline figure, the mean F1, is the mean over the
classes whose F1 is defined (scikit-learn's macro F1 with ``zero_division=np.nan``).
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
        "f1": float(2 * tp) / (2 * tp + fp + fn) if tp + fp + fn else None,
        "support": int(truth.sum()),
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
    }


def multilabel_metrics(truth: np.ndarray, predicted: np.ndarray, class_names: list[str]) -> dict:
    """``{"classes": {name: metrics}, "mean_f1": float | None, "mean_f1_over": [names]}`` for ``[N, C]``
    0/1 arrays: the mean F1 over the classes in ``mean_f1_over``, those with a defined F1 (None if
    there are none)."""
    if truth.shape != predicted.shape or truth.shape[1] != len(class_names):
        raise ValueError(
            f"shapes differ: truth {truth.shape}, predicted {predicted.shape}, {len(class_names)} classes"
        )
    classes = {name: class_metrics(truth[:, c], predicted[:, c]) for c, name in enumerate(class_names)}
    defined = [name for name, values in classes.items() if values["f1"] is not None]
    mean_f1 = float(np.mean([classes[name]["f1"] for name in defined])) if defined else None
    return {"classes": classes, "mean_f1": mean_f1, "mean_f1_over": defined}


def undefined_f1_note(metrics: dict) -> str | None:
    """The rule of the mean in words when some class's F1 is undefined, else None."""
    undefined = [name for name, values in metrics["classes"].items() if values["f1"] is None]
    if not undefined:
        return None
    over = ", ".join(metrics["mean_f1_over"]) or "no class"
    return (
        f"F1 of {', '.join(undefined)} undefined (no positives, none predicted); the mean F1 is over {over}"
    )
