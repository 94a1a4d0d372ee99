import keras
import numpy as np
import pytest
import tensorflow as tf

from pvdefects.training.losses import MultiLabelLoss, positive_weights

rng = np.random.default_rng(0)
LOGITS = rng.normal(0, 3, (16, 2)).astype("float32")
TRUTH = (rng.random((16, 2)) < 0.3).astype("float32")


def test_plain_loss_is_sigmoid_cross_entropy():
    expected = keras.losses.BinaryCrossentropy(from_logits=True)(TRUTH, LOGITS)
    assert float(MultiLabelLoss()(TRUTH, LOGITS)) == pytest.approx(float(expected), rel=1e-5)


def test_positive_weights_match_tensorflow():
    weights = [3.0, 10.0]
    expected = tf.reduce_mean(
        tf.nn.weighted_cross_entropy_with_logits(TRUTH, LOGITS, pos_weight=tf.constant(weights))
    )
    assert float(MultiLabelLoss(pos_weight=weights)(TRUTH, LOGITS)) == pytest.approx(
        float(expected), rel=1e-5
    )


def test_focal_loss_matches_keras():
    expected = keras.losses.BinaryFocalCrossentropy(gamma=2.0, from_logits=True)(TRUTH, LOGITS)
    assert float(MultiLabelLoss(focal_gamma=2.0)(TRUTH, LOGITS)) == pytest.approx(float(expected), rel=1e-4)


def test_label_smoothing_matches_keras():
    expected = keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)(TRUTH, LOGITS)
    assert float(MultiLabelLoss(label_smoothing=0.1)(TRUTH, LOGITS)) == pytest.approx(
        float(expected), rel=1e-5
    )


def test_positive_weights_from_frequencies():
    labels = np.array([[1, 0], [0, 0], [0, 0], [1, 1]] * 5)
    assert positive_weights(labels, "none") is None
    np.testing.assert_allclose(positive_weights(labels, "balanced"), [1.0, 3.0])
    np.testing.assert_allclose(positive_weights(labels, "sqrt"), [1.0, np.sqrt(3.0)])


def test_loss_survives_serialization():
    loss = MultiLabelLoss(pos_weight=[2.0, 5.0], focal_gamma=1.5, label_smoothing=0.05)
    clone = keras.losses.deserialize(keras.losses.serialize(loss))
    assert float(clone(TRUTH, LOGITS)) == pytest.approx(float(loss(TRUTH, LOGITS)))
