"""The classifier head's pooling (models/heads.py): what each pooling computes, every architecture
taking the setting, and GeM's learned p surviving a save and reload (tiny models, a few seconds)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from pvdefects.errors import UserError
from pvdefects.models import create_model, list_models
from pvdefects.models.heads import POOLINGS, GeneralizedMeanPooling, global_pool
from pvdefects.models.saving import ModelMetadata, load_classifier, save_classifier
from pvdefects.training.config import CHOICES

MAPS = np.random.default_rng(0).uniform(0, 6, (2, 4, 5, 3)).astype(np.float32)  # [batch, h, w, c] >= 0


def pooled(pooling: str) -> np.ndarray:
    inputs = keras.Input((4, 5, 3))
    return np.asarray(keras.Model(inputs, global_pool(inputs, pooling))(MAPS))


def test_the_settings_choices_are_the_heads_poolings():
    assert CHOICES["pooling"] == POOLINGS


def test_avg_and_avgmax_pool_the_map():
    np.testing.assert_allclose(pooled("avg"), MAPS.mean(axis=(1, 2)), rtol=1e-6)
    np.testing.assert_allclose(
        pooled("avgmax"), np.concatenate([MAPS.mean(axis=(1, 2)), MAPS.max(axis=(1, 2))], axis=1), rtol=1e-6
    )


def test_gem_is_the_generalised_mean_of_radenovic_et_al():
    np.testing.assert_allclose(pooled("gem"), (MAPS**3).mean(axis=(1, 2)) ** (1 / 3), rtol=1e-5)
    layer = GeneralizedMeanPooling()
    layer.build(MAPS.shape)
    layer.p.assign(1.0)
    np.testing.assert_allclose(np.asarray(layer(MAPS)), MAPS.mean(axis=(1, 2)), rtol=1e-5)  # p = 1: average
    layer.p.assign(0.1)  # kept at 1 or more
    np.testing.assert_allclose(np.asarray(layer(MAPS)), MAPS.mean(axis=(1, 2)), rtol=1e-5)
    layer.p.assign(60.0)  # large p: close to the maximum
    np.testing.assert_allclose(np.asarray(layer(MAPS)), MAPS.max(axis=(1, 2)), rtol=0.06)


def test_gem_learns_p():
    inputs = keras.Input((4, 5, 3))
    model = keras.Model(inputs, keras.layers.Dense(1)(global_pool(inputs, "gem")))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(MAPS, np.array([[0.0], [1.0]]), epochs=2, verbose=0)
    assert model.get_layer("gem_pool").p.numpy() != pytest.approx(3.0)


@pytest.mark.parametrize("pooling", ["avgmax", "gem"])
def test_every_architecture_but_alexnet_takes_the_pooling(pooling):
    features = {"avgmax": 2, "gem": 1}[pooling]
    for name in sorted(set(list_models()) - {"alexnet", "resnet34", "resnet18_canonical"}):
        model = create_model(name, 2, input_size=32, pooling=pooling, pretrained=False)
        logits = model.get_layer("logits")
        width = model.get_layer("logits").input.shape[-1]
        assert (
            width
            == features * model.get_layer("avg_pool" if pooling == "avgmax" else "gem_pool").input.shape[-1]
        )
        assert logits.output.shape[-1] == 2 and model(np.zeros((1, 40, 40, 1), np.float32)).shape == (1, 2)


def test_alexnet_and_unknown_poolings_are_user_errors():
    with pytest.raises(UserError, match="alexnet flattens its features"):
        create_model("alexnet", 2, input_size=96, pooling="gem")
    with pytest.raises(UserError, match="pooling must be one of avg, avgmax, gem; got 'sum'"):
        create_model("simple_cnn", 2, input_size=32, pooling="sum")


def test_a_gem_model_reloads_with_its_learned_p_in_either_precision(tmp_path):
    model = create_model("simple_cnn", 2, input_size=32, pooling="gem")
    model.get_layer("gem_pool").p.assign(2.5)
    metadata = ModelMetadata(["crack", "inactive"], [0.5, 0.5], "simple_cnn", 32, pooling="gem")
    save_classifier(model, metadata, tmp_path / "m.keras")
    x = np.random.default_rng(1).uniform(0, 255, (2, 40, 40, 1)).astype(np.float32)

    loaded, read = load_classifier(tmp_path / "m.keras")
    assert read.pooling == "gem" and loaded.get_layer("gem_pool").p.numpy() == pytest.approx(2.5)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x, training=False)), atol=1e-5)
    rebuilt, _ = load_classifier(tmp_path / "m.keras", precision="bfloat16")  # architecture rebuilt
    assert rebuilt.get_layer("gem_pool").p.numpy() == pytest.approx(2.5)
    np.testing.assert_allclose(np.asarray(rebuilt(x)), np.asarray(model(x, training=False)), atol=0.1)
