"""A small plain CNN: a fast baseline for quick experiments and for the test suite.

Four stages of Conv2D(c, 3, 1) BN ReLU MaxPool(2, 2) with c = 16, 32, 64, 128, then global
pooling (average by default, :mod:`pvdefects.models.heads`) and FC(num_classes): about 100 k parameters.
"""

from __future__ import annotations

from keras import layers

from pvdefects.models.blocks import conv_bn_relu
from pvdefects.models.heads import classifier_head

CHANNELS = (16, 32, 64, 128)


def simple_cnn(inputs, num_classes: int, dropout: float = 0.0, pooling: str = "avg"):
    x = inputs
    for i, filters in enumerate(CHANNELS, start=1):
        x = conv_bn_relu(x, filters, 3, 1, name=f"conv{i}")
        x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    return classifier_head(x, num_classes, dropout, pooling)
