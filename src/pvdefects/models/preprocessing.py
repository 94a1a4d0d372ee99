"""Layers that turn raw 0-255 grayscale cells into network input, inside the model.

Keeping resizing and normalisation inside the model means a saved model (and later the exported
SavedModel) takes the pixels exactly as read from the PNG: nobody has to re-implement our
preprocessing to use it.
"""

from __future__ import annotations

import keras
from keras import ops

NORMALIZATIONS = ("per_image", "scale")


@keras.saving.register_keras_serializable(package="pvdefects")
class PerImageStandardization(keras.layers.Layer):
    """Zero mean, unit variance per image, like ``tf.image.per_image_standardization``.

    EL images differ in exposure from module to module; standardising each image removes the
    global brightness and contrast so the network sees only the structure.
    """

    def call(self, inputs):
        mean = ops.mean(inputs, axis=(1, 2, 3), keepdims=True)
        std = ops.std(inputs, axis=(1, 2, 3), keepdims=True)
        pixels = ops.cast(ops.prod(ops.shape(inputs)[1:]), inputs.dtype)
        return (inputs - mean) / ops.maximum(std, ops.rsqrt(pixels))


@keras.saving.register_keras_serializable(package="pvdefects")
class StoredGrayLevels(keras.layers.Layer):
    """Resized pixels rounded to whole gray levels (0-255), as the training cells were stored; pixels
    that were not resized pass unchanged. Called on ``[original, resized]`` ``[B, H, W, 1]`` float32.

    Training and out-of-fold scoring read each cell resized once and stored as uint8
    (:func:`pvdefects.data.images.resize_images`); an export fed the 300x300 cells resizes them here.
    Without rounding, the two inputs differ by up to half a gray level, and a fine-tuned
    EfficientNet-Lite0 at 224 px scored the same cells up to 0.24 apart (0.018 on average), which
    cost its export 0.015 of out-of-fold mean F1 against the figure its thresholds were tuned on.
    Cells already at the input size (augmented training batches included) are left as they are,
    so training is unchanged.
    """

    def call(self, inputs):
        original, resized = inputs
        same_size = ops.logical_and(
            ops.equal(ops.shape(original)[1], ops.shape(resized)[1]),
            ops.equal(ops.shape(original)[2], ops.shape(resized)[2]),
        )
        return ops.where(same_size, resized, ops.round(ops.clip(resized, 0.0, 255.0)))


def keras_imported(_keras_module) -> None:
    """The post-import hook of ``pvdefects/__init__.py``: importing this module has registered the layers."""


def preprocessing_block(inputs, input_size: int, normalization: str = "per_image"):
    """Resize raw 0-255 pixels to ``input_size`` squared (rounded to gray levels, as stored for
    training: :class:`StoredGrayLevels`) and normalise them.

    Keras' image preprocessing layers default to ``training=True``, and a functional model records
    that default with the call and hands it on to every later layer: a plain ``model(x)`` would then
    run batch norm in training mode and overwrite its moving statistics. Resizing is the same in
    training and inference, so it is called with ``training=False``; ``fit`` still overrides that
    with ``training=True`` for the whole model.

    Both layers compute in float32 whatever the precision of the rest (:mod:`pvdefects.precision`):
    an image's mean and variance over ~50,000 pixels need more than bfloat16's 8 bits of mantissa,
    and the resized pixels stay as read; the first convolution casts their output to its own precision.
    """
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
    x = keras.layers.Resizing(input_size, input_size, antialias=True, name="resize", dtype="float32")(
        inputs, training=False
    )
    x = StoredGrayLevels(name="gray_levels", dtype="float32")([inputs, x])
    if normalization == "per_image":
        return PerImageStandardization(name="standardize", dtype="float32")(x)
    return keras.layers.Rescaling(1.0 / 255.0, name="standardize", dtype="float32")(x)
