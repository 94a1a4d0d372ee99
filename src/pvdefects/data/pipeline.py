"""``tf.data`` input pipelines over images decoded once into memory (one uint8 array, not copied).

Images stay raw (0-255) here: resizing and normalisation live inside the model, so training,
evaluation and the exported model see exactly the same preprocessing. The training stream is
infinite (``steps_per_epoch`` defines an epoch) and every random choice is a stateless op seeded
from ``seed``, so the same seed gives the same batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from pvdefects.data.sampling import sampling_probabilities

AUTOTUNE = tf.data.AUTOTUNE


@dataclass(frozen=True)
class Augmentation:
    """Switchable label-preserving augmentations of EL cells."""

    flips: bool = True  # horizontal and vertical mirror images
    rot90: bool = True  # quarter turns (square images only): busbars may run either way
    intensity: float = 0.1  # strength of gamma/brightness/contrast jitter; 0 switches it off
    shift: float = 0.0  # random translation by up to this share of each side; 0 switches it off
    rotate: float = 0.0  # random rotation by up to this many degrees either way; 0 switches it off
    scale: float = 0.0  # random zoom by a factor within 1 +- scale; 0 switches it off

    @property
    def enabled(self) -> bool:
        return (
            self.flips
            or self.rot90
            or self.intensity > 0
            or self.shift > 0
            or self.rotate > 0
            or self.scale > 0
        )


def random_shift(image: tf.Tensor, seed: tf.Tensor, fraction: float) -> tf.Tensor:
    """Translate ``[H, W, C]`` by up to ``fraction`` of each side, filling the uncovered strip with
    the mirror image of the border. Off by default: on the shared cells it cost 0.10 mean F1
    (docs/hyperparameters.md), as cells are cropped to their borders and a shift pushes edge cracks
    and inactive edges out of view."""
    pad_y, pad_x = round(image.shape[0] * fraction), round(image.shape[1] * fraction)
    padded = tf.pad(image, [[pad_y, pad_y], [pad_x, pad_x], [0, 0]], mode="REFLECT")
    return tf.image.stateless_random_crop(padded, tf.shape(image), seed)


def random_rotate_scale(image: tf.Tensor, seed: tf.Tensor, degrees: float, scale: float) -> tf.Tensor:
    """Rotate ``[H, W, C]`` about its centre by an angle drawn uniformly from +-``degrees`` and zoom it
    by a factor drawn from [1 - ``scale``, 1 + ``scale``] (above 1 enlarges), bilinearly, the corners
    that come into view filled with the mirror image (``keras.ops.image.affine_transform``, fill mode
    reflect). Keras' RandomRotation/RandomZoom layers draw from their own seed generator; these draws
    are stateless functions of ``seed`` like the other augmentations. Shape and dtype stay."""
    seeds = tf.random.experimental.stateless_split(seed, num=2)
    angle = tf.random.stateless_uniform([], seeds[0], -degrees, degrees) * (np.pi / 180)
    zoom = 1.0 + tf.random.stateless_uniform([], seeds[1], -scale, scale)
    # the transform maps each output pixel (x, y) to the input point it samples:
    # centre + rotation(angle) (p - centre) / zoom
    cos, sin = tf.cos(angle) / zoom, tf.sin(angle) / zoom
    cy, cx = (
        (tf.cast(tf.shape(image)[0], tf.float32) - 1) / 2,
        (tf.cast(tf.shape(image)[1], tf.float32) - 1) / 2,
    )
    transform = tf.stack([cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy, 0.0, 0.0])
    return keras.ops.image.affine_transform(
        image, transform, interpolation="bilinear", fill_mode="reflect", data_format="channels_last"
    )


def augment(image: tf.Tensor, seed: tf.Tensor, config: Augmentation) -> tf.Tensor:
    """Apply ``config`` to one float32 ``[H, W, 1]`` image with pixel values 0-255."""
    seeds = tf.random.experimental.stateless_split(seed, num=7)
    if config.flips:
        image = tf.image.stateless_random_flip_left_right(image, seeds[0])
        image = tf.image.stateless_random_flip_up_down(image, seeds[1])
    if config.rot90 and image.shape[0] == image.shape[1]:
        quarter_turns = tf.random.stateless_uniform([], seeds[2], 0, 4, dtype=tf.int32)
        image = tf.image.rot90(image, quarter_turns)
    if config.intensity > 0:
        s = config.intensity
        gamma = tf.exp(tf.random.stateless_uniform([], seeds[3], -s, s))
        contrast = 1.0 + tf.random.stateless_uniform([], seeds[4], -s, s)
        brightness = 255.0 * tf.random.stateless_uniform([], seeds[5], -s, s) / 2
        image = 255.0 * tf.pow(image / 255.0, gamma)
        mean = tf.reduce_mean(image)
        image = tf.clip_by_value((image - mean) * contrast + mean + brightness, 0.0, 255.0)
    if config.shift > 0:
        image = random_shift(image, seeds[6], config.shift)
    if config.rotate > 0 or config.scale > 0:  # a seed of its own: the draws above stay as they were
        seed = tf.random.experimental.stateless_fold_in(seed, 7)
        image = random_rotate_scale(image, seed, config.rotate, config.scale)
    return image


def mixup(images: tf.Tensor, labels: tf.Tensor, seed: tf.Tensor, alpha: float) -> tuple[tf.Tensor, tf.Tensor]:
    """Mixup (Zhang et al. 2018): each image and its labels blended with those of the batch read
    backwards, with a weight drawn from Beta(alpha, alpha) per image. Multi-labels become soft
    targets in [0, 1]; the batch order is already random, so reversing it pairs random rows."""
    seeds = tf.random.experimental.stateless_split(seed, num=2)
    count = tf.shape(images)[:1]
    a, b = (tf.random.stateless_gamma(count, s, alpha) for s in (seeds[0], seeds[1]))
    weight = tf.math.divide_no_nan(a, a + b)  # Beta(alpha, alpha) from two gamma draws
    images = weight[:, None, None, None] * images + (1 - weight[:, None, None, None]) * tf.reverse(
        images, [0]
    )
    labels = weight[:, None] * labels + (1 - weight[:, None]) * tf.reverse(labels, [0])
    return images, labels


def gather_rows(images: np.ndarray):
    """A function for ``tf.data`` maps: index (or vector of indices) -> ``images[index]``, read from
    the NumPy array itself. ``tf.constant`` or ``from_tensor_slices`` would copy the whole array into
    each pipeline (about twice its size each, measured), so a data set would be held several times."""
    dtype, shape = tf.as_dtype(images.dtype), tf.TensorShape(images.shape[1:])

    def gather(indices: tf.Tensor) -> tf.Tensor:
        rows = tf.numpy_function(lambda i: images[i], [indices], dtype, stateful=False)
        rows.set_shape(indices.shape.concatenate(shape))
        return rows

    return gather


def training_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int,
    seed: int = 0,
    balance: float = 0.0,
    augmentation: Augmentation | None = Augmentation(),
    mixup_alpha: float = 0.0,
) -> tf.data.Dataset:
    """An endless stream of (image batch, label batch): shuffled epochs when ``balance`` is 0,
    else rows drawn with :func:`sampling_probabilities`; batches go through :func:`mixup` when
    ``mixup_alpha`` > 0."""
    gather = gather_rows(images)
    labels_t = tf.constant(labels, dtype=tf.float32)
    n = len(labels)
    if balance > 0:
        log_p = tf.math.log(tf.constant(sampling_probabilities(labels, balance), tf.float64))[tf.newaxis]
        indices = (
            tf.data.Dataset.random(seed=seed)
            .batch(2)
            .map(lambda s: tf.random.stateless_categorical(log_p, 1, s)[0, 0])
        )
    else:
        indices = tf.data.Dataset.range(n).shuffle(n, seed=seed, reshuffle_each_iteration=True).repeat()
    augment_seeds = tf.data.Dataset.random(seed=seed + 1).batch(2)

    def load(index, aug_seed):
        image = tf.cast(gather(index), tf.float32)
        if augmentation is not None and augmentation.enabled:
            image = augment(image, aug_seed, augmentation)
        return image, tf.gather(labels_t, index)

    ds = tf.data.Dataset.zip(indices, augment_seeds).map(
        load, num_parallel_calls=AUTOTUNE, deterministic=True
    )
    ds = ds.batch(batch_size, drop_remainder=True)
    if mixup_alpha > 0:
        mix_seeds = tf.data.Dataset.random(seed=seed + 2).batch(2)
        ds = tf.data.Dataset.zip(ds, mix_seeds).map(lambda batch, s: mixup(*batch, s, mixup_alpha))
    return ds.prefetch(AUTOTUNE)


def inference_dataset(images: np.ndarray, batch_size: int) -> tf.data.Dataset:
    """Images in order, as float32 batches, for validation and prediction (read from ``images``
    batch by batch, see :func:`gather_rows`)."""
    gather = gather_rows(images)
    ds = tf.data.Dataset.range(len(images)).batch(batch_size)
    return ds.map(lambda rows: tf.cast(gather(rows), tf.float32), num_parallel_calls=AUTOTUNE).prefetch(
        AUTOTUNE
    )
