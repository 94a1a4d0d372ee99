import numpy as np
import pytest
from PIL import Image

from pvdefects.data.images import elpv_data_root, load_images, read_grayscale
from pvdefects.errors import UserError


def test_loads_uint8_stack(tmp_path):
    for i in range(3):
        Image.fromarray(np.full((20, 30), i * 50, np.uint8)).save(tmp_path / f"{i}.png")
    images = load_images([f"{i}.png" for i in range(3)], tmp_path)
    assert images.shape == (3, 20, 30, 1) and images.dtype == np.uint8
    assert images[2, 0, 0, 0] == 100


def test_missing_image_named(tmp_path):
    with pytest.raises(UserError, match="missing.png: image not found"):
        load_images(["missing.png"], tmp_path)


def test_corrupt_png_named(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(UserError, match="bad.png: unreadable or corrupt image"):
        read_grayscale(tmp_path / "bad.png")


def test_rgb_converted_with_warning(tmp_path):
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "rgb.png")
    with pytest.warns(UserWarning, match="converted to grayscale"):
        assert read_grayscale(tmp_path / "rgb.png").shape == (8, 8)


def test_sixteen_bit_rejected(tmp_path):
    Image.fromarray(np.zeros((8, 8), np.uint16)).save(tmp_path / "deep.png")
    with pytest.raises(UserError, match="expected 8-bit grayscale"):
        read_grayscale(tmp_path / "deep.png")


def test_other_sizes_resized_to_first_with_warning(tmp_path):
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(tmp_path / "b.png")
    with pytest.warns(UserWarning, match="resized"):
        assert load_images(["a.png", "b.png"], tmp_path).shape == (2, 10, 10, 1)


def test_falls_back_to_elpv_package_images(tmp_path):
    if elpv_data_root() is None:
        pytest.skip("elpv-dataset is not installed")
    images = load_images(["images/cell0001.png"], tmp_path)
    assert images.shape == (1, 300, 300, 1)
