"""A small plain CNN: a fast baseline for quick experiments and for the test suite.

Four stages of Conv2D(c, 3, 1) BN ReLU MaxPool(2, 2) with c = 16, 32, 64, 128, then global
average pooling and FC(num_classes): about 100 k parameters.
"""

from __future__ import annotations

from keras import layers

from pvdefects.models.blocks import conv_bn_relu

CHANNELS = (16, 32, 64, 128)


def simple_cnn(inputs, num_classes: int, dropout: float = 0.0):
    x = inputs
    for i, filters in enumerate(CHANNELS, start=1):
        x = conv_bn_relu(x, filters, 3, 1, name=f"conv{i}")
        x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    return layers.Dense(num_classes, name="logits")(x)
