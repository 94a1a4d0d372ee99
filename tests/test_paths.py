"""Paths written on Windows: backslashes are separators wherever an input names a file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pvdefects.data.images import elpv_data_root, resolve_image_path
from pvdefects.data.sources import open_labels
from pvdefects.paths import portable


def test_portable_reads_backslashes_as_separators():
    assert portable("images\\cell0001.png") == "images/cell0001.png"
    assert portable("..\\..\\x") == "../../x"
    assert portable("images/cell0001.png") == "images/cell0001.png"


def test_a_csv_filename_written_on_windows_finds_its_image(tmp_path):
    (tmp_path / "images" / "good").mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "images" / "good" / "cell.png")
    expected = tmp_path / "images" / "good" / "cell.png"
    assert resolve_image_path("images\\good\\cell.png", tmp_path) == expected
    assert resolve_image_path("images/good\\cell.png", tmp_path) == expected


def test_the_shared_labels_windows_style_find_the_elpv_images(tmp_path):
    if elpv_data_root() is None:
        pytest.skip("the elpv-dataset package is not installed")
    assert (
        resolve_image_path("images\\cell0001.png", tmp_path) == elpv_data_root() / "images" / "cell0001.png"
    )


def test_labels_and_image_folder_given_windows_style_are_found(tmp_path, monkeypatch):
    """Paths from a config file written on Windows (``labels = 'data\\\\labels.csv'``)."""
    (tmp_path / "data" / "cells").mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "data" / "cells" / "cell.png")
    (tmp_path / "data" / "labels.csv").write_text("filename;crack\ncell.png;1\n")
    monkeypatch.chdir(tmp_path)
    table, root = open_labels("data\\labels.csv", "data\\cells")
    assert table.filenames == ["cell.png"] and root == Path("data/cells")
    assert resolve_image_path(table.filenames[0], root).is_file()
