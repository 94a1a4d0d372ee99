"""K-fold cross-validation of one training config, its out-of-fold evaluation and its ensemble.

Each fold is an ordinary run folder ``<cv>/fold-k`` validated on the k-th of K stratified folds,
so every labelled row is scored exactly once by a model that never trained on it. These
out-of-fold (OOF) scores give the thresholds of the exported ensemble and an estimate of its
quality on all rows, with bootstrap intervals. The export averages the K fold models' sigmoid
scores (with ``tta``, over the 8 flips and quarter turns too), and the OOF scores are computed
the same way per fold model, so that the thresholds suit the scores the export produces.

Reruns are cheap: a fold whose ``model.keras`` exists is skipped; an interrupted fold resumes
from its last finished epoch.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from rich.console import Console

from pvdefects.atomic import write_json
from pvdefects.data.predictions import write_predictions
from pvdefects.data.sources import Dataset, load_dataset
from pvdefects.decisions import apply_thresholds
from pvdefects.errors import UserError
from pvdefects.evaluation.bootstrap import bootstrap_intervals
from pvdefects.evaluation.metrics import multilabel_metrics
from pvdefects.evaluation.report import cell, intervals_table
from pvdefects.evaluation.thresholds import tune_thresholds
from pvdefects.inference.predictor import load_predictor
from pvdefects.layout import CrossValFolder
from pvdefects.models.saving import ModelMetadata, load_classifier
from pvdefects.training.conclusion import conclude
from pvdefects.training.config import TrainConfig, load_config_file
from pvdefects.training.distribution import refuse_multiworker
from pvdefects.training.trainer import split_indices, train

DEFAULT_FOLDS = 5


@dataclass
class CrossValResult:
    folder: CrossValFolder
    thresholds: list[float]
    metrics: dict  # OOF metrics at the OOF-tuned thresholds
    intervals: dict  # their bootstrap intervals
    scores: np.ndarray  # OOF scores [N, C]
    summary: dict  # everything written to metrics.json


def fold_configs(config: TrainConfig, folds: int) -> list[TrainConfig]:
    if folds < 2:
        raise UserError(f"cross-validation needs at least 2 folds; got {folds}")
    return [config.updated(folds=folds, fold=k).validate() for k in range(folds)]


def check_same_config(path: Path, config: TrainConfig) -> None:
    """A folder trained before must have been trained with ``config``: mixing settings would
    make the OOF scores meaningless."""
    if not path.exists():
        return
    differing = sorted(k for k, v in asdict(load_config_file(path)).items() if asdict(config)[k] != v)
    if differing:
        raise UserError(
            f"{path}: trained with other settings ({', '.join(differing)}); use another --name or the same "
            "settings"
        )


def train_folds(
    configs: list[TrainConfig], folder: CrossValFolder, data: Dataset, verbose: int | str, console: Console
) -> list[dict]:
    """Train the folds that have no ``model.keras`` yet; returns each fold's ``metrics.json``."""
    summaries = []
    for k, config in enumerate(configs):
        run = folder.fold(k)
        check_same_config(run.config, config)
        if run.model.exists():
            console.print(f"fold {k}: {run.model} exists; skipped")
        else:
            console.rule(f"fold {k + 1} of {len(configs)}")
            train(config, run, resume=run.config.exists(), verbose=verbose, console=console, data=data)
        summaries.append(json.loads(run.metrics.read_text()))
    return summaries


def out_of_fold_scores(
    configs: list[TrainConfig], folder: CrossValFolder, data: Dataset, tta: bool
) -> np.ndarray:
    """Scores ``[N, C]`` of every row by the fold model that validated it."""
    scores = np.full(data.labels.shape, np.nan, np.float32)
    for k, config in enumerate(configs):
        _, val_idx = split_indices(data.labels, config, data.class_names)
        predictor = load_predictor(folder.fold(k).model)
        scores[val_idx] = predictor.predict(data.images[val_idx], config.batch_size, tta)[1]
    if np.isnan(scores).any():  # cannot happen with K-fold splits; guards the OOF contract
        raise RuntimeError("some rows got no out-of-fold score")
    return scores


def cross_fitted_decisions(
    labels: np.ndarray,
    scores: np.ndarray,
    configs: list[TrainConfig],
    class_names: list[str] | None = None,
    tune: Callable[[np.ndarray, np.ndarray], list[float]] = tune_thresholds,
) -> np.ndarray:
    """Decisions of each fold's rows at thresholds tuned (by ``tune``, from ``[N, C]`` labels and
    scores) on the other folds' OOF scores: an estimate free of the optimism of tuning and measuring
    thresholds on the same rows, and the test of a threshold rule."""
    decisions = np.zeros(labels.shape, np.uint8)
    for config in configs:
        train_idx, val_idx = split_indices(labels, config, class_names)
        decisions[val_idx] = apply_thresholds(scores[val_idx], tune(labels[train_idx], scores[train_idx]))
    return decisions


def cross_validate(
    config: TrainConfig,
    folder: CrossValFolder,
    folds: int = DEFAULT_FOLDS,
    tta: bool = True,
    resamples: int = 2000,
    data: Dataset | None = None,
    verbose: int | str = "auto",
    console: Console | None = None,
) -> CrossValResult:
    """Train (or reuse) the ``folds`` fold models, evaluate them out of fold, and conclude as
    ``train`` does (:func:`~pvdefects.training.conclusion.conclude`): their ensemble, with the
    OOF-tuned thresholds, exported to ``<cv>/model.zip``, and the report printed."""
    console = console or Console()
    started = time.perf_counter()
    refuse_multiworker(config.strategy, "crossval")
    configs = fold_configs(config.validate(), folds)
    check_same_config(folder.config, configs[0])
    data = (data or load_dataset(config.labels, config.images_root, config.input_size)).resized(
        config.input_size
    )
    folder.root.mkdir(parents=True, exist_ok=True)
    configs[0].save(folder.config)
    fold_summaries = train_folds(configs, folder, data, verbose, console)

    console.print(f"out-of-fold scores of {len(data)} cells{' with 8-view TTA' if tta else ''}")
    scores = out_of_fold_scores(configs, folder, data, tta)
    labels, names = data.labels, data.class_names
    thresholds = tune_thresholds(labels, scores)
    decisions = apply_thresholds(scores, thresholds)
    metrics = multilabel_metrics(labels, decisions, names)
    intervals = bootstrap_intervals(labels, decisions, names, resamples, seed=config.seed)
    cross_fitted = cross_fitted_decisions(labels, scores, configs, names)
    write_predictions(folder.predictions, data.table.filenames, names, labels, scores)

    architecture = f"{folds}-fold {config.model} ensemble" + (" with 8-view TTA" if tta else "")
    metadata = ModelMetadata(
        names, thresholds, architecture, config.input_size, config.normalization, config.pooling
    )
    summary = {
        "folds": folds,
        "tta": tta,
        "rows": len(data),
        "thresholds": dict(zip(names, thresholds)),
        "out_of_fold": metrics,
        "out_of_fold_95ci": intervals,
        "out_of_fold_at_0.5": multilabel_metrics(labels, apply_thresholds(scores, [0.5] * len(names)), names),
        "out_of_fold_cross_fitted_thresholds": multilabel_metrics(labels, cross_fitted, names),
        "out_of_fold_cross_fitted_95ci": bootstrap_intervals(
            labels, cross_fitted, names, resamples, seed=config.seed
        ),
        "fold_validation": [s["validation"] for s in fold_summaries],
        "fold_wall_seconds": [s["wall_seconds"] for s in fold_summaries],
        "wall_seconds": time.perf_counter() - started,
    }
    write_json(folder.metrics, summary)
    shown = ", ".join(f"{t:.3f}" for t in thresholds)
    conclude(
        [load_classifier(folder.fold(k).model)[0] for k in range(folds)],
        metadata,
        folder.export,
        intervals_table(
            metrics,
            intervals,
            f"out of fold, {len(data)} cells, thresholds {shown} (95 % bootstrap intervals)",
        ),
        f"mean F1 {cell(metrics['mean_f1'])} (thresholds tuned on the other folds: "
        f"{cell(summary['out_of_fold_cross_fitted_thresholds']['mean_f1'])}); ensemble exported as "
        f"{folder.export}; metrics in {folder.metrics}",
        console,
        tta=tta,
    )
    return CrossValResult(folder, thresholds, metrics, intervals, scores, summary)
