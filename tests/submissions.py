"""Submissions for the untrusted-scoring tests: honest exports and hostile models, zipped.

Honest exports follow the export contract (a SavedModel whose ``serving_default`` takes ``x``,
float32 [batch, H, W, 1] 0-255, and returns ``y`` (0/1) and ``scores``, with an asset
``metadata.json``), written by ``pvdefects.export`` itself. Hostile models are tiny ``tf.function``
bodies with the same signature.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import tensorflow as tf

from pvdefects.export.savedmodel import export_classifier
from pvdefects.models.saving import ModelMetadata

CLASS_NAMES = ["crack", "inactive"]


def zip_folder(folder: Path, zip_path: Path) -> Path:
    """Zip a folder's contents (not the folder itself), as a submitter would."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, path.relative_to(folder).as_posix())
    return zip_path


def zip_like_windows(path: Path, members: dict[str, bytes]) -> Path:
    """What PowerShell's ``Compress-Archive`` writes: backslash separators, MS-DOS attributes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name.replace("/", "\\"))
            info.create_system = 0  # MS-DOS
            info.external_attr = 0x20  # the archive bit, no Unix mode
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return path


def export_honest(model, thresholds: list[float], folder: Path, input_size: int = 32) -> Path:
    """Export ``model`` with ``pvdefects.export`` (the real submission writer) into ``folder``/model.zip."""
    folder.mkdir(parents=True, exist_ok=True)
    metadata = ModelMetadata(CLASS_NAMES, thresholds, model.name, input_size)
    return export_classifier(model, metadata, folder / "model.zip")


def save_function(body: Callable, folder: Path, input_name: str = "x", **extra_functions) -> Path:
    """Save ``body(x) -> {"y": ...}`` as the serving signature (plus unsigned ``extra_functions``); zip it."""
    module = tf.Module()
    module.serve = tf.function(
        body, input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32, name=input_name)]
    )
    for name, function in extra_functions.items():
        setattr(module, name, function)
    tf.saved_model.save(module, str(folder / "saved_model"), signatures={"serving_default": module.serve})
    return zip_folder(folder / "saved_model", folder / "model.zip")


def decisions_like(x, value):
    """A ``[batch, 2]`` float32 tensor of ``value`` that depends on ``x`` (so nothing is constant-folded).

    It uses allowed ops only, so that a hostile model's findings are its hostile ops alone.
    """
    return x[:, 0, 0, :] * tf.constant([[0.0, 0.0]]) + value
