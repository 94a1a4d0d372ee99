"""One self-contained HTML page per run: what was trained, how well, and which cells it gets wrong.

The page needs nothing but itself: plots and cells are inlined as base64 PNGs, the style is inline,
there is no script, and a Content-Security-Policy forbids loading anything else, so it can be mailed,
archived or opened offline. It shows the resolved config, the loss and F1 curves, per-class metrics at
the tuned thresholds and at 0.5, the confusion counts, precision-recall curves with the operating
point, F1 against the threshold, and a gallery of the worst errors per class (the false positives
with the highest scores, the false negatives with the lowest) with their Grad-CAM heatmaps.

By default it reports on the run's validation cells (``val_predictions.csv``, the scores the
thresholds were tuned on); with a labels CSV, on those cells, scored now by the run's model.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from pvdefects.atomic import write_text
from pvdefects.data.images import resolve_image_path
from pvdefects.data.predictions import read_predictions
from pvdefects.data.sources import open_labels
from pvdefects.decisions import apply_thresholds
from pvdefects.errors import UserError
from pvdefects.evaluation.metrics import multilabel_metrics, undefined_f1_note
from pvdefects.evaluation.plots import plot_f1_against_threshold, plot_history, plot_precision_recall
from pvdefects.evaluation.report import COLUMNS, HEADERS, cell
from pvdefects.explain.cells import ExplainedCell, explain_files, load_keras_classifier
from pvdefects.explain.overlay import overlay, png_bytes
from pvdefects.inference.evaluate import score_labelled_cells
from pvdefects.inference.predictor import classifier_predictor
from pvdefects.layout import RunFolder
from pvdefects.models.saving import ModelMetadata

GALLERY_SIZE = 8  # worst false positives and as many false negatives shown per class
THUMBNAIL = 224  # pixels on the longer side of each cell in the gallery
FALSE_POSITIVE, FALSE_NEGATIVE = "false-positive", "false-negative"
EMPTY_HEATMAP = "empty heatmap: no region raises this score"


@dataclass(frozen=True)
class ScoredCells:
    """The cells a report is about: their names, image files, 0/1 labels and sigmoid scores
    (``[N, C]`` each), and where they come from, in words."""

    filenames: list[str]
    paths: list[Path]
    truth: np.ndarray
    scores: np.ndarray
    source: str


def validation_cells(
    run: RunFolder, config: dict, class_names: list[str], images_root: str | Path | None = None
) -> ScoredCells:
    """The run's validation cells with the scores ``train`` wrote (``val_predictions.csv``), their
    images under ``images_root`` or else where the run's config says (its labels CSV's folder or
    ``images_root``; a relative path there is relative to the folder ``train`` ran in)."""
    if not run.predictions.is_file():
        raise UserError(f"{run.predictions}: not found; give --labels to report on a labels CSV")
    filenames, names, truth, scores = read_predictions(run.predictions)
    if names != class_names:
        raise UserError(f"{run.predictions}: classes {names} do not match the model's {class_names}")
    if images_root is None:
        try:
            _, images_root = open_labels(config.get("labels"), config.get("images_root"))
        except UserError as error:
            raise UserError(
                f"{error} (the run's labels, relative to the folder train ran in); "
                "give --images-root, the folder of its images"
            ) from None
    paths = [resolve_image_path(name, Path(images_root)) for name in filenames]
    return ScoredCells(filenames, paths, truth, scores, f"{len(filenames)} validation cells of the run")


def labelled_cells(
    model: keras.Model, metadata: ModelMetadata, labels: str | Path, images_root: str | Path | None
) -> ScoredCells:
    """The cells of a labels CSV, scored now by ``model`` (each at its own size, as ``evaluate`` does)."""
    predictor = classifier_predictor(model, metadata, "report")
    table, paths, scored = score_labelled_cells(predictor, labels, images_root)
    return ScoredCells(table.filenames, paths, table.labels, scored.scores, f"{len(paths)} cells of {labels}")


def gallery_rows(truth: np.ndarray, decisions: np.ndarray, scores: np.ndarray, size: int) -> dict:
    """``{class index: {FALSE_POSITIVE: rows, FALSE_NEGATIVE: rows}}`` of ``[N, C]`` arrays: the
    ``size`` false positives with the highest scores and the ``size`` false negatives with the
    lowest, worst first (ties in row order)."""
    rows = {}
    for c in range(truth.shape[1]):
        wrong = decisions[:, c] != truth[:, c]
        positives = np.flatnonzero(wrong & (decisions[:, c] == 1))
        negatives = np.flatnonzero(wrong & (decisions[:, c] == 0))
        rows[c] = {
            FALSE_POSITIVE: positives[np.argsort(-scores[positives, c], kind="stable")][:size].tolist(),
            FALSE_NEGATIVE: negatives[np.argsort(scores[negatives, c], kind="stable")][:size].tolist(),
        }
    return rows


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def plot_uri(plot: Callable[[io.BytesIO], None]) -> str | None:
    """A plot function's PNG (it writes to the file object it is given) as a data URI; None if it
    drew nothing."""
    buffer = io.BytesIO()
    plot(buffer)
    return data_uri(buffer.getvalue()) if buffer.getvalue() else None


def image_tag(uri: str | None, alt: str) -> str:
    return f'<img src="{uri}" alt="{html.escape(alt)}">' if uri else f"<p>({html.escape(alt)}: no data)</p>"


def metrics_html(metrics: dict, caption: str) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("class", *HEADERS))
    body = "".join(
        f"<tr><td>{html.escape(name)}</td>"
        + "".join(f"<td>{cell(values[c])}</td>" for c in COLUMNS)
        + "</tr>"
        for name, values in metrics["classes"].items()
    )
    note = undefined_f1_note(metrics)
    empty = "<td></td>" * COLUMNS.index("f1")
    mean = f"<tr><td>mean{'*' if note else ''}</td>{empty}<td>{cell(metrics['mean_f1'])}</td></tr>"
    foot = f"<p class='note'>* {html.escape(note)}</p>" if note else ""
    return f"<table><caption>{html.escape(caption)}</caption><tr>{head}</tr>{body}{mean}</table>{foot}"


def confusion_html(metrics: dict) -> str:
    """A 2x2 table of counts per class (rows: label, columns: decision)."""
    tables = []
    for name, m in metrics["classes"].items():
        tables.append(
            f"<table class='confusion'><caption>{html.escape(name)}</caption>"
            "<tr><th></th><th>decided 0</th><th>decided 1</th></tr>"
            f"<tr><th>label 0</th><td>TN {m['tn']}</td><td class='bad'>FP {m['fp']}</td></tr>"
            f"<tr><th>label 1</th><td class='bad'>FN {m['fn']}</td><td>TP {m['tp']}</td></tr></table>"
        )
    return "<div class='row'>" + "".join(tables) + "</div>"


def config_html(config: dict) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(key)}</td><td>{html.escape(json.dumps(value))}</td></tr>"
        for key, value in config.items()
    )
    return f"<table class='config'><tr><th>setting</th><th>value</th></tr>{rows}</table>"


def error_figure(
    explained: ExplainedCell,
    cells: ScoredCells,
    row: int,
    name: str,
    kind: str,
    class_names: list[str],
    threshold: float,
) -> str:
    """One error of class ``name``: the cell, its heatmap for that class, its name and scores (and a
    word where the heatmap is empty, all blue: no region raises the class's score)."""
    c = class_names.index(name)
    scores = " · ".join(
        f"{html.escape(other)} {cells.scores[row, k]:.3f}" for k, other in enumerate(class_names)
    )
    heatmap = overlay(explained.pixels, explained.heatmaps[0])
    blank = "" if explained.heatmaps[0].max() > 0 else f"<br>{EMPTY_HEATMAP}"
    return (
        f"<figure class='error' data-class='{html.escape(name)}' data-kind='{kind}' "
        f"data-filename='{html.escape(cells.filenames[row])}'>"
        f"<img src='{data_uri(png_bytes(explained.pixels, THUMBNAIL))}' alt='cell'>"
        f"<img src='{data_uri(png_bytes(heatmap, THUMBNAIL))}' alt='Grad-CAM of {html.escape(name)}'>"
        f"<figcaption>{html.escape(cells.filenames[row])}<br>{scores} "
        f"(threshold {threshold:.3f}, label {int(cells.truth[row, c])}){blank}</figcaption></figure>"
    )


def gallery_html(
    model: keras.Model,
    cells: ScoredCells,
    class_names: list[str],
    thresholds: list[float],
    metrics: dict,
    size: int,
    layer: str | None,
) -> str:
    """Per class, the worst false positives and false negatives (:func:`gallery_rows`): each cell
    beside its Grad-CAM heatmap for that class, with its scores."""
    decisions = apply_thresholds(cells.scores, thresholds)
    chosen = gallery_rows(cells.truth, decisions, cells.scores, size)
    parts = []
    for c, name in enumerate(class_names):
        parts.append(f"<h3>{html.escape(name)}</h3>")
        for kind, count_key, order in (
            (FALSE_POSITIVE, "fp", "highest scores first"),
            (FALSE_NEGATIVE, "fn", "lowest scores first"),
        ):
            rows = chosen[c][kind]
            total = metrics["classes"][name][count_key]
            title = kind.replace("-", " ") + "s"
            parts.append(f"<h4>{title}: {len(rows)} of {total} shown ({order})</h4><div class='gallery'>")
            explained = explain_files(model, [cells.paths[i] for i in rows], [c], layer)
            for row, explained_cell in zip(rows, explained):
                parts.append(error_figure(explained_cell, cells, row, name, kind, class_names, thresholds[c]))
            parts.append("</div>")
    return "".join(parts)


STYLE = """
body { font-family: sans-serif; margin: 2em; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 1.5em 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; }
td:first-child, caption { text-align: left; }
caption { font-weight: bold; padding-bottom: 0.3em; }
table.config td { text-align: left; font-family: monospace; }
td.bad { background: #fde2e2; }
.row { display: flex; flex-wrap: wrap; }
.gallery { display: flex; flex-wrap: wrap; gap: 1em; }
figure.error { margin: 0; border: 1px solid #ddd; padding: 0.4em; }
figure.error img { width: 150px; height: 150px; object-fit: contain; image-rendering: pixelated; }
figcaption { font-size: 0.8em; max-width: 300px; overflow-wrap: anywhere; }
img { max-width: 100%; }
.note { font-size: 0.9em; color: #555; }
"""
# nothing may load from anywhere: inline style and data: images only, no script
POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def report_html(
    run: RunFolder,
    labels: str | Path | None = None,
    images_root: str | Path | None = None,
    gallery_size: int = GALLERY_SIZE,
    layer: str | None = None,
) -> str:
    """The report page of ``run`` as one HTML string (see the module docstring): on the cells of
    ``labels`` or else the run's validation cells, their images under ``images_root`` if given. Raises
    :class:`UserError` for a folder without ``model.keras``, cells that cannot be found, or labels
    with other classes than the model's."""
    if not run.root.is_dir():
        raise UserError(f"{run.root}: run folder not found")
    if not run.model.is_file():
        raise UserError(f"{run.root}: no model.keras; not a finished run folder")
    model, metadata = load_keras_classifier(run.root)
    config = json.loads(run.config.read_text()) if run.config.is_file() else {}
    names, thresholds = metadata.class_names, metadata.thresholds
    cells = (
        validation_cells(run, config, names, images_root)
        if labels is None
        else labelled_cells(model, metadata, labels, images_root)
    )
    metrics = multilabel_metrics(cells.truth, apply_thresholds(cells.scores, thresholds), names)
    at_half = multilabel_metrics(cells.truth, apply_thresholds(cells.scores, [0.5] * len(names)), names)
    curves = plot_uri(lambda out: plot_history(run.history, out)) if run.history.is_file() else None
    tuned = ", ".join(f"{name} {t:.3f}" for name, t in zip(names, thresholds))
    title = html.escape(f"pvdefects report: {run.root.resolve().name}")
    sections = [
        f"<h1>{title}</h1>",
        f"<p>{html.escape(metadata.architecture)}, input {metadata.input_size} px, "
        f"{html.escape(metadata.normalization)} normalisation; {html.escape(cells.source)}; "
        f"thresholds {html.escape(tuned)}.</p>",
        "<h2 id='metrics'>Per-class metrics</h2>",
        metrics_html(metrics, "at the tuned thresholds"),
        metrics_html(at_half, "at 0.5"),
        "<h2 id='confusion'>Confusion counts at the tuned thresholds</h2>",
        confusion_html(metrics),
        "<h2 id='curves'>Training curves</h2>",
        image_tag(curves, "loss and validation F1 per epoch"),
        "<h2 id='precision-recall'>Precision-recall curves (dot: the tuned threshold)</h2>",
        image_tag(
            plot_uri(lambda out: plot_precision_recall(cells.truth, cells.scores, thresholds, names, out)),
            "precision-recall curves",
        ),
        "<h2 id='f1-threshold'>F1 against the threshold</h2>",
        image_tag(
            plot_uri(
                lambda out: plot_f1_against_threshold(cells.truth, cells.scores, thresholds, names, out)
            ),
            "F1 against threshold",
        ),
        "<h2 id='gallery'>Errors with their Grad-CAM heatmaps</h2>",
        "<p class='note'>Each error: the cell and its heatmap for the class (red: the regions that raise "
        "the class's score most; Grad-CAM, Selvaraju et al. 2017).</p>",
        gallery_html(model, cells, names, thresholds, metrics, gallery_size, layer),
        "<h2 id='config'>Configuration</h2>",
        config_html(config),
    ]
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{POLICY}\">"
        f"<title>{title}</title><style>{STYLE}</style></head>\n<body>\n"
        + "\n".join(sections)
        + "\n</body></html>\n"
    )


def write_report(
    run: RunFolder,
    labels: str | Path | None = None,
    images_root: str | Path | None = None,
    out: str | Path | None = None,
    gallery_size: int = GALLERY_SIZE,
    layer: str | None = None,
) -> Path:
    """Write :func:`report_html` to ``out`` (default: the run's ``report.html``), whole or not at all."""
    return write_text(out or run.report, report_html(run, labels, images_root, gallery_size, layer))
