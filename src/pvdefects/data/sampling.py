"""Class-balanced sampling probabilities for multi-label data.

With 77 % of the cells defect-free and only 6 % ``inactive``, uniform sampling shows the network
few rare positives. The balanced sampler first picks a *stratum* uniformly — "no defect" or "positive
for class c" for each class — then a row uniformly within it. A cell positive for several classes
belongs to several strata. ``balance`` blends this with uniform sampling (0 = uniform, 1 = balanced).
"""

from __future__ import annotations

import numpy as np


def strata_membership(labels: np.ndarray) -> np.ndarray:
    """``[N, C + 1]`` booleans: row i is in stratum 0 ("no defect") or in stratum c+1 (class c positive)."""
    positives = labels.astype(bool)
    return np.concatenate([~positives.any(axis=1, keepdims=True), positives], axis=1)


def sampling_probabilities(labels: np.ndarray, balance: float = 1.0) -> np.ndarray:
    """Probability of drawing each row; sums to 1."""
    if not 0.0 <= balance <= 1.0:
        raise ValueError(f"balance must be within [0, 1], got {balance}")
    n = len(labels)
    members = strata_membership(labels)
    sizes = members.sum(axis=0)
    occupied = sizes > 0
    per_stratum = np.where(occupied, 1.0 / occupied.sum() / np.maximum(sizes, 1), 0.0)
    balanced = (members * per_stratum).sum(axis=1)
    return (1.0 - balance) / n + balance * balanced


def expected_label_frequencies(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """How often each class is positive among drawn rows, under ``probabilities``."""
    return probabilities @ labels.astype(np.float64)
