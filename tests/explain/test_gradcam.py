"""Grad-CAM: the heatmap points at what the model detects, in inference mode, from the right layer."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from pvdefects.errors import UserError
from pvdefects.explain.gradcam import METHODS, gradcam, target_layer_name
from pvdefects.models import create_model, list_models
from pvdefects.models.preprocessing import preprocessing_block

SIZE, SQUARE = 32, 8  # cells of 32 px; the bright square the model learns to find


def square_cells(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Noisy cells ``[n, SIZE, SIZE, 1]`` (0-255): half hold a bright filled SQUARE x SQUARE square
    (label 1), half only its 2-pixel outline (label 0), so that edges alone do not tell them apart;
    labels ``[n, 1]`` and the squares' top-left corners ``[n, 2]``."""
    cells = rng.normal(90, 25, (n, SIZE, SIZE, 1)).clip(0, 255).astype(np.float32)
    labels = (np.arange(n) % 2).astype(np.float32)[:, np.newaxis]
    corners = rng.integers(0, SIZE - SQUARE + 1, (n, 2))
    for i, (top, left) in enumerate(corners):
        cells[i, top : top + SQUARE, left : left + SQUARE] = 250
        if not labels[i, 0]:
            cells[i, top + 2 : top + SQUARE - 2, left + 2 : left + SQUARE - 2] = 90
    return cells, labels, corners


def train_square_detector() -> keras.Model:
    """A tiny network like ours (raw pixels in, preprocessing inside, logits out), trained for a few
    seconds to say whether a cell holds a bright square."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, None, 1))
    x = preprocessing_block(inputs, SIZE, "scale")
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1")(x)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Conv2D(16, 3, padding="same", name="conv2")(x)
    x = keras.layers.BatchNormalization(momentum=0.9, name="conv2_bn")(x)
    x = keras.layers.ReLU(name="conv2_relu")(x)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    model = keras.Model(inputs, keras.layers.Dense(1, name="logits")(x))
    cells, labels, _ = square_cells(256, np.random.default_rng(0))
    model.compile(keras.optimizers.Adam(0.01), keras.losses.BinaryCrossentropy(from_logits=True))
    model.fit(cells, labels, batch_size=32, epochs=15, verbose=0)
    return model


@pytest.fixture(scope="module")
def square_detector() -> keras.Model:
    return train_square_detector()


@pytest.mark.parametrize("method", METHODS)
def test_the_heatmap_peaks_inside_the_square(square_detector, method):
    cells, labels, corners = square_cells(16, np.random.default_rng(1))
    positives = np.flatnonzero(labels[:, 0])
    logits = np.asarray(square_detector(cells, training=False))[:, 0]
    assert (logits[positives] > 0).all() and (logits[labels[:, 0] == 0] < 0).all(), "the model must work"

    assert target_layer_name(square_detector) == "conv2_relu"
    heatmaps = gradcam(square_detector, cells[positives], 0, batch_size=3, method=method)
    assert heatmaps.shape == (len(positives), SIZE, SIZE) and heatmaps.dtype == np.float32
    assert heatmaps.min() >= 0 and np.allclose(heatmaps.max(axis=(1, 2)), 1)
    for heatmap, (top, left) in zip(heatmaps, corners[positives]):
        row, column = np.unravel_index(np.argmax(heatmap), heatmap.shape)
        assert top <= row < top + SQUARE and left <= column < left + SQUARE, (row, column, top, left)
        # the square, 6 % of the cell, holds most of the heatmap
        assert heatmap[top : top + SQUARE, left : left + SQUARE].sum() > 0.5 * heatmap.sum()


def trained_batch_norm(model: keras.Model) -> None:
    """Batch-norm statistics away from 0/1, so that training mode (batch statistics) would show."""
    rng = np.random.default_rng(3)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(rng.normal(0, 1, layer.moving_mean.shape).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.5, 2, layer.moving_variance.shape).astype("float32"))


def test_gradcam_runs_the_model_in_inference_mode():
    """Batch norm on its moving statistics: no weight changes and a cell's heatmap does not depend on
    the other cells of its batch (in training mode both would fail)."""
    model = create_model("simple_cnn", 2, input_size=32)
    trained_batch_norm(model)
    before = [np.array(weight) for weight in model.weights]
    cells = np.random.default_rng(0).uniform(0, 255, (6, 40, 36, 1)).astype(np.float32)

    together = gradcam(model, cells, 1)
    alone = np.concatenate([gradcam(model, cells[i : i + 1], 1) for i in range(len(cells))])
    np.testing.assert_allclose(together, alone, atol=1e-4)
    for weight, value in zip(model.weights, before):
        np.testing.assert_array_equal(np.asarray(weight), value, err_msg=weight.path)
    assert together.shape == (6, 40, 36)  # the image's own size, not the network's input size


TARGET_LAYERS = {  # each architecture's last convolutional stage, the layer before its global pooling
    "alexnet": "conv5_relu",
    "efficientnet_lite0": "head_relu",
    "efficientnet_lite1": "head_relu",
    "resnet18": "stage4_block1_out",
    "resnet18_canonical": "stage4_block2_out",
    "resnet34": "stage4_block3_out",
    "simple_cnn": "conv4_relu",
}


@pytest.mark.parametrize("name", list_models())
def test_the_target_layer_is_the_last_convolutional_stage(name):
    assert name in TARGET_LAYERS, f"{name}: add its target layer here"
    model = create_model(name, 2, input_size=96 if name == "alexnet" else 32, pretrained=False)
    assert target_layer_name(model) == TARGET_LAYERS[name]


def test_another_layer_by_name_and_errors():
    model = create_model("simple_cnn", 2, input_size=32)
    cells = np.random.default_rng(0).uniform(0, 255, (2, 32, 32)).astype(np.float32)  # [N, H, W] too
    assert gradcam(model, cells, 0, layer="conv2_relu").shape == (2, 32, 32)
    with pytest.raises(UserError, match="no layer 'conv9'"):
        gradcam(model, cells, 0, layer="conv9")
    with pytest.raises(UserError, match="'avg_pool' does not output a feature map"):
        gradcam(model, cells, 0, layer="avg_pool")
    with pytest.raises(UserError, match="class index 2 out of range"):
        gradcam(model, cells, 2)
    with pytest.raises(UserError, match="unknown method 'lime'"):
        gradcam(model, cells, 0, method="lime")
    inputs = keras.Input((None, None, 1))
    dense = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(inputs)))
    with pytest.raises(UserError, match="no convolutional layer"):
        gradcam(dense, cells, 0)
