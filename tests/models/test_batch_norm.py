"""FusedBatchNormalization computes what Keras' BatchNormalization computes, through FusedBatchNormV3."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from pvdefects.models.batch_norm import FusedBatchNormalization

IMAGES = np.random.default_rng(0).normal(2.0, 3.0, (4, 6, 5, 8)).astype("float32")


def twins(dtype: str) -> tuple[keras.layers.BatchNormalization, FusedBatchNormalization]:
    keras_bn = keras.layers.BatchNormalization(momentum=0.9, dtype=dtype)
    fused = FusedBatchNormalization(momentum=0.9, dtype=dtype)
    for layer in (keras_bn, fused):
        layer.build(IMAGES.shape)
    weights = [np.linspace(0.5, 1.5, 8, dtype="float32") + i for i in range(4)]  # gamma, beta, mean, variance
    keras_bn.set_weights(weights)
    fused.set_weights(weights)
    return keras_bn, fused


@pytest.mark.parametrize(("dtype", "tolerance"), [("float32", 1e-5), ("mixed_bfloat16", 0.05)])
def test_training_and_inference_match_keras(dtype, tolerance):
    keras_bn, fused = twins(dtype)
    for training in (True, False):
        expected, actual = keras_bn(IMAGES, training=training), fused(IMAGES, training=training)
        assert actual.dtype == expected.dtype == keras_bn.compute_dtype
        np.testing.assert_allclose(np.float32(actual), np.float32(expected), rtol=tolerance, atol=tolerance)
    # the moving statistics moved the same way (towards the batch's mean and population variance)
    for expected, actual in zip(keras_bn.get_weights()[2:], fused.get_weights()[2:]):
        np.testing.assert_allclose(actual, expected, rtol=1e-5)
    assert not np.allclose(fused.get_weights()[2], np.linspace(2.5, 3.5, 8))


def test_gradients_match_keras():
    keras_bn, fused = twins("float32")
    x = tf.constant(IMAGES)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        losses = [tf.reduce_sum(layer(x, training=True) ** 3) for layer in (keras_bn, fused)]
    for expected, actual in zip(
        *(tape.gradient(loss, [x, layer.gamma, layer.beta]) for loss, layer in zip(losses, (keras_bn, fused)))
    ):
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("training", [True, False])
def test_runs_the_fused_kernel(training):
    _, fused = twins("mixed_bfloat16")
    graph = (
        tf.function(lambda x: fused(x, training=training)).get_concrete_function(tf.constant(IMAGES)).graph
    )
    assert "FusedBatchNormV3" in {op.type for op in graph.get_operations()}


def test_frozen_layer_uses_its_moving_statistics_and_others_fall_back():
    keras_bn, fused = twins("float32")
    fused.trainable = keras_bn.trainable = False  # --freeze-bn
    np.testing.assert_allclose(
        fused(IMAGES, training=True), keras_bn(IMAGES, training=True), rtol=1e-5, atol=1e-5
    )
    flat = FusedBatchNormalization()  # 2-D input: Keras' own computation
    assert flat(np.ones((3, 4), "float32"), training=True).shape == (3, 4)


def test_saved_model_loads_as_the_fused_layer(tmp_path):
    inputs = keras.Input((6, 5, 8))
    model = keras.Model(inputs, FusedBatchNormalization(name="bn")(inputs))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.get_layer("bn"), FusedBatchNormalization)
    np.testing.assert_allclose(loaded(IMAGES), model(IMAGES), rtol=1e-6)
