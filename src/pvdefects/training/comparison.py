"""Paired comparison of two cross-validations trained on the same folds.

Two configurations cross-validated with the same labels, folds, split seed and repeats saw the same fold
assignments (:mod:`pvdefects.training.repeated`), so each cell has an out-of-fold decision from
both. The difference B - A of their out-of-fold mean F1 is averaged over the repeats, and its
interval comes from bootstrap samples of the cells that are the same for A and B (a paired
bootstrap: the part of the noise that the cells share cancels out of the difference).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pvdefects.errors import UserError
from pvdefects.evaluation.bootstrap import percentile_interval, repeated_resamples, tails
from pvdefects.layout import CrossValFolder
from pvdefects.training.repeated import CONFIDENCE, OutOfFold, read_repeats, repeated_summary

# The settings that, with the cells in their order and their labels, decide which cells validate each
# fold: they must agree for a paired comparison. The labels file's path is not one of them: the same
# file spelled relative in one run and absolute in another gives the same folds. Nor is ``seed`` where
# ``split_seed`` fixes the folds: two runs that differ only in it measure the training's own noise.
# Each maps to its name in errors.
SAME_FOLDS = {"folds": "folds", "effective_split_seed": "split seed (split_seed, else seed)"}


def check_same_folds(a: list[OutOfFold], b: list[OutOfFold], names: tuple[str, str]) -> None:
    """A :class:`UserError` unless both have as many repeats, each on the same folds of the same cells."""
    if len(a) != len(b):
        raise UserError(f"{names[0]} has {len(a)} repeats, {names[1]} {len(b)}: not the same folds")
    for r, (x, y) in enumerate(zip(a, b)):
        differing = [
            name for key, name in SAME_FOLDS.items() if getattr(x.config, key) != getattr(y.config, key)
        ]
        same_cells = x.filenames == y.filenames and x.class_names == y.class_names
        if differing or not same_cells or not np.array_equal(x.labels, y.labels):
            what = ", ".join(differing) or ("labels" if same_cells else "cells or classes")
            raise UserError(f"{names[0]} and {names[1]} differ in {what} (repeat {r}): not the same folds")


def paired_difference(diff: np.ndarray) -> dict:
    """The :data:`CONFIDENCE` interval of bootstrap differences B - A ``[resamples]`` (NaN where
    undefined) and the share of the defined ones in which B is better."""
    defined = diff[~np.isnan(diff)]
    return {
        "95ci": percentile_interval(diff, tails(CONFIDENCE)),
        "b_better_share": float(np.mean(defined > 0)) if defined.size else None,
    }


def compare_cross_validations(a: Path, b: Path, resamples: int = 2000, seed: int = 0) -> dict:
    """B - A: the difference of the out-of-fold mean F1 and per-class F1 (thresholds tuned on the
    other folds), averaged over the repeats, with its paired bootstrap interval and the share of
    bootstrap samples in which B is better; both summaries under ``"a"`` and ``"b"``. Raises
    :class:`UserError` for a folder that is not a finished cross-validation or other folds."""
    repeats_a, repeats_b = read_repeats(CrossValFolder(a)), read_repeats(CrossValFolder(b))
    check_same_folds(repeats_a, repeats_b, (str(a), str(b)))
    labels = repeats_a[0].labels
    samples_a = repeated_resamples(labels, [r.decisions for r in repeats_a], resamples, seed)
    samples_b = repeated_resamples(labels, [r.decisions for r in repeats_b], resamples, seed)
    summary_a = repeated_summary(repeats_a, resamples, seed)
    summary_b = repeated_summary(repeats_b, resamples, seed)

    def difference(key: str, column: int | None = None) -> dict:
        diff = samples_b[key] - samples_a[key]
        return paired_difference(diff if column is None else diff[:, column])

    class_names = repeats_a[0].class_names
    return {
        "a": str(a),
        "b": str(b),
        "repeats": len(repeats_a),
        "folds": repeats_a[0].config.folds,
        "rows": len(labels),
        "mean_f1_difference": summary_b["mean_f1"] - summary_a["mean_f1"],
        "mean_f1_difference_per_repeat": [
            y - x for x, y in zip(summary_a["mean_f1_per_repeat"], summary_b["mean_f1_per_repeat"])
        ],
        **{f"mean_f1_difference_{k}": v for k, v in difference("mean_f1").items()},
        "classes": {
            name: {
                "f1_difference": summary_b["classes"][name]["f1"] - summary_a["classes"][name]["f1"],
                **{f"f1_difference_{k}": v for k, v in difference("f1", c).items()},
            }
            for c, name in enumerate(class_names)
        },
        "summary_a": summary_a,
        "summary_b": summary_b,
        "resamples": resamples,
        "confidence": CONFIDENCE,
    }
