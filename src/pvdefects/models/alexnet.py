"""AlexNet with batch normalisation, exactly as the reference task specifies it.

    Conv2D(96, 11, 4) BN ReLU MaxPool(3, 2)
    Conv2D(192, 5, 1) BN ReLU MaxPool(3, 2)
    Conv2D(384, 3, 1) BN ReLU
    Conv2D(256, 3, 1) BN ReLU
    Conv2D(256, 3, 1) BN ReLU MaxPool(3, 2)
    Dropout FC(4096) ReLU Dropout FC(4096) ReLU FC(num_classes)

The first convolution is unpadded, as in Krizhevsky et al.; the others keep their size ('same').
"""

from __future__ import annotations

from keras import layers

from pvdefects.errors import UserError
from pvdefects.models.blocks import conv_bn_relu
from pvdefects.models.heads import HEAD

# (filters, kernel, stride, padding, pool after it)
FEATURES = (
    (96, 11, 4, "valid", True),
    (192, 5, 1, "same", True),
    (384, 3, 1, "same", False),
    (256, 3, 1, "same", False),
    (256, 3, 1, "same", True),
)
HIDDEN_UNITS = 4096


def alexnet(inputs, num_classes: int, dropout: float = 0.5, pooling: str = "avg"):
    """Return AlexNet's logits for ``inputs`` (a normalised NHWC tensor).

    The task's AlexNet flattens its last feature map into the FC layers, which has no global pooling to
    choose: ``pooling`` other than the default "avg" raises :class:`UserError`.
    """
    if pooling != "avg":
        raise UserError(
            f"alexnet flattens its features (no global pooling): pooling {pooling!r} is not for it"
        )
    x = inputs
    for i, (filters, kernel, stride, padding, pool) in enumerate(FEATURES, start=1):
        x = conv_bn_relu(x, filters, kernel, stride, name=f"conv{i}", padding=padding)
        if pool:
            x = layers.MaxPooling2D(3, 2, name=f"pool{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    for i in (1, 2):
        x = layers.Dropout(dropout, name=f"dropout{i}")(x)
        x = layers.Dense(HIDDEN_UNITS, activation="relu", name=f"fc{i}")(x)
    return layers.Dense(num_classes, name=HEAD)(x)
