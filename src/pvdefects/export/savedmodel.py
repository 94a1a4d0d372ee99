"""Write a trained model as a submission: a SavedModel whose ``serving_default`` signature maps raw
pixels ``x`` to 0/1 decisions ``y`` and sigmoid ``scores``, with ``metadata.json`` (class names,
thresholds, ...) inside as an asset. The names, dtypes and shapes are :mod:`pvdefects.contract`'s
(docs/submission-format.md); the written zip is reloaded through the reader
(:mod:`pvdefects.inference.savedmodel`) and checked before it replaces anything.

The serving function is deliberately plain (the Keras model called with ``training=False``, a
sigmoid and a comparison) so that a static check of its ops can allow only conv-net inference.
An ensemble (``pvdefects crossval``) averages the sigmoid scores of several models, optionally over
the 8 flips and quarter turns of the input (test-time augmentation); flips and turns are
``Reverse`` and ``Transpose`` ops, the average additions and one division.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from pvdefects.atomic import replacing
from pvdefects.contract import DECISIONS, INPUT, INPUT_SHAPE, METADATA_ASSET, SCORES, SIGNATURE
from pvdefects.decisions import sigmoid
from pvdefects.errors import UserError
from pvdefects.export.archive import zip_folder
from pvdefects.inference.savedmodel import load_submission
from pvdefects.inference.tta import dihedral_views
from pvdefects.layout import RunFolder
from pvdefects.models.saving import ModelMetadata, load_classifier
from pvdefects.precision import model_precision

CHECK_IMAGES = 4  # random cells the reloaded export must score like the in-memory model
CHECK_SIZE = 300  # pixels: the side of an ELPV cell
CHECK_TOLERANCE = 1e-5
# ... for a model computing in bfloat16 (8 bits of mantissa): TensorFlow's graph fuses ops that the
# eager reference runs one by one, and each rounds to bfloat16 at other places
BFLOAT16_CHECK_TOLERANCE = 1e-2


class ExportCheckFailed(UserError):
    """The reloaded export scores differently from the model it came from. Not the user's fault,
    but reported the same way (one line, no file left behind), with exit status 1."""

    exit_code = 1


Models = keras.Model | Sequence[keras.Model]  # one model, or the members of an ensemble


def as_list(models: Models) -> list[keras.Model]:
    return [models] if isinstance(models, keras.Model) else list(models)


def graph_dihedral_views(x: tf.Tensor) -> list[tf.Tensor]:
    """The 8 views of :func:`~pvdefects.inference.tta.dihedral_views` as graph ops: the image and
    its mirror image, each turned 0-3 quarter turns (``tf.image.rot90`` would add a ``Case`` op)."""
    views = []
    for view in (x, tf.reverse(x, [2])):
        for _ in range(4):
            views.append(view)
            view = tf.reverse(tf.transpose(view, [0, 2, 1, 3]), [1])  # a quarter turn, as np.rot90
    return views


class ServingModule(tf.Module):
    """What the SavedModel tracks: the Keras model(s), the thresholds and ``metadata.json``."""

    def __init__(self, models: Models, thresholds: list[float], metadata_file: Path, tta: bool = False):
        super().__init__()
        self.models = as_list(models)
        self.tta = tta
        self.thresholds = tuple(float(t) for t in thresholds)
        self.metadata = tf.saved_model.Asset(str(metadata_file))

    @tf.function(input_signature=[tf.TensorSpec(INPUT_SHAPE, tf.float32, name=INPUT)])
    def serve(self, x):
        # TensorFlow's convolutions and batch norm fail on an empty batch: empty in, empty out
        total = tf.cond(
            tf.shape(x)[0] > 0, lambda: self.mean_scores(x), lambda: tf.zeros([0, len(self.thresholds)])
        )
        decisions = tf.cast(total >= tf.constant(self.thresholds, tf.float32), tf.float32)
        return {DECISIONS: decisions, SCORES: total}

    def mean_scores(self, x):
        """The sigmoid scores ``[batch, classes]`` averaged over the models (and views)."""
        views = graph_dihedral_views(x) if self.tta else [x]
        scores = [tf.sigmoid(model(view, training=False)) for model in self.models for view in views]
        total = scores[0]
        for score in scores[1:]:
            total += score
        if len(scores) > 1:
            total /= len(scores)
        return total


def reference_scores(models: Models, images: np.ndarray, tta: bool = False) -> np.ndarray:
    """What the export of ``models`` must score, computed eagerly with NumPy's flips and turns."""
    views = list(dihedral_views(images)) if tta else [images]
    return np.mean(
        [
            sigmoid(np.asarray(model(np.ascontiguousarray(view), training=False)))
            for model in as_list(models)
            for view in views
        ],
        axis=0,
    )


def write_savedmodel(models: Models, metadata: ModelMetadata, folder: str | Path, tta: bool = False) -> Path:
    """Write ``models`` (one, or an ensemble whose scores are averaged, with ``tta`` over the 8
    dihedral views) with ``metadata`` as a SavedModel folder (``saved_model.pb``, ``variables/``,
    ``assets/``)."""
    folder = Path(folder)
    with tempfile.TemporaryDirectory(prefix="pvdefects-metadata-") as scratch:
        metadata_file = Path(scratch) / METADATA_ASSET
        metadata_file.write_text(json.dumps(asdict(metadata), indent=2) + "\n")
        module = ServingModule(models, metadata.thresholds, metadata_file, tta)
        tf.saved_model.save(module, str(folder), signatures={SIGNATURE: module.serve})
    return folder


def keras_file_of(source: str | Path) -> Path:
    """The ``.keras`` file of a run folder, or ``source`` itself."""
    source = Path(source)
    keras_file = RunFolder(source).model if source.is_dir() else source
    if keras_file.suffix != ".keras" or not keras_file.is_file():
        raise UserError(
            f"{source}: not a model to export (expected a run folder with model.keras, or a .keras file)"
        )
    return keras_file


def check_export(models: Models, zip_path: Path, tta: bool = False) -> float:
    """Reload ``zip_path`` as a server would and compare its scores with those of ``models`` in
    memory (:func:`reference_scores`); returns the largest absolute difference, or raises
    :class:`ExportCheckFailed` above the tolerance (:data:`CHECK_TOLERANCE`, or
    :data:`BFLOAT16_CHECK_TOLERANCE` where a model computes in bfloat16)."""
    images = (
        np.random.default_rng(0).uniform(0, 255, (CHECK_IMAGES, CHECK_SIZE, CHECK_SIZE, 1)).astype(np.float32)
    )
    expected = reference_scores(models, images, tta)
    _, scores = load_submission(zip_path)(images)
    difference = float(np.max(np.abs(scores - expected)))
    in_bfloat16 = any(model_precision(model) == "bfloat16" for model in as_list(models))
    tolerance = BFLOAT16_CHECK_TOLERANCE if in_bfloat16 else CHECK_TOLERANCE
    if not difference <= tolerance:
        raise ExportCheckFailed(
            f"{zip_path}: the reloaded export's scores differ from the model's by {difference:.2e} "
            f"(tolerance {tolerance:g}); nothing written"
        )
    return difference


def export_classifier(models: Models, metadata: ModelMetadata, out: str | Path, tta: bool = False) -> Path:
    """Write ``models`` (see :func:`write_savedmodel`) as a verified ``model.zip`` at ``out``; on any
    failure no file is left there."""
    out = Path(out)
    if not out.parent.is_dir():
        raise UserError(f"{out.parent}: folder not found")
    with replacing(out) as partial, tempfile.TemporaryDirectory(prefix="pvdefects-export-") as scratch:
        zip_folder(write_savedmodel(models, metadata, Path(scratch) / "savedmodel", tta), partial)
        check_export(models, partial, tta)
    return out


def export_model(source: str | Path, out: str | Path | None = None, precision: str | None = None) -> Path:
    """Export a run folder's ``model.keras`` (or a ``.keras`` file) to ``out``, by default the
    ``.zip`` beside it (``<run>/model.zip``), computing in ``precision`` (:mod:`pvdefects.precision`;
    None: as it was saved). Whatever the precision, ``x`` goes in and ``y`` and ``scores`` come out
    as float32 (:mod:`pvdefects.contract`)."""
    keras_file = keras_file_of(source)
    model, metadata = load_classifier(keras_file, precision)
    return export_classifier(model, metadata, out or keras_file.with_suffix(".zip"))
