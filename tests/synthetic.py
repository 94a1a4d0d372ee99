"""A tiny synthetic labelled data set, so tests need neither ELPV nor the shared labels.

A "crack" is a dark diagonal line and "inactive" a dark rectangle on a noisy bright cell: easy enough
for a small network to pick up within a few steps. Tests import it as ``from synthetic import
write_dataset`` (pytest puts tests/ on the path: ``pythonpath`` in pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def synthetic_cell(crack: int, inactive: int, size: int, rng: np.random.Generator) -> np.ndarray:
    cell = rng.normal(170, 12, (size, size))
    if crack:
        offset = rng.integers(-size // 4, size // 4)
        for i in range(size):
            j = i + offset
            if 0 <= j < size:
                cell[i, max(j - 1, 0) : j + 1] = 40
    if inactive:
        cell[: size // 2, : size // 2] = rng.normal(30, 5, (size // 2, size // 2))
    return np.clip(cell, 0, 255).astype(np.uint8)


def write_dataset(folder: Path, n: int = 40, size: int = 48, seed: int = 0) -> Path:
    """Write ``n`` PNG cells and ``labels.csv`` (filename;crack;inactive) into ``folder``."""
    rng = np.random.default_rng(seed)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    # every label combination, the rare 'inactive' included
    combos = [(0, 0), (1, 0), (0, 0), (1, 1), (0, 1), (0, 0), (1, 0), (0, 0)]
    lines = ["filename;crack;inactive"]
    for i in range(n):
        crack, inactive = combos[i % len(combos)]
        name = f"images/cell{i:04d}.png"
        Image.fromarray(synthetic_cell(crack, inactive, size, rng)).save(folder / name)
        lines.append(f"{name};{crack};{inactive}")
    (folder / "labels.csv").write_text("\n".join(lines) + "\n")
    return folder / "labels.csv"
