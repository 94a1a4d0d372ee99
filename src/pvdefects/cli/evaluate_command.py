"""``pvdefects evaluate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pvdefects.atomic import write_json
from pvdefects.layout import EVALUATION


def evaluate(
    model: Annotated[
        Path, typer.Option(help="A run folder, a .keras file, a SavedModel folder or a model.zip.")
    ],
    labels: Annotated[
        str | None, typer.Option(help="Labels CSV to score against. Default: the built-in ELPV cells.")
    ] = None,
    images_root: Annotated[
        Path | None, typer.Option(help="Folder the CSV's filenames are relative to.")
    ] = None,
    json_out: Annotated[
        Path, typer.Option("--json", help="Where to write the metrics as JSON.")
    ] = EVALUATION,
    threshold: Annotated[
        float | None,
        typer.Option(
            help="Decide at this score for every class instead of the model's tuned thresholds (e.g. 0.5)."
        ),
    ] = None,
) -> None:
    """Print per-class precision, recall, specificity, F1 and the mean F1 of MODEL on a labels CSV."""
    from pvdefects.evaluation.report import print_metrics
    from pvdefects.inference.evaluate import evaluate as evaluate_predictor
    from pvdefects.inference.predictor import load_predictor

    predictor = load_predictor(model)
    metrics = evaluate_predictor(predictor, labels, images_root, threshold)
    thresholds = predictor.thresholds if threshold is None else [threshold] * len(predictor.class_names)
    title = f"{predictor.description} on {labels or 'elpv'}, thresholds " + ", ".join(
        f"{t:.2f}" for t in thresholds
    )
    print_metrics(metrics, title)
    report = {"model": str(model), "labels": labels, "thresholds": thresholds, **metrics}
    write_json(json_out, report)
    typer.echo(f"wrote {json_out}")
