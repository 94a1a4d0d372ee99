"""Score a model against a labels CSV: the routine behind ``pvdefects evaluate``.

It uses only the predictor's decisions, so an exported model is scored through its signature's
``y`` output exactly as the challenge server scores a submission.
"""

from __future__ import annotations

from pathlib import Path

from pvdefects.data.images import resolve_image_path
from pvdefects.data.labels import LabelTable
from pvdefects.data.sources import open_labels
from pvdefects.decisions import apply_thresholds
from pvdefects.errors import UserError
from pvdefects.evaluation.metrics import multilabel_metrics
from pvdefects.inference.predict_files import ScoredFiles, predict_files
from pvdefects.inference.predictor import Predictor


def score_labelled_cells(
    predictor: Predictor, labels_csv: str | Path | None, images_root: str | Path | None = None
) -> tuple[LabelTable, list[Path], ScoredFiles]:
    """The label table of ``labels_csv``, its cells' image paths and ``predictor``'s decisions and
    scores on them (each cell as read, at its own size: :func:`predict_files`). Raises
    :class:`UserError` for labels of other classes than the predictor's, or as ``predict_files`` does."""
    table, root = open_labels(labels_csv, images_root)
    if table.class_names != predictor.class_names:
        raise UserError(
            f"{labels_csv}: classes {table.class_names} do not match the model's {predictor.class_names}"
        )
    paths = [resolve_image_path(name, root) for name in table.filenames]
    return table, paths, predict_files(predictor, paths)


def evaluate(
    predictor: Predictor,
    labels_csv: str | Path | None,
    images_root: str | Path | None = None,
    threshold: float | None = None,
) -> dict:
    """Per-class metrics of ``predictor``'s decisions on the labelled cells; with ``threshold``,
    of its scores thresholded there for every class instead (e.g. 0.5 against the tuned thresholds).

    Each cell reaches the model as read, at its own size (:func:`predict_files`), so a cell's
    decision does not depend on the other rows and their order."""
    table, _, result = score_labelled_cells(predictor, labels_csv, images_root)
    decisions = result.decisions
    if threshold is not None:
        decisions = apply_thresholds(result.scores, [threshold] * len(table.class_names))
    return multilabel_metrics(table.labels, decisions, table.class_names)
