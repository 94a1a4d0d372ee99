import numpy as np
import pytest

from pvdefects.data.pipeline import training_dataset
from pvdefects.data.sampling import expected_label_frequencies, sampling_probabilities


def shared_like_labels():
    """The shared file's proportions: 1,236 clean, 256 crack only, 10 inactive only, 88 both (x 1/4)."""
    rows = [[0, 0]] * 309 + [[1, 0]] * 64 + [[0, 1]] * 3 + [[1, 1]] * 22
    return np.array(rows, dtype=np.uint8)


def test_balanced_probabilities_draw_each_stratum_equally():
    labels = shared_like_labels()
    p = sampling_probabilities(labels, balance=1.0)
    assert p.sum() == pytest.approx(1.0)
    clean = ~labels.any(axis=1)
    assert p[clean].sum() == pytest.approx(1 / 3)
    # each class: its own third plus its share of the other positive stratum (22 cells have both)
    assert p @ labels[:, 0] == pytest.approx(1 / 3 + 1 / 3 * 22 / 25)
    assert p @ labels[:, 1] == pytest.approx(1 / 3 + 1 / 3 * 22 / 86)


def test_balance_zero_is_uniform():
    labels = shared_like_labels()
    np.testing.assert_allclose(sampling_probabilities(labels, 0.0), 1 / len(labels))


def test_sampled_label_frequencies_match_intended():
    """Draw from the real tf.data sampler and compare with the intended frequencies."""
    labels = shared_like_labels()
    images = np.zeros((len(labels), 4, 4, 1), np.uint8)
    for balance in (1.0, 0.5):
        intended = expected_label_frequencies(labels, sampling_probabilities(labels, balance))
        stream = training_dataset(images, labels, batch_size=100, seed=1, balance=balance, augmentation=None)
        drawn = np.concatenate([y.numpy() for _, y in stream.take(60)])  # 6,000 draws
        np.testing.assert_allclose(drawn.mean(axis=0), intended, atol=0.025)
    natural = labels.mean(axis=0)
    assert intended[1] > 3 * natural[1]  # the rare class really is drawn more often
