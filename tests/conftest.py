"""Shared fixtures: a tiny synthetic labelled data set, so tests need neither ELPV nor the shared labels.

A "crack" is a dark diagonal line and "inactive" a dark rectangle on a noisy bright cell: easy enough
for a small network to pick up within a few steps.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

SHARED_LABELS = Path(__file__).resolve().parents[2] / "shared" / "data" / "solar-cells" / "labels.csv"


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


@pytest.fixture
def labels_csv(tmp_path: Path) -> Path:
    """A 40-cell synthetic data set on disk; returns its labels CSV."""
    return write_dataset(tmp_path / "cells")


@pytest.fixture
def shared_labels() -> Path:
    if not SHARED_LABELS.exists():
        pytest.skip(f"shared labels absent: {SHARED_LABELS} (../shared/data/solar-cells/labels.csv)")
    return SHARED_LABELS


def write_untrained_run(folder: Path, n: int, size: int, thresholds=(0.5, 0.4)):
    """A run folder ``folder/run`` as ``pvdefects train`` leaves it for ``report`` and ``explain``,
    made without training, for ``n`` synthetic cells in ``folder/cells`` (:func:`write_dataset`): an
    untrained simple_cnn (32 px) as model.keras, config.json, a two-epoch history and, as the
    validation predictions of every cell, seeded random scores, so that both classes have false
    positives and false negatives at ``thresholds``."""
    import keras

    from pvdefects.data.predictions import write_predictions
    from pvdefects.data.sources import open_labels
    from pvdefects.layout import RunFolder
    from pvdefects.models import create_model
    from pvdefects.models.saving import ModelMetadata, save_classifier
    from pvdefects.training.config import TrainConfig

    labels_csv = write_dataset(folder / "cells", n=n, size=size)
    run = RunFolder(folder / "run")
    run.create()
    TrainConfig(labels=str(labels_csv), model="simple_cnn", input_size=32).save(run.config)
    run.history.write_text(
        "epoch,loss,val_loss,val_f1_crack,val_mean_f1\n0,0.9,0.8,0.4,0.3\n1,0.7,0.75,0.5,0.4\n"
    )
    table, _ = open_labels(labels_csv)
    scores = np.random.default_rng(0).uniform(0, 1, table.labels.shape)
    write_predictions(run.predictions, table.filenames, table.class_names, table.labels, scores)
    keras.utils.set_random_seed(0)
    model = create_model("simple_cnn", len(table.class_names), input_size=32)
    save_classifier(model, ModelMetadata(table.class_names, list(thresholds), "simple_cnn", 32), run.model)
    return run


@pytest.fixture(scope="session")
def untrained_run():
    """:func:`write_untrained_run`, for tests of reports and heatmaps that need no trained model."""
    return write_untrained_run


@pytest.fixture
def pvdefects_cli(monkeypatch, capsys):
    """``pvdefects_cli(*args)`` runs ``pvdefects ARGS...`` in this process: (exit status, stdout, stderr)."""
    from pvdefects.cli.main import main

    def run(*args) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["pvdefects", *map(str, args)])
        with pytest.raises(SystemExit) as exit_info:
            main()
        captured = capsys.readouterr()
        return exit_info.value.code or 0, captured.out, captured.err

    return run


@pytest.fixture(autouse=True, scope="session")
def pretrained_cache(tmp_path_factory) -> Path:
    """Converted pretrained weights (pvdefects.models.pretrained) go to a folder of this session,
    never to the user's ~/.cache."""
    folder = tmp_path_factory.mktemp("pvdefects-cache")
    os.environ["PVDEFECTS_CACHE"] = str(folder)
    return folder
