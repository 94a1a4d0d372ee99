"""``pvdefects train`` and ``pvdefects models``."""

from __future__ import annotations

import sys
from dataclasses import fields, replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pvdefects.cli.config_options import (
    AugFlips,
    AugIntensity,
    AugRot90,
    AugShift,
    Balance,
    BatchSize,
    ConfigFile,
    Dropout,
    EmaMomentum,
    Epochs,
    FocalGamma,
    Fold,
    Folds,
    ImagesRoot,
    InputSize,
    Labels,
    LabelSmoothing,
    LearningRate,
    Loss,
    Mixup,
    Model,
    Momentum,
    Normalization,
    Optimizer,
    Patience,
    PosWeight,
    Schedule,
    Seed,
    StepsPerEpoch,
    ValFraction,
    WarmupEpochs,
    WeightDecay,
    option,
    resolve_config,
)
from pvdefects.errors import UserError
from pvdefects.layout import RUNS_DIR, RunFolder, run_name
from pvdefects.training.config import TrainConfig, load_config_file


def models() -> None:
    """List the architectures that --model accepts."""
    from pvdefects.models import list_models

    for name in list_models():
        typer.echo(name)


RESUME_CHANGES = ("epochs", "patience")  # what --resume may change: how long training goes on


def resumed_config(run_root: Path, typed: dict) -> TrainConfig:
    """The run's own config.json with the --epochs and --patience typed; any other setting typed is
    a UserError (a resumed run keeps its data, model and optimizer)."""
    others = [
        name
        for name in (f.name for f in fields(TrainConfig))
        if typed.get(name) is not None and name not in RESUME_CHANGES
    ] + (["config"] if typed.get("config") is not None else [])
    if others:
        raise UserError(
            f"--resume continues {run_root} with its own settings; only --epochs and --patience may "
            f"change (got --{others[0].replace('_', '-')})"
        )
    config = load_config_file(run_root / "config.json")
    return replace(config, **{name: typed[name] for name in RESUME_CHANGES if typed.get(name) is not None})


def train(
    labels: Labels = None,
    images_root: ImagesRoot = None,
    model: Model = None,
    config: ConfigFile = None,
    name: Annotated[str | None, option("Run name. Default: <model>-<date>-<time>.")] = None,
    runs_dir: Annotated[Path, typer.Option(help="Folder that holds the run folders.")] = RUNS_DIR,
    resume: Annotated[
        Path | None,
        option(
            "Continue a run from its folder with its own config: an interrupted one from its last "
            "epoch; a finished one only when --epochs (or --patience) asks for more."
        ),
    ] = None,
    epochs: Epochs = None,
    patience: Patience = None,
    batch_size: BatchSize = None,
    input_size: InputSize = None,
    optimizer: Optimizer = None,
    learning_rate: LearningRate = None,
    weight_decay: WeightDecay = None,
    momentum: Momentum = None,
    schedule: Schedule = None,
    warmup_epochs: WarmupEpochs = None,
    loss: Loss = None,
    pos_weight: PosWeight = None,
    focal_gamma: FocalGamma = None,
    label_smoothing: LabelSmoothing = None,
    balance: Balance = None,
    aug_flips: AugFlips = None,
    aug_rot90: AugRot90 = None,
    aug_intensity: AugIntensity = None,
    aug_shift: AugShift = None,
    mixup: Mixup = None,
    normalization: Normalization = None,
    dropout: Dropout = None,
    val_fraction: ValFraction = None,
    folds: Folds = None,
    fold: Fold = None,
    seed: Seed = None,
    steps_per_epoch: StepsPerEpoch = None,
    ema_momentum: EmaMomentum = None,
) -> None:
    """Train a multi-label defect classifier and write a run folder.

    The run folder holds config.json, history.csv, curves.png, TensorBoard logs, checkpoints, the
    best model as model.keras (with its tuned per-class thresholds inside) and as model.zip (the
    SavedModel submission, see `pvdefects export`), metrics.json, val_predictions.csv and
    pr_curves.png. Without --labels it trains on all 2,624 ELPV cells of the elpv-dataset package
    with one class, 'defective' (ELPV defect probability >= 0.5).
    """
    from pvdefects.training.resume import RunFinished
    from pvdefects.training.trainer import TrainingInterrupted
    from pvdefects.training.trainer import train as run_training

    if resume:
        resolved = resumed_config(resume, locals())
        run = RunFolder(resume)
    else:
        resolved = resolve_config(config, locals())
        run = RunFolder(runs_dir / (name or run_name(resolved.model)))
    console = Console()
    try:
        result = run_training(
            resolved, run, resume=bool(resume), verbose=1 if sys.stdout.isatty() else 2, console=console
        )
    except RunFinished as finished:
        console.print(str(finished), highlight=False)
        return
    except TrainingInterrupted:
        console.print(
            f"\n[yellow]Interrupted.[/] Finished epochs are checkpointed; continue with:\n"
            f"  pvdefects train --resume {run.root}"
        )
        raise typer.Exit(130) from None
    from pvdefects.evaluation.report import cell, print_metrics

    print_metrics(
        result.metrics,
        f"best epoch {result.best_epoch} of {result.epochs}, tuned thresholds "
        + ", ".join(f"{t:.2f}" for t in result.thresholds),
        console,
    )
    from pvdefects.export.savedmodel import export_model

    export_model(run.model, run.export)
    console.print(
        f"model: {run.model}, exported as {run.export}\nmean F1 {cell(result.metrics['mean_f1'])} "
        f"(at 0.5: {cell(result.metrics_at_half['mean_f1'])}); {result.wall_seconds:.0f} s"
    )
