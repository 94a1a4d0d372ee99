"""An exported model given no images returns no decisions, instead of failing inside batch norm."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from pvdefects.export.savedmodel import reference_scores, write_savedmodel
from pvdefects.models import create_model
from pvdefects.models.saving import ModelMetadata

CLASSES = ["crack", "inactive"]


@pytest.mark.parametrize("tta", [False, True])
def test_an_empty_batch_gives_empty_decisions_and_scores(tmp_path, tta):
    models = [create_model("simple_cnn", len(CLASSES), input_size=32) for _ in range(1 + tta)]
    folder = write_savedmodel(
        models, ModelMetadata(CLASSES, [0.5, 0.5], "simple_cnn", 32), tmp_path / "model", tta=tta
    )
    serve = tf.saved_model.load(str(folder)).signatures["serving_default"]

    outputs = serve(x=tf.zeros([0, 300, 300, 1]))
    assert outputs["y"].shape == outputs["scores"].shape == (0, len(CLASSES))
    assert outputs["y"].dtype == outputs["scores"].dtype == tf.float32

    x = np.random.default_rng(0).uniform(0, 255, (3, 300, 300, 1)).astype(np.float32)
    scores = serve(x=tf.constant(x))["scores"].numpy()
    np.testing.assert_allclose(scores, reference_scores(models, x, tta), atol=1e-5)
