"""Seeded train/validation splits stratified by label combination.

Stratifying on the combination (e.g. "crack and inactive") rather than on one class keeps the
rare combinations — here the 98 ``inactive`` cells — present in every split.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split

from pvdefects.errors import InputWarning, UserError


def label_combinations(labels: np.ndarray) -> np.ndarray:
    """One integer per row naming its label combination (bit c set when class c is positive)."""
    return (labels.astype(np.int64) << np.arange(labels.shape[1])).sum(axis=1)


def describe_combination(combination: int, class_names: Sequence[str]) -> str:
    """``"crack=0, inactive=1"`` for a value of :func:`label_combinations`."""
    return ", ".join(f"{name}={(combination >> c) & 1}" for c, name in enumerate(class_names))


def rare_rows(labels: np.ndarray, minimum: int, class_names: Sequence[str] | None) -> tuple[np.ndarray, str]:
    """A mask of the rows whose label combination has fewer than ``minimum`` rows, and a description
    of those combinations (``"crack=0, inactive=1 (1 cell)"``, ``; ``-separated)."""
    names = class_names or [f"class {c}" for c in range(labels.shape[1])]
    combos = label_combinations(labels)
    values, counts = np.unique(combos, return_counts=True)
    rare = [(value, count) for value, count in zip(values, counts) if count < minimum]
    described = "; ".join(
        f"{describe_combination(int(value), names)} ({count} cell{'s' if count > 1 else ''})"
        for value, count in rare
    )
    return np.isin(combos, [value for value, _ in rare]), described


def train_val_split(
    labels: np.ndarray, val_fraction: float = 0.2, seed: int = 0, class_names: Sequence[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a stratified, reproducible train/validation split.

    A label combination of a single row cannot be on both sides: that row goes to training, with an
    :class:`InputWarning` naming the combination. Raises :class:`UserError` when the other rows are
    too few to give each side one row of every combination.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    rare, described = rare_rows(labels, 2, class_names)
    if rare.any():
        warnings.warn(
            f"label combination too rare to validate: {described}; used for training only",
            InputWarning,
            stacklevel=2,
        )
    candidates = np.flatnonzero(~rare)
    strata = label_combinations(labels[candidates])
    n_val = math.ceil(val_fraction * len(candidates))
    n_combinations = len(np.unique(strata))
    if min(n_val, len(candidates) - n_val) < max(n_combinations, 1):
        raise UserError(
            f"{len(labels)} cells cannot be split {1 - val_fraction:.0%}/{val_fraction:.0%} with every "
            f"label combination on both sides ({n_combinations} combinations, {n_val} validation cells); "
            "change --val-fraction or label more cells"
        )
    train, val = train_test_split(candidates, test_size=n_val, random_state=seed, stratify=strata)
    return np.sort(np.concatenate([train, np.flatnonzero(rare)])), np.sort(val)


def kfold_splits(
    labels: np.ndarray, n_splits: int = 5, seed: int = 0, class_names: Sequence[str] | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified K-fold (train, validation) index pairs; every row is validated exactly once.

    Label combinations with fewer rows than folds are pooled into one stratum (with an
    :class:`InputWarning` naming them: some folds validate none of them); a pool still smaller than
    the folds joins the largest combination.
    """
    if len(labels) < n_splits:
        raise UserError(f"{len(labels)} cells cannot make {n_splits} folds")
    rare, described = rare_rows(labels, n_splits, class_names)
    strata = label_combinations(labels)
    if rare.any():
        warnings.warn(
            f"label combination rarer than the {n_splits} folds: {described}; not every fold validates it",
            InputWarning,
            stacklevel=2,
        )
        common = strata[~rare]
        pool = np.bincount(common).argmax() if rare.sum() < n_splits else -1
        strata = np.where(rare, pool, strata)
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(folds.split(np.zeros(len(labels)), strata))
