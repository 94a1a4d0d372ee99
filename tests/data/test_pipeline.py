import numpy as np

from pvdefects.data.pipeline import Augmentation, augment, inference_dataset, training_dataset


def ramp_images(n=8, size=12):
    base = np.arange(size * size, dtype=np.float32).reshape(size, size) % 256
    return np.stack([np.roll(base, i, axis=0) for i in range(n)]).astype(np.uint8)[..., None]


def first_batches(seed, balance, count=3):
    images, labels = ramp_images(), np.eye(2, dtype=np.uint8)[np.arange(8) % 2]
    stream = training_dataset(images, labels, batch_size=4, seed=seed, balance=balance)
    return [(x.numpy(), y.numpy()) for x, y in stream.take(count)]


def test_same_seed_same_batches():
    for balance in (0.0, 0.7):
        a, b = first_batches(5, balance), first_batches(5, balance)
        for (xa, ya), (xb, yb) in zip(a, b):
            np.testing.assert_array_equal(xa, xb)
            np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(first_batches(5, 0.0)[0][0], first_batches(6, 0.0)[0][0])


def test_batches_are_float_pixels_of_the_input_size():
    x, y = first_batches(0, 0.0)[0]
    assert x.shape == (4, 12, 12, 1) and x.dtype == np.float32 and y.shape == (4, 2)
    assert 0 <= x.min() and x.max() <= 255


def test_unbalanced_epoch_visits_every_image_once():
    images, labels = ramp_images(), np.zeros((8, 1), np.uint8)
    stream = training_dataset(images, labels, batch_size=4, seed=0, augmentation=None)
    seen = np.concatenate([x.numpy() for x, _ in stream.take(2)])
    assert sorted(s[0, 0, 0] for s in seen) == sorted(images[:, 0, 0, 0].astype(np.float32))


def test_geometric_augmentations_only_rearrange_pixels():
    image = ramp_images(1)[0].astype(np.float32)
    out = augment(image, np.array([1, 2]), Augmentation(flips=True, rot90=True, intensity=0.0)).numpy()
    np.testing.assert_array_equal(np.sort(out.ravel()), np.sort(image.ravel()))
    switched_off = np.asarray(augment(image, np.array([1, 2]), Augmentation(False, False, 0.0)))
    np.testing.assert_array_equal(switched_off, image)


def test_intensity_jitter_changes_values_within_range():
    image = ramp_images(1)[0].astype(np.float32)
    out = augment(image, np.array([3, 4]), Augmentation(False, False, 0.2)).numpy()
    assert not np.array_equal(out, image) and out.min() >= 0 and out.max() <= 255


def test_shift_translates_the_cell_and_fills_the_strip_with_its_mirror_image():
    image = ramp_images(1, size=20)[0].astype(np.float32)
    padded = np.pad(image, [(5, 5), (5, 5), (0, 0)], mode="reflect")  # shift 0.25 of 20 px = 5 px
    windows = {(dy, dx) for dy in range(11) for dx in range(11)}
    offsets = set()
    for seed in range(12):
        out = augment(image, np.array([seed, 1]), Augmentation(False, False, 0.0, shift=0.25)).numpy()
        offset = next(
            (dy, dx) for dy, dx in windows if np.array_equal(padded[dy : dy + 20, dx : dx + 20], out)
        )
        offsets.add(offset)
    assert len(offsets) > 6 and offsets != {(5, 5)}


def test_rotation_and_scale_turn_and_zoom_about_the_centre():
    """Zero settings leave the cell; others move pixels about the fixed centre, keeping shape and dtype."""
    image = np.zeros((21, 21, 1), np.float32)
    image[10, 10] = image[10, 18] = image[:, 2] = 255.0  # the centre, a point 8 px right of it, a line
    seed = np.array([1, 2])
    np.testing.assert_array_equal(
        augment(image, seed, Augmentation(False, False, 0.0, rotate=0, scale=0)), image
    )
    for setting in ({"rotate": 10.0}, {"scale": 0.2}):
        outs = [
            augment(image, np.array([s, 2]), Augmentation(False, False, 0.0, **setting)).numpy()
            for s in range(4)
        ]
        assert all(out.shape == image.shape and out.dtype == np.float32 for out in outs)
        assert all(out[10, 10, 0] > 200 for out in outs)  # the centre stays
        assert all(not np.allclose(out, image, atol=1.0) for out in outs)  # the rest moves
        assert all(0 <= out.min() and out.max() <= 255 for out in outs)
        assert not np.array_equal(outs[0], outs[1])  # each seed its own draw


def test_inference_dataset_keeps_order():
    images = ramp_images()
    batches = np.concatenate([x.numpy() for x in inference_dataset(images, 3)])
    np.testing.assert_array_equal(batches, images.astype(np.float32))


def test_pipelines_read_the_array_itself_not_a_copy():
    """The one uint8 copy of a data set is not copied into each pipeline (issue 14 item 2)."""
    images, labels = ramp_images(), np.zeros((8, 1), np.uint8)
    inference = inference_dataset(images, 8)
    training = training_dataset(images, labels, batch_size=4, seed=0, augmentation=None)
    images[:] = 7  # written after the pipelines were built: they see it
    assert (next(iter(inference)).numpy() == 7).all()
    assert (next(iter(training))[0].numpy() == 7).all()
