"""``pvdefects crossval``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from pvdefects.cli.training_options import ConfigFile, option, resolve_config, training_options
from pvdefects.errors import UserError
from pvdefects.layout import RUNS_DIR, CrossValFolder, crossval_name

# Each fold validates on its own fold, so crossval sets ``fold`` itself.
SET_BY_CROSSVAL = frozenset({"fold"})


@training_options(exclude=SET_BY_CROSSVAL)
def crossval(
    config: ConfigFile = None,
    tta: Annotated[
        bool,
        typer.Option(help="Average over the 8 flips/quarter turns, in the OOF scores and inside the export."),
    ] = True,
    bootstrap: Annotated[int, typer.Option(help="Bootstrap resamples of the 95 % intervals.")] = 2000,
    repeats: Annotated[
        int,
        typer.Option(
            help="Repeat the cross-validation on other fold assignments (seeds --seed, --seed + 1, ...; "
            "likewise --split-seed) in <cv>/repeat-r; metrics.json then summarises the repeats."
        ),
    ] = 1,
    name: Annotated[
        str | None,
        option(
            "Cross-validation folder name; rerun with the same name to resume. Default: "
            "crossval-<model>-<date>-<time>."
        ),
    ] = None,
    runs_dir: Annotated[Path, typer.Option(help="Folder that holds the cross-validation folder.")] = RUNS_DIR,
    settings: dict[str, Any] | None = None,
) -> None:
    """Train K folds of one config, evaluate them out of fold and export their ensemble.

    Writes <cv>/fold-k/ (ordinary run folders), oof_predictions.csv (every cell scored by the
    fold model that did not train on it), metrics.json (OOF per-class metrics at thresholds tuned
    on the OOF scores, with bootstrap 95 % intervals; also at 0.5 and at thresholds tuned on the
    other folds) and model.zip: one SavedModel (x -> y, scores) averaging the fold models' scores,
    with the OOF-tuned thresholds. A fold whose model.keras exists is skipped on rerun, an
    interrupted one resumes.

    With --repeats R, <cv>/repeat-r is each such cross-validation, on fold assignments drawn with
    the split seed (--split-seed, else --seed) + r, and <cv>/metrics.json holds the out-of-fold F1
    of each repeat (thresholds tuned on the other folds), their average and its bootstrap interval.
    `pvdefects compare` pairs two cross-validations made on the same folds.

    Examples:

        pvdefects crossval --config configs/challenge.toml --labels labels.csv --name challenge
        pvdefects crossval --labels labels.csv --repeats 3 --epochs 5 --name quick
    """
    from pvdefects.training.crossval import DEFAULT_FOLDS
    from pvdefects.training.repeated import repeated_cross_validate
    from pvdefects.training.trainer import TrainingInterrupted

    if bootstrap < 1:
        raise UserError(f"--bootstrap must be at least 1; got {bootstrap}")
    resolved = resolve_config(config, settings)
    folds = resolved.folds if resolved.folds > 1 else DEFAULT_FOLDS
    folder = CrossValFolder(runs_dir / (name or crossval_name(resolved.model)))
    console = Console()
    try:
        repeated_cross_validate(
            resolved,
            folder,
            repeats,
            folds,
            tta,
            bootstrap,
            verbose=1 if sys.stdout.isatty() else 2,
            console=console,
        )
    except TrainingInterrupted:
        console.print(
            f"\n[yellow]Interrupted.[/] Finished folds and epochs are kept; continue with the same command"
            f" (--name {folder.root.name})."
        )
        raise typer.Exit(130) from None
