"""Seeded train/validation splits stratified by label combination.

Stratifying on the combination (e.g. "crack and inactive") rather than on one class keeps the
rare combinations — here the 98 ``inactive`` cells — present in every split.
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split


def label_combinations(labels: np.ndarray) -> np.ndarray:
    """One integer per row naming its label combination (bit c set when class c is positive)."""
    return (labels.astype(np.int64) << np.arange(labels.shape[1])).sum(axis=1)


def _strata(labels: np.ndarray, n_splits: int) -> np.ndarray:
    """Label combinations, with those too rare to spread over ``n_splits`` splits pooled together."""
    combos = label_combinations(labels)
    values, counts = np.unique(combos, return_counts=True)
    rare = values[counts < n_splits]
    return np.where(np.isin(combos, rare), -1, combos)


def train_val_split(
    labels: np.ndarray, val_fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a stratified, reproducible train/validation split."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    indices = np.arange(len(labels))
    train, val = train_test_split(
        indices, test_size=val_fraction, random_state=seed, stratify=_strata(labels, 2)
    )
    return np.sort(train), np.sort(val)


def kfold_splits(labels: np.ndarray, n_splits: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified K-fold (train, validation) index pairs; every row is validated exactly once."""
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(folds.split(np.zeros(len(labels)), _strata(labels, n_splits)))
