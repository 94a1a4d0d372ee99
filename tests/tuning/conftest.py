"""A tiny synthetic labelled data set for the tuning tests: 40 cells of 32x32 pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


@pytest.fixture
def tiny_labels(tmp_path: Path) -> Path:
    """``labels.csv`` (crack;inactive, every combination 10 times) beside its 40 PNGs."""
    rng = np.random.default_rng(0)
    rows = ["filename;crack;inactive"]
    for i in range(40):
        crack, inactive = i % 2, (i // 2) % 2
        pixels = rng.integers(60, 200, (32, 32)).astype(np.uint8)
        pixels[:, 14:18] //= 1 + 2 * crack  # a dark vertical line for cracks
        pixels[:16] //= 1 + 2 * inactive  # a dark top half for inactive areas
        Image.fromarray(pixels).save(tmp_path / f"cell{i:02d}.png")
        rows.append(f"cell{i:02d}.png;{crack};{inactive}")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    return tmp_path / "labels.csv"
