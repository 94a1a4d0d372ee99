"""Paths written on Windows: backslashes are separators wherever an input names a file."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pvdefects.data.images import elpv_data_root, resolve_image_path
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
