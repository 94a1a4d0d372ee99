"""A small plain CNN: a fast baseline for quick experiments and for the test suite.

Four stages of Conv2D(c, 3, 1) BN ReLU MaxPool(2, 2) with c = 16, 32, 64, 128, then global
average pooling and FC(num_classes): about 100 k parameters.
"""

from __future__ import annotations

from keras import layers

CHANNELS = (16, 32, 64, 128)


def simple_cnn(inputs, num_classes: int, dropout: float = 0.0):
    x = inputs
    for i, filters in enumerate(CHANNELS, start=1):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{i}_conv")(x)
        x = layers.BatchNormalization(name=f"conv{i}_bn")(x)
        x = layers.ReLU(name=f"conv{i}_relu")(x)
        x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    return layers.Dense(num_classes, name="logits")(x)
