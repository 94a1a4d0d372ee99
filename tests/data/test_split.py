import numpy as np

from pvdefects.data.split import kfold_splits, label_combinations, train_val_split


def skewed_labels(n=500, seed=0):
    rng = np.random.default_rng(seed)
    crack = rng.random(n) < 0.22
    inactive = (rng.random(n) < 0.05) | (crack & (rng.random(n) < 0.2))
    return np.stack([crack, inactive], axis=1).astype(np.uint8)


def test_split_is_reproducible_disjoint_and_complete():
    labels = skewed_labels()
    train, val = train_val_split(labels, 0.2, seed=3)
    again_train, again_val = train_val_split(labels, 0.2, seed=3)
    np.testing.assert_array_equal(train, again_train)
    np.testing.assert_array_equal(val, again_val)
    assert not set(train) & set(val) and len(train) + len(val) == len(labels)
    assert len(val) == 100
    assert not np.array_equal(val, train_val_split(labels, 0.2, seed=4)[1])


def test_split_keeps_combination_frequencies_and_rare_class_on_both_sides():
    labels = skewed_labels()
    train, val = train_val_split(labels, 0.2, seed=0)
    for part in (train, val):
        assert labels[part, 1].sum() > 0
    whole = np.bincount(label_combinations(labels), minlength=4) / len(labels)
    held_out = np.bincount(label_combinations(labels[val]), minlength=4) / len(val)
    np.testing.assert_allclose(held_out, whole, atol=0.02)


def test_kfold_validates_every_row_once():
    labels = skewed_labels()
    folds = kfold_splits(labels, 5, seed=0)
    validated = np.concatenate([val for _, val in folds])
    assert sorted(validated) == list(range(len(labels)))
    assert all(labels[val, 1].sum() > 0 for _, val in folds)
