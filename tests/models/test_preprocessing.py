"""The preprocessing inside every model: a plain ``model(x)`` is inference and changes no weight."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from pvdefects.data.images import resize_images
from pvdefects.models import create_model, list_models
from pvdefects.models.preprocessing import NORMALIZATIONS

INPUT_SIZES = {"alexnet": 96}  # AlexNet's unpadded strides need more than 32 pixels


def trained_batch_norm(model) -> None:
    """Move the batch-norm statistics away from their initial 0/1, so that training and inference
    mode differ (with fresh statistics both normalise almost alike). Every kind of batch norm, our
    fused one included; the model must have some."""
    rng = np.random.default_rng(3)
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms, f"{model.name} has no batch norm to put in inference mode"
    for layer in norms:
        shape = layer.moving_mean.shape
        layer.moving_mean.assign(rng.normal(0, 1, shape).astype("float32"))
        layer.moving_variance.assign(rng.uniform(0.5, 2, shape).astype("float32"))


@pytest.mark.parametrize(
    "name, normalization",
    [(name, "per_image") for name in list_models()] + [("simple_cnn", other) for other in NORMALIZATIONS[1:]],
)
def test_a_plain_call_is_inference_and_leaves_the_weights(name, normalization):
    model = create_model(name, 2, input_size=INPUT_SIZES.get(name, 32), normalization=normalization)
    trained_batch_norm(model)
    x = np.random.default_rng(0).uniform(0, 255, (4, 40, 40, 1)).astype(np.float32)
    before = [np.array(weight) for weight in model.weights]

    plain = np.asarray(model(x))
    np.testing.assert_allclose(plain, np.asarray(model(x, training=False)), rtol=0, atol=1e-5)
    for weight, value in zip(model.weights, before):
        np.testing.assert_array_equal(np.asarray(weight), value, err_msg=weight.path)
    assert np.abs(plain - np.asarray(model(x, training=True))).max() > 1e-3, "training mode must differ"


def test_no_layer_records_training_mode():
    """What a saved model.keras records with each call: no layer is fixed to ``training=True``."""
    config = json.dumps(create_model("simple_cnn", 2, input_size=32).get_config())
    assert '"training": true' not in config


def test_training_still_updates_the_batch_norm_statistics():
    model = create_model("simple_cnn", 2, input_size=32)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    moving_variance = next(layer for layer in model.layers if layer.name == "conv1_bn").moving_variance
    before = np.array(moving_variance)
    x = np.random.default_rng(0).uniform(0, 255, (4, 40, 40, 1)).astype(np.float32)
    model.train_on_batch(x, np.ones((4, 2), np.float32))
    assert np.abs(np.asarray(moving_variance) - before).max() > 1e-3


def gray_levels_of(model, x: np.ndarray) -> np.ndarray:
    """What the model's resize-and-round step makes of ``x``."""
    step = keras.Model(model.inputs, model.get_layer("gray_levels").output)
    return np.asarray(step(x))


def test_a_resized_cell_is_what_training_stored_whole_gray_levels():
    """An export fed 300x300 cells sees what training and out-of-fold scoring saw: each cell resized
    and stored as uint8 (resize_images), not the unrounded resize (up to half a level off)."""
    model = create_model("simple_cnn", 2, input_size=48)
    cells = np.random.default_rng(1).integers(0, 256, (3, 64, 64, 1), dtype=np.uint8)
    seen = gray_levels_of(model, cells.astype(np.float32))
    stored = resize_images(cells, 48).astype(np.float32)
    assert np.array_equal(seen, np.round(seen))
    differing = np.abs(seen - stored)
    # one level off at most, on the few pixels that resize to a level and a half exactly, where the
    # float error of PIL and of TensorFlow falls on either side
    assert differing.max() <= 1 and (differing > 0).mean() < 0.02
    resized_only = np.asarray(model.get_layer("resize")(cells.astype(np.float32)))
    assert np.abs(resized_only - stored).max() > 0.4, "the unrounded resize must differ"


def test_cells_already_at_the_input_size_pass_unchanged():
    """Training batches (at the input size, intensity-jittered to fractional levels) are not rounded."""
    model = create_model("simple_cnn", 2, input_size=48)
    jittered = np.random.default_rng(2).uniform(0, 255, (2, 48, 48, 1)).astype(np.float32)
    np.testing.assert_array_equal(gray_levels_of(model, jittered), jittered)
