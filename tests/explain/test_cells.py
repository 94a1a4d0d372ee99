"""Image files to scores and heatmaps: each cell at its own size, in order, with the model's scores."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from PIL import Image

from pvdefects.errors import UserError
from pvdefects.explain.cells import explain_files, load_keras_classifier
from pvdefects.explain.overlay import overlay
from pvdefects.inference.predictor import load_predictor
from pvdefects.models import create_model
from pvdefects.models.saving import ModelMetadata, save_classifier


def test_cells_of_mixed_sizes_keep_their_order_size_and_scores(tmp_path):
    keras.utils.set_random_seed(0)
    model_path = save_classifier(
        create_model("simple_cnn", 2, input_size=32),
        ModelMetadata(["crack", "inactive"], [0.5, 0.5], "simple_cnn", 32),
        tmp_path / "model.keras",
    )
    rng = np.random.default_rng(0)
    shapes = [(40, 40), (30, 50), (40, 40), (30, 50), (40, 40)]
    paths = []
    for i, shape in enumerate(shapes):
        paths.append(tmp_path / f"cell{i}.png")
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)).save(paths[-1])
    model, _ = load_keras_classifier(tmp_path)  # the folder's model.keras, as in a run folder
    done = []
    cells = list(explain_files(model, paths, [1, 0], batch_size=3, on_batch=done.append))

    assert [cell.index for cell in cells] == list(range(5)) and done == [3, 2]
    assert [cell.heatmaps.shape for cell in cells] == [(2, *shape) for shape in shapes]
    expected = load_predictor(model_path).predict(np.stack([c.pixels for c in cells[::2]])[..., None])[1]
    np.testing.assert_allclose([cell.scores for cell in cells[::2]], expected, atol=1e-5)


def test_a_savedmodel_has_no_layers_to_explain(tmp_path):
    (tmp_path / "saved_model.pb").write_bytes(b"")
    with pytest.raises(UserError, match="a SavedModel has no Keras layers to explain"):
        load_keras_classifier(tmp_path)
    with pytest.raises(UserError, match="not a model with a Keras graph"):
        load_keras_classifier(tmp_path / "absent")


def test_the_overlay_is_red_where_the_map_is_high():
    cell = np.full((2, 2), 128, np.uint8)
    rgb = overlay(cell, np.array([[1.0, 0.0], [0.5, 0.0]], np.float32))
    assert rgb.shape == (2, 2, 3) and rgb.dtype == np.uint8
    assert rgb[0, 0, 0] > rgb[0, 0, 2] and rgb[0, 1, 2] > rgb[0, 1, 0]  # red high, blue low
