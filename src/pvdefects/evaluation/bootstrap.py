"""Bootstrap confidence intervals of the per-class metrics.

With few positives (about 20 ``inactive`` cells in a 20 % validation split) a point estimate of
F1 alone says little: resampling the rows with replacement shows how much it would move on
another sample of the same size. The interval is the percentile interval of the resampled metric.
"""

from __future__ import annotations

from collections.abc import Sequence

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
    f1 = np.divide(2 * tp, 2 * tp + fp + fn, out=np.full(tp.shape, np.nan), where=tp + fp + fn > 0)
    defined = ~np.isnan(f1)  # F1 undefined without positives and predictions, as in metrics.py
    return {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "specificity": _ratio(tn, tn + fp),
        "f1": f1,
        "mean_f1": np.divide(
            np.where(defined, f1, 0).sum(axis=1),
            defined.sum(axis=1),
            out=np.full(len(f1), np.nan),
            where=defined.any(axis=1),
        ),
    }


def percentile_interval(values: np.ndarray, tails: list[float]) -> list[float | None]:
    """``[low, high]`` percentiles of the resamples where the metric is defined (not NaN);
    ``[None, None]`` where it never is."""
    defined = values[~np.isnan(values)]
    return [float(bound) for bound in np.percentile(defined, tails)] if defined.size else [None, None]


def tails(confidence: float) -> list[float]:
    """The ``[low, high]`` percentiles of a two-sided interval at ``confidence`` (0.95 -> 2.5, 97.5)."""
    return [50 * (1 - confidence), 100 - 50 * (1 - confidence)]


def repeated_resamples(
    truth: np.ndarray, predictions: Sequence[np.ndarray], resamples: int, seed: int
) -> dict[str, np.ndarray]:
    """``f1`` ``[resamples, C]`` and ``mean_f1`` ``[resamples]`` of :func:`resampled_metrics` for each
    of several 0/1 predictions ``[N, C]`` of the same rows (the repeats of a repeated cross-validation),
    all on the same bootstrap samples of rows, averaged over the predictions (NaN where undefined in
    one). Two calls with the same ``truth`` and ``seed`` resample the same rows, so their difference
    is a paired bootstrap of the difference of two models scored on the same cells."""
    samples = [resampled_metrics(truth, predicted, resamples, seed) for predicted in predictions]
    return {key: np.mean([sample[key] for sample in samples], axis=0) for key in ("f1", "mean_f1")}


def bootstrap_intervals(
    truth: np.ndarray,
    predicted: np.ndarray,
    class_names: list[str],
    resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict:
    """``{"classes": {name: {metric: [low, high]}}, "mean_f1": [low, high]}``: percentile intervals
    at ``confidence`` of the metrics of :func:`~pvdefects.evaluation.metrics.multilabel_metrics`, with
    its rules: F1 undefined without positives and predictions, the mean over the defined ones (an
    F1 interval is over the resamples where it is defined; ``[None, None]`` if it never is)."""
    if truth.shape != predicted.shape or truth.shape[1] != len(class_names) or len(truth) == 0:
        raise ValueError(
            f"shapes differ or empty: truth {truth.shape}, predicted {predicted.shape}, {len(class_names)} "
            "classes"
        )
    samples = resampled_metrics(truth, predicted, resamples, seed)
    bounds = tails(confidence)
    return {
        "classes": {
            name: {metric: percentile_interval(samples[metric][:, c], bounds) for metric in METRICS}
            for c, name in enumerate(class_names)
        },
        "mean_f1": percentile_interval(samples["mean_f1"], bounds),
        "resamples": resamples,
        "confidence": confidence,
    }
