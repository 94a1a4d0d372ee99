"""Save and load a trained classifier as one ``.keras`` file that carries its own metadata.

Class names, tuned thresholds and the training input size travel inside the archive as an extra
member ``pvdefects.json`` (Keras ignores members it does not know), so a model file is enough to
predict and to evaluate: no side file can get lost or mismatched.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import keras

import pvdefects
from pvdefects.atomic import replacing
from pvdefects.errors import UserError
from pvdefects.models.preprocessing import StoredGrayLevels
from pvdefects.models.registry import create_model, list_models
from pvdefects.precision import model_precision, precision_policy, resolve_precision

METADATA_MEMBER = "pvdefects.json"


@dataclass
class ModelMetadata:
    """What a user of the model needs besides the weights."""

    class_names: list[str]
    thresholds: list[float]
    architecture: str
    input_size: int
    normalization: str = "per_image"
    pooling: str = "avg"  # the classifier head's global pooling (pvdefects.models.heads)
    package_version: str = field(default_factory=lambda: pvdefects.__version__)

    @classmethod
    def from_json(cls, text: str | bytes) -> ModelMetadata:
        """The metadata in ``text`` (a JSON object). Keys that a later pvdefects added are ignored, so
        that this version still reads newer models: they describe the model, the saved graph computes.

        Raises json.JSONDecodeError for bad JSON, TypeError for a missing key or a non-object."""
        values = json.loads(text)
        if not isinstance(values, dict):
            raise TypeError(f"expected a JSON object, got {type(values).__name__}")
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in known})


def inference_copy(model: keras.Model) -> keras.Model:
    """An uncompiled copy with the same weights: saving it leaves out the optimizer state and the
    compile settings, whose loss class (pvdefects.training.losses) plain ``keras.saving.load_model``
    would otherwise have to find. Built from the config, since ``keras.models.clone_model`` compiles
    the clone of a compiled model."""
    copy = type(model).from_config(model.get_config())
    copy.set_weights(model.get_weights())
    return copy


def save_classifier(model: keras.Model, metadata: ModelMetadata, path: str | Path) -> Path:
    """Write ``model`` (without optimizer state) and ``metadata`` to ``path`` (a ``.keras`` file)."""
    path = Path(path)
    with replacing(path, ".keras") as partial:
        inference_copy(model).save(partial)
        with zipfile.ZipFile(partial, "a") as archive:
            archive.writestr(METADATA_MEMBER, json.dumps(asdict(metadata), indent=2))
    return path


def in_precision(model: keras.Model, metadata: ModelMetadata, precision: str | None) -> keras.Model:
    """``model``, or, where it computes in another precision than ``precision`` (a setting of
    :mod:`pvdefects.precision`, resolved), its architecture rebuilt in that one with the same weights.
    None keeps the model as it is."""
    if precision is None or model_precision(model) == resolve_precision(precision):
        return model
    with precision_policy(precision):
        return rebuilt(model, metadata)


def rebuilt(model: keras.Model, metadata: ModelMetadata) -> keras.Model:
    """``model``'s architecture built anew by this code (in the current precision policy) with its
    weights: a model saved by older code gets today's preprocessing (:func:`load_classifier`)."""
    copy = create_model(
        metadata.architecture,
        len(metadata.class_names),
        metadata.input_size,
        metadata.normalization,
        pretrained=False,
        pooling=metadata.pooling,
    )
    copy.set_weights(model.get_weights())
    return copy


def saved_before_gray_levels(model: keras.Model, metadata: ModelMetadata) -> bool:
    """Whether ``model`` is a registered architecture whose in-model resize (layer ``resize``) predates
    :class:`~pvdefects.models.preprocessing.StoredGrayLevels`; a model of other origin is left as it is."""
    return (
        any(layer.name == "resize" for layer in model.layers)
        and not any(isinstance(layer, StoredGrayLevels) for layer in model.layers)
        and metadata.architecture in list_models()
    )


def load_classifier(path: str | Path, precision: str | None = None) -> tuple[keras.Model, ModelMetadata]:
    """Load a ``.keras`` file written by :func:`save_classifier`, in the precision it was saved in or
    in ``precision`` (see :func:`in_precision`). A model saved before
    :class:`~pvdefects.models.preprocessing.StoredGrayLevels` existed is :func:`rebuilt` with it, so
    that cells fed at another size score as its training cells did, whatever the path."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            metadata = ModelMetadata.from_json(archive.read(METADATA_MEMBER))
    except FileNotFoundError:
        raise UserError(f"{path}: model file not found") from None
    except (zipfile.BadZipFile, KeyError, TypeError, json.JSONDecodeError):
        raise UserError(f"{path}: not a pvdefects model (.keras file with {METADATA_MEMBER})") from None
    model = keras.saving.load_model(path, compile=False)
    if saved_before_gray_levels(model, metadata):
        # its cells were stored as uint8 all the same
        with precision_policy(model_precision(model)):
            model = rebuilt(model, metadata)
    return in_precision(model, metadata, precision), metadata
