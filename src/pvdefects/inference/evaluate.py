"""Score a model against a labels CSV: the routine behind ``pvdefects evaluate``.

It uses only the predictor's decisions, so an exported model is scored through its signature's
``y`` output exactly as the challenge server scores a submission.
"""

from __future__ import annotations

from pathlib import Path

from pvdefects.data.sources import load_dataset
from pvdefects.decisions import apply_thresholds
from pvdefects.errors import UserError
from pvdefects.evaluation.metrics import multilabel_metrics
from pvdefects.inference.predictor import Predictor


def evaluate(
    predictor: Predictor,
    labels_csv: str | Path | None,
    images_root: str | Path | None = None,
    threshold: float | None = None,
) -> dict:
    """Per-class metrics of ``predictor``'s decisions on the labelled cells; with ``threshold``,
    of its scores thresholded there for every class instead (e.g. 0.5 against the tuned thresholds)."""
    data = load_dataset(labels_csv, images_root)
    if data.class_names != predictor.class_names:
        raise UserError(
            f"{labels_csv}: classes {data.class_names} do not match the model's {predictor.class_names}"
        )
    decisions, scores = predictor.predict(data.images)
    if threshold is not None:
        decisions = apply_thresholds(scores, [threshold] * len(data.class_names))
    return multilabel_metrics(data.labels, decisions, data.class_names)
