"""Submissions for the untrusted-scoring tests: honest exports and hostile models, zipped.

Honest exports follow the export contract (a SavedModel whose ``serving_default`` takes ``x``,
float32 [batch, H, W, 1] 0-255, and returns ``y`` (0/1) and ``scores``, with an asset
``metadata.json``), built here as a ``tf.Module`` around ``create_model`` until
``pvdefects.export`` lands. Hostile models are tiny ``tf.function`` bodies with the same signature.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Callable

import tensorflow as tf

CLASS_NAMES = ["crack", "inactive"]


def zip_folder(folder: Path, zip_path: Path) -> Path:
    """Zip a folder's contents (not the folder itself), as a submitter would."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, path.relative_to(folder).as_posix())
    return zip_path


class HonestExport(tf.Module):
    """What ``pvdefects export`` writes: decisions and scores from raw pixels, with metadata."""

    def __init__(self, model, thresholds: list[float], metadata_path: Path) -> None:
        super().__init__()
        self.model = model
        self.thresholds = tf.constant(thresholds, tf.float32)
        self.metadata = tf.saved_model.Asset(str(metadata_path))

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32, name="x")])
    def serve(self, x):
        scores = tf.sigmoid(self.model(x, training=False))
        return {"y": tf.cast(scores >= self.thresholds, tf.float32), "scores": scores}


def export_honest(model, thresholds: list[float], folder: Path) -> Path:
    """Save ``model`` by the export contract into ``folder``/model.zip; return the zip."""
    folder.mkdir(parents=True, exist_ok=True)
    metadata = folder / "metadata.json"
    metadata.write_text(json.dumps({"class_names": CLASS_NAMES, "thresholds": thresholds}))
    module = HonestExport(model, thresholds, metadata)
    tf.saved_model.save(module, str(folder / "saved_model"), signatures={"serving_default": module.serve})
    return zip_folder(folder / "saved_model", folder / "model.zip")


def save_function(body: Callable, folder: Path, input_name: str = "x", **extra_functions) -> Path:
    """Save ``body(x) -> {"y": ...}`` as the serving signature (plus unsigned ``extra_functions``); zip it."""
    module = tf.Module()
    module.serve = tf.function(body, input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32, name=input_name)])
    for name, function in extra_functions.items():
        setattr(module, name, function)
    tf.saved_model.save(module, str(folder / "saved_model"), signatures={"serving_default": module.serve})
    return zip_folder(folder / "saved_model", folder / "model.zip")


def decisions_like(x, value):
    """A ``[batch, 2]`` float32 tensor of ``value`` that depends on ``x`` (so nothing is constant-folded).

    It uses allowed ops only, so that a hostile model's findings are its hostile ops alone.
    """
    return x[:, 0, 0, :] * tf.constant([[0.0, 0.0]]) + value
