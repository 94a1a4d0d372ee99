"""A run's model.keras outside pvdefects: plain Keras loads it after ``import pvdefects``, and a plain
call of the loaded model is inference that leaves its weights alone (issue 14 item 7)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from dataclasses import asdict

import keras
import numpy as np
import pytest

from pvdefects.models import create_model
from pvdefects.models.saving import ModelMetadata, save_classifier
from pvdefects.training.losses import MultiLabelLoss

LOAD_WITH_PLAIN_KERAS = """
import sys
import numpy as np
import pvdefects  # registers the package's layers; nothing else of it is used
import keras

model = keras.saving.load_model(sys.argv[1])  # as a user would: compile=True, the default
x = np.load(sys.argv[2])
before = [np.array(weight) for weight in model.weights]
plain = np.asarray(model(x))
changed = [w.path for w, b in zip(model.weights, before) if not np.array_equal(np.asarray(w), b)]
assert not changed, f"a plain call changed {changed}"
np.save(sys.argv[3], np.stack([plain, np.asarray(model(x, training=False))]))
"""


def test_keras_load_model_reads_a_trained_model_keras_after_importing_the_package(tmp_path):
    model = create_model("simple_cnn", 2, input_size=32)
    model.compile(optimizer=keras.optimizers.AdamW(1e-3), loss=MultiLabelLoss())  # as the trainer does
    rng = np.random.default_rng(3)
    for layer in model.layers:  # trained statistics, so that training and inference mode differ
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(rng.normal(0, 1, layer.moving_mean.shape).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.5, 2, layer.moving_variance.shape).astype("float32"))
    save_classifier(
        model, ModelMetadata(["crack", "inactive"], [0.5, 0.5], "simple_cnn", 32), tmp_path / "m.keras"
    )
    saved = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
    assert not saved.get("compile_config"), "no loss or optimizer settings to resolve at loading"
    x = rng.uniform(0, 255, (2, 40, 40, 1)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            LOAD_WITH_PLAIN_KERAS,
            str(tmp_path / "m.keras"),
            str(tmp_path / "x.npy"),
            str(tmp_path / "y.npy"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    plain, inference = np.load(tmp_path / "y.npy")
    np.testing.assert_allclose(plain, inference, rtol=0, atol=1e-6)
    np.testing.assert_allclose(plain, np.asarray(model(x, training=False)), atol=1e-5)
    assert np.abs(plain - np.asarray(model(x, training=True))).max() > 1e-3, "training mode must differ"


def test_metadata_of_a_later_version_is_read_and_its_new_keys_ignored():
    written = {
        **asdict(ModelMetadata(["crack", "inactive"], [0.4, 0.6], "efficientnet_lite0", 224)),
        "a_later_key": "describes only",
    }
    metadata = ModelMetadata.from_json(json.dumps(written))
    assert metadata.thresholds == [0.4, 0.6] and metadata.architecture == "efficientnet_lite0"
    assert not hasattr(metadata, "a_later_key")


def test_metadata_without_a_required_key_or_not_an_object_is_refused():
    with pytest.raises(TypeError):
        ModelMetadata.from_json(json.dumps({"class_names": ["crack"]}))
    with pytest.raises(TypeError):
        ModelMetadata.from_json("[1, 2]")


def test_a_model_saved_before_gray_level_rounding_is_rebuilt_with_it(tmp_path, monkeypatch):
    """Models trained before StoredGrayLevels saw uint8-stored cells too: loaded, they get the layer
    (same weights), so that ``export`` and ``predict`` feed them what they were trained on."""
    from pvdefects.models import preprocessing, registry
    from pvdefects.models.saving import load_classifier

    def without_gray_levels(inputs, input_size, normalization="per_image"):
        x = keras.layers.Resizing(input_size, input_size, antialias=True, name="resize")(
            inputs, training=False
        )
        return preprocessing.PerImageStandardization(name="standardize")(x)

    with monkeypatch.context() as patched:
        patched.setattr(registry, "preprocessing_block", without_gray_levels)
        old = create_model("simple_cnn", 2, input_size=32)
    assert "gray_levels" not in [layer.name for layer in old.layers]
    save_classifier(
        old, ModelMetadata(["crack", "inactive"], [0.5, 0.5], "simple_cnn", 32), tmp_path / "m.keras"
    )

    loaded, _ = load_classifier(tmp_path / "m.keras")
    assert "gray_levels" in [layer.name for layer in loaded.layers]
    for before, after in zip(old.weights, loaded.weights):
        np.testing.assert_array_equal(np.asarray(before), np.asarray(after))
    at_input_size = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 1)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(loaded(at_input_size)), np.asarray(old(at_input_size)), atol=1e-6)
