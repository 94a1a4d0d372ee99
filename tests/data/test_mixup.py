"""Mixup in the training stream: soft labels in [0, 1], blended with the same weight as the images."""

import numpy as np
import pytest

from pvdefects.data.pipeline import training_dataset
from pvdefects.errors import UserError
from pvdefects.training.config import TrainConfig


def batches(mixup_alpha, seed=3, count=3):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (16, 8, 8, 1), dtype=np.uint8)
    labels = (rng.random((16, 2)) < 0.4).astype(np.uint8)
    stream = training_dataset(
        images, labels, batch_size=8, seed=seed, augmentation=None, mixup_alpha=mixup_alpha
    )
    return [(x.numpy(), y.numpy()) for x, y in stream.take(count)]


def test_mixup_blends_images_and_labels_with_one_weight_per_row():
    for (x, y), (x0, y0) in zip(batches(0.4), batches(0.0)):
        assert x.shape == x0.shape and y.shape == y0.shape and x.dtype == np.float32
        assert 0 <= y.min() and y.max() <= 1 and 0 <= x.min() and x.max() <= 255
        partner_x, partner_y = x0[::-1], y0[::-1]
        for i in range(len(x)):
            difference = (x0[i] - partner_x[i]).ravel()
            if not difference.any():
                continue
            weight = float(
                np.dot(x[i].ravel() - partner_x[i].ravel(), difference) / np.dot(difference, difference)
            )
            assert 0 <= weight <= 1
            np.testing.assert_allclose(x[i], weight * x0[i] + (1 - weight) * partner_x[i], atol=1e-3)
            np.testing.assert_allclose(y[i], weight * y0[i] + (1 - weight) * partner_y[i], atol=1e-5)
    soft = np.concatenate([y for _, y in batches(0.4)])
    assert ((soft > 0.01) & (soft < 0.99)).any()


def test_mixup_is_seeded():
    for (xa, ya), (xb, yb) in zip(batches(0.4, seed=3), batches(0.4, seed=3)):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(batches(0.4, seed=3)[0][1], batches(0.4, seed=4)[0][1])


@pytest.mark.parametrize("settings", [{"mixup": -0.1}, {"ema_momentum": 1.0}, {"ema_momentum": -0.5}])
def test_knobs_out_of_range_are_user_errors(settings):
    with pytest.raises(UserError):
        TrainConfig(**settings).validate()
