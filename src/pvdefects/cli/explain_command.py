"""``pvdefects explain``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pvdefects.atomic import filling
from pvdefects.errors import UserError
from pvdefects.layout import EXPLANATIONS

ALL_CLASSES = "all"
SCORES = "scores.csv"  # beside the heatmaps in --out


def heatmap_names(paths: list[Path], class_names: list[str]) -> dict[tuple[int, str], str]:
    """``<image stem>.<class>.png`` per image and class; two images of one stem are a UserError
    (their heatmaps would overwrite each other in one folder)."""
    seen: dict[str, Path] = {}
    for path in paths:
        if path.stem in seen:
            raise UserError(
                f"{seen[path.stem]} and {path}: same file name; explain them into separate --out folders"
            )
        seen[path.stem] = path
    return {(i, name): f"{path.stem}.{name}.png" for i, path in enumerate(paths) for name in class_names}


def explain(
    model: Annotated[
        Path,
        typer.Argument(
            help="A run folder or a .keras file (heatmaps need the model's layers; a model.zip has none).",
            metavar="MODEL",
            show_default=False,
        ),
    ],
    images: Annotated[
        list[Path], typer.Argument(help="Image files to explain.", metavar="IMAGES...", show_default=False)
    ],
    out: Annotated[Path, typer.Option(help="Folder for the heatmap PNGs and scores.csv.")] = EXPLANATIONS,
    class_name: Annotated[
        str, typer.Option("--class", help="The class to explain, by name, or 'all'.", metavar="NAME")
    ] = ALL_CLASSES,
    layer: Annotated[
        str | None,
        typer.Option(
            help="The layer to explain, by name. Default: the last convolutional stage.", show_default=False
        ),
    ] = None,
    method: Annotated[
        str,
        typer.Option(help="gradcam, or gradcam++ (Chattopadhay et al. 2018: shares among several defects)."),
    ] = "gradcam",
    batch_size: Annotated[int, typer.Option(min=1, help="Images per model call.")] = 16,
) -> None:
    """Score images with MODEL and draw a Grad-CAM heatmap per class over each (Selvaraju et al. 2017).

    Writes <image>.<class>.png (the cell in gray, red where the class's score comes from) and
    scores.csv (filename;<class>...;<class>_score...: 0/1 decisions at the model's tuned thresholds,
    then sigmoid scores) into --out.

    Examples:

        pvdefects explain runs/resnet18-20260101-120000 cell0001.png cell0002.png --out heatmaps
        pvdefects explain model.keras cells/*.png --class crack --layer stage3_block1_out --method gradcam++
    """
    import numpy as np
    from rich.console import Console
    from rich.progress import Progress

    from pvdefects.data.predictions import write_predictions
    from pvdefects.decisions import apply_thresholds
    from pvdefects.explain.cells import explain_files, load_keras_classifier
    from pvdefects.explain.gradcam import METHODS, gradcam_model
    from pvdefects.explain.overlay import overlay, png_bytes
    from pvdefects.inference.inputs import named_files

    paths = [path for _, path in named_files(images)]
    keras_model, metadata = load_keras_classifier(model)
    names = metadata.class_names
    if class_name != ALL_CLASSES and class_name not in names:
        raise UserError(f"unknown class {class_name!r}; the model's classes: {', '.join(names)} (or all)")
    explained_names = names if class_name == ALL_CLASSES else [class_name]
    files = heatmap_names(paths, explained_names)
    gradcam_model(keras_model, layer)  # a bad --layer stops here, before anything is written
    if method not in METHODS:
        raise UserError(f"unknown --method {method!r}; choose one of: {', '.join(METHODS)}")
    if not out.parent.is_dir():
        raise UserError(f"{out.parent}: folder not found (for --out)")
    with filling(out) as scratch:  # moved into --out once all are written: a failure leaves it as it was
        scores = []
        console = Console(stderr=True)
        with Progress(console=console, transient=True, disable=not console.is_terminal) as progress:
            task = progress.add_task("explaining", total=len(paths))
            for cell in explain_files(
                keras_model,
                paths,
                [names.index(name) for name in explained_names],
                layer,
                batch_size,
                on_batch=lambda done: progress.advance(task, done),
                method=method,
            ):
                for name, heatmap in zip(explained_names, cell.heatmaps):
                    (scratch / files[cell.index, name]).write_bytes(png_bytes(overlay(cell.pixels, heatmap)))
                scores.append(cell.scores)
        scores = np.stack(scores)
        decisions = apply_thresholds(scores, metadata.thresholds)
        write_predictions(scratch / SCORES, [str(path) for path in paths], names, decisions, scores)
    typer.echo(
        f"wrote {len(files)} heatmap{'s' if len(files) > 1 else ''} of {len(paths)} image"
        f"{'s' if len(paths) > 1 else ''} ({', '.join(explained_names)}) and {SCORES} to {out}"
    )
