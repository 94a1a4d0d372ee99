"""``pvdefects predict``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pvdefects.cli.arguments import Model, Precision
from pvdefects.errors import UserError
from pvdefects.layout import PREDICTIONS


def predict(
    model: Model,
    images: Annotated[
        list[Path] | None, typer.Argument(help="Image files to score.", show_default=False)
    ] = None,
    folder: Annotated[
        Path | None, typer.Option("--dir", help="Score every image in this folder.", show_default=False)
    ] = None,
    csv_file: Annotated[
        Path | None,
        typer.Option("--csv", help="Score the images in this CSV's 'filename' column.", show_default=False),
    ] = None,
    images_root: Annotated[
        Path | None,
        typer.Option(
            help="Folder the --csv filenames are relative to. Default: the CSV's folder.", show_default=False
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="The predictions CSV to write.")] = PREDICTIONS,
    batch_size: Annotated[int, typer.Option(min=1, help="Images per model call.")] = 32,
    tta: Annotated[
        bool,
        typer.Option(help="Average the scores over the 8 flips and quarter turns of each image (8x slower)."),
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Stop at an unreadable image (exit status 2, nothing written) instead of skipping it.",
        ),
    ] = False,
    precision: Precision = "auto",
) -> None:
    """Score images with MODEL and write filename;<class>...;<class>_score... (0/1 decisions at the
    model's tuned thresholds, then sigmoid scores). Hidden and system files in --dir are ignored
    (._* AppleDouble twins, .DS_Store, Thumbs.db); unreadable images are named and skipped.

    Examples:

        pvdefects predict runs/resnet18-20260101-120000/model.zip --dir cells/ --out predictions.csv
        pvdefects predict model.zip cell0001.png cell0002.png --tta
    """
    from rich.console import Console
    from rich.progress import Progress

    from pvdefects.data.predictions import write_predictions
    from pvdefects.inference.inputs import images_to_predict
    from pvdefects.inference.predict_files import predict_files
    from pvdefects.inference.predictor import load_predictor

    entries = images_to_predict(images, folder, csv_file, images_root)
    if not out.parent.is_dir():
        raise UserError(f"{out.parent}: folder not found (for --out)")
    predictor = load_predictor(model, precision)
    console = Console(stderr=True)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("scoring", total=len(entries))
        result = predict_files(
            predictor,
            [path for _, path in entries],
            batch_size,
            tta,
            on_batch=lambda done: progress.advance(task, done),
            skip_unreadable=not strict,
        )
    if not result.scored:
        raise UserError(f"no image to score: {unreadable_summary(result.unreadable)}")
    if result.unreadable:
        typer.secho(f"warning: skipped {unreadable_summary(result.unreadable)}", err=True, fg="yellow")
    names = [entries[index][0] for index in result.scored]
    write_predictions(out, names, predictor.class_names, result.decisions, result.scores)
    positives = ", ".join(
        f"{name} {int(count)}" for name, count in zip(predictor.class_names, result.decisions.sum(axis=0))
    )
    typer.echo(f"wrote {out}: {len(names)} images; positive: {positives}")


def unreadable_summary(unreadable: list[str], shown: int = 3) -> str:
    """The unreadable images in one line (the first ``shown`` of them named with the reason)."""
    more = f"; and {len(unreadable) - shown} more" if len(unreadable) > shown else ""
    count = len(unreadable)
    return f"{count} unreadable image{'s' if count > 1 else ''}: " + "; ".join(unreadable[:shown]) + more
