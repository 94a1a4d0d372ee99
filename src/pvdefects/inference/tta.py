"""Test-time augmentation: the label-preserving views of a batch that training augments with.

A crack stays a crack when the cell is mirrored or turned, so averaging the scores of these views
smooths out the network's orientation quirks.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def dihedral_views(batch: np.ndarray) -> Iterator[np.ndarray]:
    """The 8 flips/quarter turns of square ``[B, H, W, C]`` images (4 when not square: no quarter turns)."""
    turns = range(4) if batch.shape[1] == batch.shape[2] else (0, 2)
    for image in (batch, batch[:, :, ::-1]):
        for k in turns:
            yield np.rot90(image, k, axes=(1, 2))
