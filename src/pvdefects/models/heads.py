"""The classifier head shared by the architectures: global pooling, dropout, FC(num_classes).

Pooling (``TrainConfig.pooling``) reduces the last feature map ``[batch, h, w, c]`` to ``[batch, c]``
(``[batch, 2c]`` for avgmax):

- ``avg``: global average pooling, the architectures' original head;
- ``avgmax``: global average and global max pooling side by side (Concatenate): a thin crack that
  lights up a few positions keeps its peak, which a plain average over the map dilutes;
- ``gem``: generalised mean pooling (Radenović, Tolias and Chum, "Fine-tuning CNN image retrieval
  with no human annotation", TPAMI 2018): ``(mean(max(x, eps) ** p)) ** (1 / p)`` per channel,
  with one learnable ``p`` (initialised at 3) shared by the channels: ``p = 1`` is the average,
  large ``p`` approaches the maximum.
"""

from __future__ import annotations

import keras
from keras import layers, ops

POOLINGS = ("avg", "avgmax", "gem")
GEM_P = 3.0  # the paper's initial p
GEM_EPS = 1e-6  # floor of the activations: 0 ** p has no gradient in p


def keras_imported(_keras_module) -> None:
    """The post-import hook of ``pvdefects/__init__.py``: importing this module has registered the layer."""


@keras.saving.register_keras_serializable(package="pvdefects")
class GeneralizedMeanPooling(keras.layers.Layer):
    """GeM pooling of ``[batch, h, w, channels]`` to ``[batch, channels]`` (module docstring).

    ``p`` is kept at 1 or more (where it could reach 0, ``1 / p`` would not be finite). Computes in
    the layer's own dtype; :func:`classifier_head` builds it in float32, as a bfloat16 mean of
    cubes loses the small differences that the head reads.
    """

    def __init__(self, p: float = GEM_P, eps: float = GEM_EPS, **kwargs):
        super().__init__(**kwargs)
        self.initial_p = float(p)
        self.eps = float(eps)

    def build(self, input_shape):
        self.p = self.add_weight(
            name="p", shape=(), initializer=keras.initializers.Constant(self.initial_p), trainable=True
        )

    def call(self, inputs):
        p = ops.maximum(ops.cast(self.p, inputs.dtype), 1.0)
        x = ops.maximum(inputs, self.eps)
        # the same mean, taken of x / max(x) in (0, 1]: x ** p alone overflows float32 for large p
        peak = ops.max(x, axis=(1, 2), keepdims=True)
        mean = ops.mean(ops.power(x / peak, p), axis=(1, 2))
        return ops.squeeze(peak, axis=(1, 2)) * ops.power(mean, 1.0 / p)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "p": self.initial_p, "eps": self.eps}


def global_pool(x, pooling: str = "avg"):
    """``x`` ``[batch, h, w, c]`` pooled to ``[batch, c]`` (``[batch, 2c]`` for avgmax) by ``pooling``,
    one of :data:`POOLINGS`; layers ``avg_pool``, ``max_pool`` + ``avgmax_pool``, or ``gem_pool``.
    Raises ValueError for another name."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "avgmax":
        pooled = [
            layers.GlobalAveragePooling2D(name="avg_pool")(x),
            layers.GlobalMaxPooling2D(name="max_pool")(x),
        ]
        return layers.Concatenate(name="avgmax_pool")(pooled)
    if pooling == "gem":
        return GeneralizedMeanPooling(name="gem_pool", dtype="float32")(x)
    raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")


HEAD = "logits"  # the classifier's layer: every architecture of the registry ends in it


def classifier_head(x, num_classes: int, dropout: float = 0.0, pooling: str = "avg"):
    """Logits ``[batch, num_classes]`` of the feature map ``x``: :func:`global_pool`, ``Dropout(dropout)``
    (layer ``dropout``, left out at 0) and ``Dense(num_classes)`` (layer ``logits``)."""
    x = global_pool(x, pooling)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    return layers.Dense(num_classes, name=HEAD)(x)
