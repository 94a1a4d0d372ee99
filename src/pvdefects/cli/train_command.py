"""``pvdefects train`` and ``pvdefects models``."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from pvdefects.training.config import TrainConfig, load_config_file

DEFAULTS = TrainConfig()


def option(help_text: str, key: str | None = None, **kwargs) -> typer.Option:
    """A CLI option whose help shows the built-in default (the CLI's own default is None, so that
    only options the user typed override the config file)."""
    default = f" [default: {getattr(DEFAULTS, key)}]" if key else ""
    return typer.Option(help=help_text + default, show_default=False, **kwargs)


def models() -> None:
    """List the architectures that --model accepts."""
    from pvdefects.models import list_models

    for name in list_models():
        typer.echo(name)


def train(
    labels: Annotated[Optional[str], option("Labels CSV (filename;<class>;...). Default: the built-in ELPV cells ('elpv').")] = None,
    images_root: Annotated[Optional[Path], option("Folder the CSV's filenames are relative to. Default: the CSV's folder.")] = None,
    model: Annotated[Optional[str], option("Architecture (see `pvdefects models`).", "model")] = None,
    config: Annotated[Optional[Path], option("A .json or .toml file of settings; options typed here override it.")] = None,
    name: Annotated[Optional[str], option("Run name. Default: <model>-<date>-<time>.")] = None,
    runs_dir: Annotated[Path, typer.Option(help="Folder that holds the run folders.")] = Path("runs"),
    resume: Annotated[Optional[Path], option("Continue an interrupted run from its folder (its config is used).")] = None,
    epochs: Annotated[Optional[int], option("Maximum number of epochs.", "epochs")] = None,
    patience: Annotated[Optional[int], option("Stop after this many epochs without a better validation loss.", "patience")] = None,
    batch_size: Annotated[Optional[int], option("Images per training step.", "batch_size")] = None,
    input_size: Annotated[Optional[int], option("Side in pixels the model resizes cells to.", "input_size")] = None,
    optimizer: Annotated[Optional[str], option("adam, adamw or sgd (Nesterov momentum).", "optimizer")] = None,
    learning_rate: Annotated[Optional[float], option("Peak learning rate.", "learning_rate")] = None,
    weight_decay: Annotated[Optional[float], option("Weight decay (0 for none).", "weight_decay")] = None,
    momentum: Annotated[Optional[float], option("SGD momentum.", "momentum")] = None,
    schedule: Annotated[Optional[str], option("constant, cosine (with warm-up) or plateau.", "schedule")] = None,
    warmup_epochs: Annotated[Optional[int], option("Linear warm-up epochs of the cosine schedule.", "warmup_epochs")] = None,
    loss: Annotated[Optional[str], option("bce (sigmoid cross-entropy) or focal.", "loss")] = None,
    pos_weight: Annotated[Optional[str], option("Weight of positives per class: none, sqrt or balanced (neg/pos).", "pos_weight")] = None,
    focal_gamma: Annotated[Optional[float], option("Focusing parameter of the focal loss.", "focal_gamma")] = None,
    label_smoothing: Annotated[Optional[float], option("Pull targets towards 0.5 by this much.", "label_smoothing")] = None,
    balance: Annotated[Optional[float], option("Class-balanced sampling: 0 uniform ... 1 each stratum equally often.", "balance")] = None,
    aug_flips: Annotated[Optional[bool], option("Random horizontal/vertical flips.", "aug_flips")] = None,
    aug_rot90: Annotated[Optional[bool], option("Random quarter turns.", "aug_rot90")] = None,
    aug_intensity: Annotated[Optional[float], option("Gamma/brightness/contrast jitter strength (0 = off).", "aug_intensity")] = None,
    normalization: Annotated[Optional[str], option("per_image (zero mean, unit variance) or scale (x/255).", "normalization")] = None,
    dropout: Annotated[Optional[float], option("Dropout rate before the classifier. Default: the architecture's.")] = None,
    val_fraction: Annotated[Optional[float], option("Share of cells held out for validation.", "val_fraction")] = None,
    folds: Annotated[Optional[int], option("K-fold cross-validation: number of folds (0 = a single split).", "folds")] = None,
    fold: Annotated[Optional[int], option("Which fold validates, 0..folds-1.", "fold")] = None,
    seed: Annotated[Optional[int], option("Seed of the split, the sampler, augmentation and initial weights.", "seed")] = None,
    steps_per_epoch: Annotated[Optional[int], option("Training steps per epoch. Default: one pass over the training cells.")] = None,
) -> None:
    """Train a multi-label defect classifier and write a run folder.

    The run folder holds config.json, history.csv, curves.png, TensorBoard logs, checkpoints, the
    best model as model.keras (with its tuned per-class thresholds inside) and as model.zip (the
    SavedModel submission, see `pvdefects export`), metrics.json, val_predictions.csv and
    pr_curves.png. Without --labels it trains on all 2,624 ELPV cells of the elpv-dataset package
    with one class, 'defective' (ELPV defect probability >= 0.5).
    """
    from pvdefects.training.run_folder import RunFolder
    from pvdefects.training.trainer import TrainingInterrupted
    from pvdefects.training.trainer import train as run_training

    overrides = {k: v for k, v in locals().items() if k in TrainConfig.__dataclass_fields__}
    overrides["images_root"] = str(images_root) if images_root else None
    if resume:
        resolved = load_config_file(resume / "config.json")
        run = RunFolder(resume)
    else:
        resolved = load_config_file(config) if config else TrainConfig()
        resolved = resolved.updated(**overrides).validate()
        run_name = name or f"{resolved.model}-{datetime.now():%Y%m%d-%H%M%S}"
        run = RunFolder(runs_dir / run_name)
    console = Console()
    try:
        result = run_training(resolved, run, resume=bool(resume), verbose=1 if sys.stdout.isatty() else 2, console=console)
    except TrainingInterrupted:
        console.print(f"\n[yellow]Interrupted.[/] Finished epochs are checkpointed; continue with:\n"
                      f"  pvdefects train --resume {run.root}")
        raise typer.Exit(130) from None
    from pvdefects.evaluation.report import print_metrics

    print_metrics(result.metrics, f"best epoch {result.best_epoch} of {result.epochs}, tuned thresholds "
                  + ", ".join(f"{t:.2f}" for t in result.thresholds), console)
    from pvdefects.export.savedmodel import export_model

    export_model(run.model, run.export)
    console.print(f"model: {run.model}, exported as {run.export}\nmean F1 {result.metrics['mean_f1']:.3f} "
                  f"(at 0.5: {result.metrics_at_half['mean_f1']:.3f}); {result.wall_seconds:.0f} s")
