import warnings

import numpy as np
import pytest

from pvdefects.data.split import kfold_splits, label_combinations, train_val_split
from pvdefects.errors import InputWarning, UserError


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


def one_rare_row(n=48):
    """``n`` rows of crack/inactive labels with exactly one ``crack=0, inactive=1`` row."""
    labels = np.zeros((n, 2), np.uint8)
    labels[::3, 0] = 1  # crack only
    labels[1::8] = 1  # both
    labels[7] = [0, 1]
    return labels


def only_input_warnings(call):
    """Run ``call`` with every warning but InputWarning an error; returns (result, InputWarning texts)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("error")
        warnings.simplefilter("always", InputWarning)
        result = call()
    return result, [str(w.message) for w in caught]


def test_a_combination_of_one_row_trains_and_is_named_once():
    labels = one_rare_row()
    (train, val), lines = only_input_warnings(lambda: train_val_split(labels, 0.2, 0, ["crack", "inactive"]))
    assert lines == [
        "label combination too rare to validate: crack=0, inactive=1 (1 cell); used for training only"
    ]
    assert 7 in train and 7 not in val and len(train) + len(val) == 48
    assert len(val) == 10  # 20 % of the 47 others, rounded up, as before
    for combination in (0, 1, 3):  # the others are on both sides
        assert (label_combinations(labels[val]) == combination).any()


def test_too_few_cells_to_stratify_is_one_line():
    labels = np.array([[0, 0], [0, 0], [1, 0], [1, 0], [1, 1], [1, 1]], np.uint8)
    with pytest.raises(UserError, match=r"6 cells cannot be split 80%/20% with every label combination"):
        train_val_split(labels, 0.2, 0)


def test_kfold_pools_combinations_rarer_than_the_folds_without_library_warnings():
    labels = one_rare_row()
    folds, lines = only_input_warnings(lambda: kfold_splits(labels, 5, 0, ["crack", "inactive"]))
    assert lines == [
        "label combination rarer than the 5 folds: crack=0, inactive=1 (1 cell); not every fold validates it"
    ]
    assert sorted(np.concatenate([val for _, val in folds])) == list(range(48))
    with pytest.raises(UserError, match="3 cells cannot make 5 folds"):
        kfold_splits(labels[:3], 5)
