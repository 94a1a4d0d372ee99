"""Repeated stratified K-fold cross-validation, and its out-of-fold decisions read back from disk.

One K-fold assignment of 1,600 cells leaves about ±0.02 of noise in the out-of-fold mean F1 (a
fold validates some 20 ``inactive`` cells); repeating the cross-validation on other fold
assignments averages part of it away. Repeat ``r`` is an ordinary cross-validation
(:func:`~pvdefects.training.crossval.cross_validate`) in ``<cv>/repeat-r`` with the config's seeds plus
``r`` (:func:`repeat_config`), which draw the folds (and the initial weights and the sampler) anew; with
one repeat the cross-validation is ``<cv>`` itself, as without ``--repeats``. Two configurations with the
same labels, folds, split seed (``split_seed``, else ``seed``) and repeats are validated on the same folds,
so their out-of-fold results pair up cell by cell (:mod:`pvdefects.training.comparison`).

Every figure here uses decisions at thresholds tuned out of fold: each fold's rows at the
thresholds tuned on the other folds' out-of-fold scores
(:func:`~pvdefects.training.crossval.cross_fitted_decisions`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.console import Console
from rich.table import Table

from pvdefects.atomic import write_json
from pvdefects.data.predictions import read_predictions
from pvdefects.data.sources import Dataset, load_dataset
from pvdefects.errors import UserError
from pvdefects.evaluation.bootstrap import percentile_interval, repeated_resamples, tails
from pvdefects.evaluation.metrics import multilabel_metrics
from pvdefects.evaluation.report import cell
from pvdefects.layout import CrossValFolder
from pvdefects.training.config import TrainConfig, load_config_file
from pvdefects.training.crossval import (
    DEFAULT_FOLDS,
    check_same_config,
    cross_fitted_decisions,
    cross_validate,
    fold_configs,
)

CONFIDENCE = 0.95


@dataclass
class OutOfFold:
    """The out-of-fold results of one repeat, as written to its folder."""

    config: TrainConfig  # fold 0's config
    filenames: list[str]
    class_names: list[str]
    labels: np.ndarray  # [N, C] 0/1
    scores: np.ndarray  # [N, C] out-of-fold scores in [0, 1]
    decisions: np.ndarray  # [N, C] 0/1 at thresholds tuned on the other folds


def repeat_folders(folder: CrossValFolder) -> list[CrossValFolder]:
    """The cross-validation of each repeat: ``<cv>/repeat-r``, or ``<cv>`` itself if it has none."""
    return folder.repeats() or [folder]


def read_out_of_fold(folder: CrossValFolder) -> OutOfFold:
    """One finished cross-validation's out-of-fold labels and cross-fitted decisions; a
    :class:`UserError` if it is not one."""
    if not folder.config.exists() or not folder.predictions.exists():
        raise UserError(
            f"{folder.root}: not a finished cross-validation (no config.json and oof_predictions.csv)"
        )
    config = load_config_file(folder.config)
    filenames, class_names, labels, scores = read_predictions(folder.predictions)
    decisions = cross_fitted_decisions(labels, scores, fold_configs(config, config.folds), class_names)
    return OutOfFold(config, filenames, class_names, labels, scores, decisions)


def read_repeats(folder: CrossValFolder) -> list[OutOfFold]:
    """The out-of-fold results of every repeat of ``folder``, all of the same cells."""
    repeats = [read_out_of_fold(repeat) for repeat in repeat_folders(folder)]
    if any(r.filenames != repeats[0].filenames for r in repeats):
        raise UserError(f"{folder.root}: its repeats scored different cells")
    return repeats


def _average(values: list[float | None]) -> float:
    """The mean of the defined values (None: an F1 undefined in that repeat)."""
    return float(np.nanmean(np.array(values, float)))


def repeated_summary(repeats: list[OutOfFold], resamples: int, seed: int) -> dict:
    """Out-of-fold F1 per class and mean F1 of each repeat, their averages over the repeats, and
    percentile intervals of those averages over bootstrap samples of the cells."""
    first = repeats[0]
    per_repeat = [multilabel_metrics(r.labels, r.decisions, r.class_names) for r in repeats]
    samples = repeated_resamples(first.labels, [r.decisions for r in repeats], resamples, seed)
    bounds = tails(CONFIDENCE)
    return {
        "repeats": len(repeats),
        "folds": first.config.folds,
        "rows": len(first.filenames),
        "mean_f1": _average([m["mean_f1"] for m in per_repeat]),
        "mean_f1_per_repeat": [m["mean_f1"] for m in per_repeat],
        "mean_f1_95ci": percentile_interval(samples["mean_f1"], bounds),
        "classes": {
            name: {
                "f1": _average([m["classes"][name]["f1"] for m in per_repeat]),
                "f1_per_repeat": [m["classes"][name]["f1"] for m in per_repeat],
                "f1_95ci": percentile_interval(samples["f1"][:, c], bounds),
            }
            for c, name in enumerate(first.class_names)
        },
        "resamples": resamples,
        "thresholds": "tuned on the other folds' out-of-fold scores",
    }


def summary_table(summary: dict, title: str) -> Table:
    """The per-class and mean F1 of :func:`repeated_summary` with their intervals and per-repeat values."""
    table = Table(title=title, title_justify="left")
    for header in ("class", "F1", "95 % interval", "per repeat"):
        table.add_column(header, justify="left" if header == "class" else "right")

    def row(name: str, value: float, interval: list, per_repeat: list) -> None:
        low, high = interval
        table.add_row(name, cell(value), f"{cell(low)}-{cell(high)}", " ".join(cell(v) for v in per_repeat))

    for name, values in summary["classes"].items():
        row(name, values["f1"], values["f1_95ci"], values["f1_per_repeat"])
    table.add_section()
    row("mean", summary["mean_f1"], summary["mean_f1_95ci"], summary["mean_f1_per_repeat"])
    return table


def repeat_config(config: TrainConfig, r: int) -> TrainConfig:
    """Repeat ``r``'s config: ``seed`` and a fixed ``split_seed`` moved on by ``r``, so each repeat has
    its own folds (and its own initial weights, sampler and augmentation)."""
    split_seed = None if config.split_seed is None else config.split_seed + r
    return config.updated(seed=config.seed + r, split_seed=split_seed)


def repeated_cross_validate(
    config: TrainConfig,
    folder: CrossValFolder,
    repeats: int,
    folds: int = DEFAULT_FOLDS,
    tta: bool = True,
    resamples: int = 2000,
    data: Dataset | None = None,
    verbose: int | str = "auto",
    console: Console | None = None,
) -> dict:
    """Cross-validate ``config`` ``repeats`` times on fold assignments drawn with its split seed plus
    0, 1, ... (:func:`repeat_config`; each repeat concluded and exported as one cross-validation),
    then write the summary over the repeats (:func:`repeated_summary`) to ``<cv>/metrics.json`` and
    return it."""
    if repeats < 1:
        raise UserError(f"repeats must be at least 1; got {repeats}")
    console = console or Console()
    if repeats == 1:
        cross_validate(config, folder, folds, tta, resamples, data, verbose, console)
        return repeated_summary(read_repeats(folder), resamples, config.seed)
    config = config.validate()
    check_same_config(folder.config, config)
    data = (data or load_dataset(config.labels, config.images_root, config.input_size)).resized(
        config.input_size
    )
    folder.root.mkdir(parents=True, exist_ok=True)
    config.save(folder.config)
    for r in range(repeats):
        console.rule(f"repeat {r + 1} of {repeats}")
        repeat = folder.repeat(r)
        cross_validate(repeat_config(config, r), repeat, folds, tta, resamples, data, verbose, console)
    summary = repeated_summary(read_repeats(folder), resamples, config.seed)
    write_json(folder.metrics, summary)
    console.print(
        summary_table(
            summary,
            f"{repeats} x {folds}-fold, out of fold, {summary['rows']} cells, thresholds tuned on the other "
            f"folds ({CONFIDENCE:.0%} bootstrap intervals of the average over repeats)",
        )
    )
    return summary
