"""``pvdefects train``."""

from __future__ import annotations

import sys
from dataclasses import fields, replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from pvdefects.cli.training_options import ConfigFile, option, resolve_config, training_options
from pvdefects.errors import UserError
from pvdefects.layout import RUNS_DIR, RunFolder, run_name
from pvdefects.training.config import TrainConfig, load_config_file

RESUME_CHANGES = ("epochs", "patience")  # what --resume may change: how long training goes on


def resumed_config(run_root: Path, typed: dict, config_file: Path | None = None) -> TrainConfig:
    """The run's own config.json with the --epochs and --patience typed; any other setting typed
    (or a --config file) is a UserError (a resumed run keeps its data, model and optimizer)."""
    others = [
        name
        for name in (f.name for f in fields(TrainConfig))
        if typed.get(name) is not None and name not in RESUME_CHANGES
    ] + (["config"] if config_file is not None else [])
    if others:
        raise UserError(
            f"--resume continues {run_root} with its own settings; only --epochs and --patience may "
            f"change (got --{others[0].replace('_', '-')})"
        )
    config = load_config_file(RunFolder(run_root).config)
    return replace(config, **{name: typed[name] for name in RESUME_CHANGES if typed.get(name) is not None})


@training_options()
def train(
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
    settings: dict[str, Any] | None = None,
) -> None:
    """Train a multi-label defect classifier and write a run folder.

    The run folder holds config.json, history.csv, curves.png, TensorBoard logs, checkpoints, the
    best model as model.keras (with its tuned per-class thresholds inside) and as model.zip (the
    SavedModel submission, see `pvdefects export`), metrics.json, val_predictions.csv,
    pr_curves.png and report.html (the run on one page, see `pvdefects report`). Without --labels
    it trains on all 2,624 ELPV cells of the elpv-dataset package with one class, 'defective'
    (ELPV defect probability >= 0.5).

    Examples:

        pvdefects train --labels labels.csv
        pvdefects train --labels labels.csv --model alexnet --epochs 3 --input-size 96 --name quick
        pvdefects train --resume runs/quick --epochs 10
    """
    from pvdefects.training.resume import RunFinished
    from pvdefects.training.trainer import TrainingInterrupted
    from pvdefects.training.trainer import train as run_training

    if resume:
        resolved = resumed_config(resume, settings, config)
        run = RunFolder(resume)
    else:
        resolved = resolve_config(config, settings)
        run = RunFolder(runs_dir / (name or run_name(resolved.model)))
    console = Console()
    try:
        run_training(
            resolved,
            run,
            resume=bool(resume),
            verbose=1 if sys.stdout.isatty() else 2,
            console=console,
            conclude_run=True,
        )
    except RunFinished as finished:
        typer.echo(str(finished))  # one line, unwrapped
        return
    except TrainingInterrupted:
        console.print(
            f"\n[yellow]Interrupted.[/] Finished epochs are checkpointed; continue with:\n"
            f"  pvdefects train --resume {run.root}"
        )
        raise typer.Exit(130) from None
