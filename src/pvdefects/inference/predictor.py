"""One interface over every form a trained model takes (a run folder, a ``.keras`` file, an exported
SavedModel folder or its zip).

Prediction and evaluation only need, per batch, the 0/1 decision and the score of each class, plus
the class names; :class:`Predictor` gives exactly that, whatever the model's form. An exported model
is used only through its ``serving_default`` signature: decisions are its ``y`` output, the way the
challenge server scores submissions.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from pvdefects.data.pipeline import inference_dataset
from pvdefects.decisions import apply_thresholds, sigmoid
from pvdefects.errors import UserError
from pvdefects.inference.savedmodel import load_submission
from pvdefects.inference.tta import dihedral_views
from pvdefects.layout import RunFolder
from pvdefects.models.saving import ModelMetadata, load_classifier

# float32 [B, H, W, 1] pixels 0-255 -> (0/1 decisions [B, C], sigmoid scores [B, C])
BatchFunction = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class Predictor:
    class_names: list[str]
    thresholds: list[float]
    run_batch: BatchFunction
    description: str

    def predict(
        self, images: np.ndarray, batch_size: int = 32, tta: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Decisions (uint8 ``[N, C]``) and scores (float32 ``[N, C]``) for uint8 or float images
        ``[N, H, W, 1]``. With ``tta`` the scores are averaged over flipped and rotated copies and
        thresholded here."""
        if images.ndim != 4 or images.shape[-1] != 1:
            raise UserError(f"images must have shape [N, height, width, 1]; got {list(images.shape)}")
        run = self.tta_batch if tta else self.run_batch
        outputs = [run(batch.numpy()) for batch in inference_dataset(images, batch_size)]
        if not outputs:
            empty = np.zeros((0, len(self.class_names)), np.float32)
            return empty.astype(np.uint8), empty
        decisions, scores = (np.concatenate(parts) for parts in zip(*outputs))
        return decisions.astype(np.uint8), scores.astype(np.float32)

    def tta_batch(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scores = np.mean(
            [self.run_batch(np.ascontiguousarray(view))[1] for view in dihedral_views(batch)], axis=0
        )
        return apply_thresholds(scores, self.thresholds), scores

    def scores(self, images: np.ndarray, batch_size: int = 32) -> np.ndarray:
        """Sigmoid scores ``[N, C]``."""
        return self.predict(images, batch_size)[1]


def classifier_predictor(model: keras.Model, metadata: ModelMetadata, source: str | Path) -> Predictor:
    """A loaded Keras classifier (``model`` outputs logits) with its class names and thresholds.

    Batches run through Keras's compiled predict function (a traced graph, where TensorFlow fuses
    and rewrites ops), not eagerly: 2.1x the views per second of ``model(batch)`` for out-of-fold
    TTA scoring of efficientnet_lite0 on a 2-core CPU. XLA stays off, as Keras leaves it on CPUs:
    on a GPU it would compile once per batch shape and round differently from the export."""
    model.jit_compile = False

    def run_batch(batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scores = sigmoid(np.asarray(model.predict_on_batch(batch)))
        return apply_thresholds(scores, metadata.thresholds), scores

    return Predictor(
        metadata.class_names, metadata.thresholds, run_batch, f"{metadata.architecture} ({source})"
    )


def keras_predictor(path: Path, precision: str | None = None) -> Predictor:
    return classifier_predictor(*load_classifier(path, precision), path)


def savedmodel_predictor(path: Path) -> Predictor:
    served = load_submission(path)
    metadata = served.metadata
    return Predictor(
        metadata.class_names, metadata.thresholds, served, f"{metadata.architecture} SavedModel ({path})"
    )


def load_predictor(path: str | Path, precision: str | None = None) -> Predictor:
    """A run folder (its ``model.keras``), a ``.keras`` file, a SavedModel folder or a zip of one.
    A Keras model computes in ``precision`` (:mod:`pvdefects.precision`; None: as it was saved), a
    SavedModel in the precision it was exported in."""
    path = Path(path)
    if path.is_dir() and (run_model := RunFolder(path).model).is_file():
        return keras_predictor(run_model, precision)
    if path.is_file() and path.suffix == ".keras":
        return keras_predictor(path, precision)
    if (path.is_dir() and (path / "saved_model.pb").is_file()) or (
        path.is_file() and zipfile.is_zipfile(path)
    ):
        return savedmodel_predictor(path)
    raise UserError(
        f"{path}: not a model (expected a run folder, a .keras file, a SavedModel folder or a model.zip)"
    )
