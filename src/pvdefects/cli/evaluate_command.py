"""``pvdefects evaluate``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pvdefects.atomic import write_json
from pvdefects.cli.arguments import ImagesRoot, Json, Labels, Model
from pvdefects.layout import EVALUATION


def evaluate(
    model: Model,
    labels: Labels = None,
    images_root: ImagesRoot = None,
    out: Annotated[Path, typer.Option(help="Where to write the metrics as JSON.")] = EVALUATION,
    threshold: Annotated[
        float | None,
        typer.Option(
            help="Decide at this score for every class instead of the model's tuned thresholds (e.g. 0.5)."
        ),
    ] = None,
    json_output: Json = False,
) -> None:
    """Print per-class precision, recall, specificity, F1 and the mean F1 of MODEL on a labels CSV.

    An exported model is scored through its signature's decisions, as the challenge server does.

    Examples:

        pvdefects evaluate runs/resnet18-20260101-120000 --labels labels.csv --out metrics.json
        pvdefects evaluate model.zip --labels labels.csv --threshold 0.5 --json
    """
    from pvdefects.evaluation.report import print_metrics  # lazy: --help starts without TensorFlow
    from pvdefects.inference.evaluate import evaluate as evaluate_predictor
    from pvdefects.inference.predictor import load_predictor

    predictor = load_predictor(model)
    metrics = evaluate_predictor(predictor, labels, images_root, threshold)
    thresholds = predictor.thresholds if threshold is None else [threshold] * len(predictor.class_names)
    report = {"model": str(model), "labels": labels, "thresholds": thresholds, **metrics}
    write_json(out, report)
    if json_output:
        typer.echo(json.dumps(report, indent=2))
        return
    title = f"{predictor.description} on {labels or 'elpv'}, thresholds " + ", ".join(
        f"{t:.2f}" for t in thresholds
    )
    print_metrics(metrics, title)
    typer.echo(f"wrote {out}")
