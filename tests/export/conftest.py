"""Fixtures of the export tests: a tiny labelled data set, a tiny trained run exported once (the CLI in
process is the root conftest's ``pvdefects_cli``)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CLASSES = ("crack", "inactive")


def write_cells(folder: Path, count: int = 24, size: int = 48) -> Path:
    """``count`` synthetic 48x48 cells covering every label combination, and their labels CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    rows = ["filename;" + ";".join(CLASSES)]
    for i in range(count):
        crack, inactive = i % 2, (i // 2) % 2
        pixels = rng.integers(60, 200, (size, size), dtype=np.uint8)
        if crack:
            pixels[:, size // 2 : size // 2 + 3] = 20
        if inactive:
            pixels[: size // 3] = 10
        Image.fromarray(pixels).save(folder / f"cell{i:02d}.png")
        rows.append(f"cell{i:02d}.png;{crack};{inactive}")
    labels = folder / "labels.csv"
    labels.write_text("\n".join(rows) + "\n")
    return labels


@pytest.fixture(scope="session")
def cells(tmp_path_factory) -> Path:
    """The labels CSV of the synthetic cells (images beside it)."""
    return write_cells(tmp_path_factory.mktemp("cells"))


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, cells):
    """A run folder trained for two steps of simple_cnn at 32 px, with its model.zip exported."""
    from rich.console import Console

    from pvdefects.export.savedmodel import export_model
    from pvdefects.layout import RunFolder
    from pvdefects.training.config import TrainConfig
    from pvdefects.training.trainer import train

    config = TrainConfig(
        labels=str(cells),
        model="simple_cnn",
        input_size=32,
        epochs=1,
        batch_size=8,
        steps_per_epoch=2,
        val_fraction=0.25,
    )
    run = RunFolder(tmp_path_factory.mktemp("runs") / "tiny")
    train(config, run, verbose=0, console=Console(quiet=True))
    export_model(run.root)
    return run


@pytest.fixture(scope="session")
def unzipped(tiny_run, tmp_path_factory):
    """The exported zip, unpacked in a fresh folder with plain zipfile, as a server would."""
    folder = tmp_path_factory.mktemp("unzipped")
    with zipfile.ZipFile(tiny_run.export) as handle:
        handle.extractall(folder)
    return folder
