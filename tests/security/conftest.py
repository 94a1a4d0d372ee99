"""Fixtures for the untrusted-scoring tests: zipped submissions, a tiny labelled set, a private tmp."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from submissions import CLASS_NAMES, save_function

IMAGE_SIZE = 48
CELLS = 8


@pytest.fixture
def build(tmp_path) -> Callable[..., Path]:
    """``build(body, **options)``: a zipped SavedModel whose serving signature runs ``body``."""
    counter = iter(range(1000))

    def _build(body: Callable, **options) -> Path:
        return save_function(body, tmp_path / f"model{next(counter)}", **options)

    return _build


@pytest.fixture
def unpacked(tmp_path) -> Callable[[Path], Path]:
    """``unpacked(zip)``: the zip's SavedModel folder, unpacked by the archive checks."""
    from pvdefects.security.archive import unpack_submission

    counter = iter(range(1000))
    return lambda zip_path: unpack_submission(zip_path, tmp_path / f"unpacked{next(counter)}")


@pytest.fixture(scope="session")
def cells(tmp_path_factory) -> Path:
    """A labels CSV with CELLS random 48x48 PNGs beside it; returns the CSV."""
    folder = tmp_path_factory.mktemp("cells")
    rng = np.random.default_rng(0)
    lines = ["filename;" + ";".join(CLASS_NAMES)]
    for i in range(CELLS):
        Image.fromarray(rng.integers(0, 256, (IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)).save(
            folder / f"cell{i}.png"
        )
        lines.append(f"cell{i}.png;{i % 2};{(i // 2) % 2}")
    (folder / "labels.csv").write_text("\n".join(lines) + "\n")
    return folder / "labels.csv"


@pytest.fixture
def images() -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, (3, IMAGE_SIZE, IMAGE_SIZE, 1), dtype=np.uint8)


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """Make ``tempfile`` use a folder of our own, to check that scoring leaves nothing behind."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def needs_bubblewrap() -> None:
    from pvdefects.security.sandbox import bubblewrap

    if bubblewrap() is None:
        pytest.skip("bubblewrap is not installed (apt-get install bubblewrap)")


@pytest.fixture
def work(tmp_path) -> Path:
    """An empty private folder for one sandbox run."""
    folder = tmp_path / "work"
    folder.mkdir(mode=0o700)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
