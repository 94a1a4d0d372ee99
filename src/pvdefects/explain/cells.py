"""Scores and Grad-CAM heatmaps of image files, batch by batch, from a model's Keras graph.

Grad-CAM needs the layers of the network, which only the run folder's ``model.keras`` (or any
``.keras`` file) carries: an exported SavedModel is a traced graph behind one signature.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from pvdefects.data.images import ColourConversions, as_batch, read_in_batches
from pvdefects.decisions import sigmoid
from pvdefects.errors import UserError
from pvdefects.explain.gradcam import logits_and_gradcams
from pvdefects.layout import RunFolder
from pvdefects.models.saving import ModelMetadata, load_classifier


def load_keras_classifier(path: str | Path) -> tuple[keras.Model, ModelMetadata]:
    """The Keras model and metadata of a run folder (its ``model.keras``) or a ``.keras`` file.

    Raises :class:`UserError` for a SavedModel folder or zip (no Keras layers to explain) and for
    anything else that is not a model."""
    path = Path(path)
    if path.is_dir() and RunFolder(path).model.is_file():
        return load_classifier(RunFolder(path).model)
    if path.suffix == ".keras":
        return load_classifier(path)
    if (path.is_file() and zipfile.is_zipfile(path)) or (path / "saved_model.pb").is_file():
        raise UserError(
            f"{path}: a SavedModel has no Keras layers to explain; heatmaps need the run folder or its "
            "model.keras"
        )
    raise UserError(f"{path}: not a model with a Keras graph (expected a run folder or a .keras file)")


@dataclass(frozen=True)
class ExplainedCell:
    """One image: ``pixels`` as read (``[H, W]``, 0-255), its sigmoid ``scores`` (``[C]``) and one
    Grad-CAM heatmap per explained class (``heatmaps[k]``: ``[H, W]`` in [0, 1] for the k-th of the
    class indices asked for)."""

    index: int  # position in the list of paths
    pixels: np.ndarray
    scores: np.ndarray
    heatmaps: np.ndarray


def explain_files(
    model: keras.Model,
    paths: list[Path],
    class_indices: list[int],
    layer: str | None = None,
    batch_size: int = 16,
    on_batch: Callable[[int], None] = lambda done: None,
    method: str = "gradcam",
) -> Iterator[ExplainedCell]:
    """Score each file and draw the Grad-CAM heatmap of each class in ``class_indices``
    (:func:`~pvdefects.explain.gradcam.gradcam`, target ``layer``, ``method``), in order, ``batch_size`` files
    at a time (images of one size per model call). ``on_batch`` gets the number of files just
    handled. Raises :class:`UserError` for an unreadable file (naming it) and as ``gradcam`` does."""
    conversions = ColourConversions()
    for positions, groups in read_in_batches(paths, batch_size, conversions):
        explained: dict[int, ExplainedCell] = {}
        for group in groups:
            logits, maps = logits_and_gradcams(
                model, as_batch(group), class_indices, layer, batch_size, method
            )
            scores = sigmoid(logits.astype(np.float64)).astype(np.float32)
            for row, (index, pixels) in enumerate(group):
                explained[index] = ExplainedCell(index, pixels, scores[row], maps[row])
        yield from (explained[index] for index in positions)
        on_batch(len(positions))
    conversions.report()
