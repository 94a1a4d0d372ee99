"""Read a submission (a SavedModel folder or its ``model.zip``) back and call it through its signature.

This is the trusted reader behind ``predict`` and ``evaluate`` and the export's own check; a zip
is unpacked with the same archive checks as an untrusted one (:mod:`pvdefects.security.archive`).
What the signature must look like is :mod:`pvdefects.contract`.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf
from google.protobuf.message import DecodeError

from pvdefects.contract import (
    DECISIONS,
    INPUT,
    METADATA_PATH,
    OUTPUTS,
    SCORES,
    SIGNATURE,
    Tensor,
    signature_problem,
)
from pvdefects.errors import UserError
from pvdefects.models.saving import ModelMetadata
from pvdefects.security.archive import unpack_submission


@dataclass
class ServingModel:
    """A loaded submission: its ``serving_default`` signature and its metadata."""

    signature: tf.types.experimental.ConcreteFunction
    metadata: ModelMetadata
    source: Path
    loaded: object  # the loaded SavedModel; the signature needs it alive

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(y, scores)`` for float32 ``[B, H, W, 1]`` pixels, checked against the contract."""
        outputs = self.signature(**{INPUT: tf.constant(x, tf.float32)})
        y, scores = (np.asarray(outputs[name]) for name in OUTPUTS)
        expected = (len(x), len(self.metadata.class_names))
        if y.shape != expected or scores.shape != expected:
            raise UserError(
                f"{self.source}: outputs have shapes {DECISIONS} {y.shape}, {SCORES} {scores.shape}; "
                f"expected {expected} (batch, classes {self.metadata.class_names})"
            )
        if not np.isin(y, (0.0, 1.0)).all():
            raise UserError(f"{self.source}: output '{DECISIONS}' must hold only 0 and 1")
        return y, scores


def read_metadata(folder: Path, label: Path) -> ModelMetadata:
    path = folder / METADATA_PATH
    try:
        return ModelMetadata.from_json(path.read_text())
    except FileNotFoundError:
        raise UserError(f"{label}: no {METADATA_PATH} (class names and thresholds)") from None
    except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as error:
        raise UserError(f"{label}: invalid {METADATA_PATH} ({error})") from None


def described(spec: tf.TensorSpec) -> Tensor:
    return Tensor(spec.dtype.name, None if spec.shape.rank is None else tuple(spec.shape.as_list()))


def check_signature(signature, label: Path) -> None:
    """The signature keeps to :func:`pvdefects.contract.signature_problem` (both outputs needed)."""
    inputs = signature.structured_input_signature[1]
    outputs = signature.structured_outputs if isinstance(signature.structured_outputs, dict) else {}
    problem = signature_problem(
        {name: described(spec) for name, spec in inputs.items()},
        {name: described(spec) for name, spec in outputs.items()},
    )
    if problem:
        raise UserError(f"{label}: {problem}")


def load_savedmodel(folder: str | Path, label: str | Path | None = None) -> ServingModel:
    """Load and check a SavedModel folder; ``label`` names it in errors (default: the folder)."""
    folder = Path(folder)
    label = Path(label or folder)
    if not (folder / "saved_model.pb").is_file():
        raise UserError(f"{label}: no saved_model.pb; not a SavedModel")
    try:
        loaded = tf.saved_model.load(str(folder))
    except (OSError, ValueError, DecodeError, tf.errors.OpError) as error:
        raise UserError(f"{label}: cannot load the SavedModel ({str(error).splitlines()[0]})") from None
    signature = loaded.signatures.get(SIGNATURE)
    if signature is None:
        raise UserError(
            f"{label}: no '{SIGNATURE}' signature (it has: {', '.join(loaded.signatures) or 'none'})"
        )
    check_signature(signature, label)
    return ServingModel(signature, read_metadata(folder, label), label, loaded)


def load_submission(path: str | Path) -> ServingModel:
    """A SavedModel folder, or a zip of one (unpacked to a temporary folder, removed once loaded)."""
    path = Path(path)
    if path.is_dir():
        return load_savedmodel(path)
    with tempfile.TemporaryDirectory(prefix="pvdefects-submission-") as scratch:
        return load_savedmodel(unpack_submission(path, Path(scratch) / "model"), label=path)
