"""Bootstrap confidence intervals of the per-class metrics.

With few positives (about 20 ``inactive`` cells in a 20 % validation split) a point estimate of
F1 alone says little: resampling the rows with replacement shows how much it would move on
another sample of the same size. The interval is the percentile interval of the resampled metric.
"""

from __future__ import annotations

import numpy as np

METRICS = ("precision", "recall", "specificity", "f1")


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Elementwise ``numerator / denominator``, 0 where the denominator is 0 (as in metrics.py)."""
    return np.divide(numerator, denominator, out=np.zeros(numerator.shape), where=denominator > 0)


def resampled_metrics(
    truth: np.ndarray, predicted: np.ndarray, resamples: int, seed: int
) -> dict[str, np.ndarray]:
    """Each metric of :data:`METRICS` and ``mean_f1`` on ``resamples`` bootstrap samples of the rows
    of 0/1 ``[N, C]`` arrays: arrays ``[resamples, C]`` (``mean_f1``: ``[resamples]``)."""
    rows = np.random.default_rng(seed).integers(0, len(truth), (resamples, len(truth)))
    t, p = truth.astype(bool)[rows], predicted.astype(bool)[rows]  # [R, N, C]
    tp, fp = (t & p).sum(axis=1), (~t & p).sum(axis=1)
    tn, fn = (~t & ~p).sum(axis=1), (t & ~p).sum(axis=1)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    return {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "specificity": _ratio(tn, tn + fp),
        "f1": f1,
        "mean_f1": f1.mean(axis=1),
    }


def bootstrap_intervals(
    truth: np.ndarray,
    predicted: np.ndarray,
    class_names: list[str],
    resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict:
    """``{"classes": {name: {metric: [low, high]}}, "mean_f1": [low, high]}``: percentile intervals
    at ``confidence`` of the metrics of :func:`~pvdefects.evaluation.metrics.multilabel_metrics`."""
    if truth.shape != predicted.shape or truth.shape[1] != len(class_names) or len(truth) == 0:
        raise ValueError(
            f"shapes differ or empty: truth {truth.shape}, predicted {predicted.shape}, {len(class_names)} "
            "classes"
        )
    samples = resampled_metrics(truth, predicted, resamples, seed)
    tails = [50 * (1 - confidence), 100 - 50 * (1 - confidence)]
    bounds = {name: np.percentile(values, tails, axis=0) for name, values in samples.items()}  # [2, C] / [2]
    return {
        "classes": {
            name: {metric: [float(bounds[metric][0, c]), float(bounds[metric][1, c])] for metric in METRICS}
            for c, name in enumerate(class_names)
        },
        "mean_f1": [float(bound) for bound in bounds["mean_f1"]],
        "resamples": resamples,
        "confidence": confidence,
    }
