"""Batch normalisation through TensorFlow's fused kernel.

Keras 3's ``BatchNormalization`` computes, on the TensorFlow backend, with separate ops: it casts
bfloat16 activations to float32, takes the moments (``Mean``, ``SquaredDifference``), normalises
element by element, casts back, and the gradient repeats that pattern (``Mul``, ``Sum``, ``Tile``).
A profile of resnet18 training steps at 224 px in bfloat16 (benchmarks/precision_steps.py
``--profile``) put about a third of the op time there. :class:`FusedBatchNormalization` is the same
layer (weights, settings, moving statistics, saved form apart from its class name) computing with
``FusedBatchNormV3`` (oneDNN's fused batch norm on CPU), which reads bfloat16 input with float32
scale, offset and statistics and returns its output in the input's precision.
"""

from __future__ import annotations

import keras
import tensorflow as tf


def keras_imported(_keras_module) -> None:
    """The post-import hook of ``pvdefects/__init__.py``: importing this module has registered the layer."""


@keras.saving.register_keras_serializable(package="pvdefects")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """``keras.layers.BatchNormalization`` on TensorFlow's ``FusedBatchNormV3`` for 4-D channels-last
    input ``[N, H, W, C]``; other cases (a mask, renorm, statistics synchronised across replicas,
    another axis or rank) fall back to Keras' computation. The moving variance is updated with the
    batch's population variance, as Keras does (the fused kernel returns the unbiased one)."""

    def call(self, inputs, training=None, mask=None):
        channels_last = len(inputs.shape) == 4 and self.axis in (-1, 3)
        if mask is not None or self.renorm or self.synchronized or not channels_last:
            return super().call(inputs, training=training, mask=mask)
        scale = self.gamma if self.scale else tf.ones_like(self.moving_mean)
        offset = self.beta if self.center else tf.zeros_like(self.moving_mean)
        if training and self.trainable:
            outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                inputs, scale, offset, epsilon=self.epsilon, is_training=True
            )
            count = tf.cast(tf.reduce_prod(tf.shape(inputs)[:3]), variance.dtype)
            variance = variance * (count - 1) / tf.maximum(count, 1.0)
            self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(
                self.moving_variance * self.momentum + variance * (1.0 - self.momentum)
            )
        else:
            outputs, _, _ = tf.compat.v1.nn.fused_batch_norm(
                inputs,
                scale,
                offset,
                mean=self.moving_mean,
                variance=self.moving_variance,
                epsilon=self.epsilon,
                is_training=False,
            )
        return tf.cast(outputs, self.compute_dtype)
