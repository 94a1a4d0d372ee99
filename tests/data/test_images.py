import warnings

import numpy as np
import pytest
from PIL import Image

from pvdefects.data.images import elpv_data_root, load_images, read_grayscale, resize_cell, resize_images
from pvdefects.errors import InputWarning, UserError


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


def test_colour_palette_and_rgba_files_reported_in_one_line(tmp_path):
    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[..., 0] = 255  # pure red: grayscale 76 (ITU-R 601-2 luma)
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    Image.fromarray(np.dstack([rgb, np.full((8, 8), 255, np.uint8)])).save(tmp_path / "rgba.png")
    Image.fromarray(rgb).convert("P").save(tmp_path / "palette.png")
    Image.fromarray(np.full((8, 8), 9, np.uint8)).save(tmp_path / "gray.png")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        images = load_images(["rgb.png", "rgba.png", "palette.png", "gray.png"], tmp_path)
    lines = [str(w.message) for w in caught if issubclass(w.category, InputWarning)]
    assert len(lines) == 1, lines
    assert lines[0].startswith("3 colour, palette or RGBA images converted to grayscale (P 1, RGB 1, RGBA 1;")
    np.testing.assert_array_equal(images[:, 0, 0, 0], [76, 76, 76, 9])


@pytest.mark.parametrize(
    ("suffix", "brightest", "bits"),
    [(".png", 4095, 12), (".tif", 4095, 12), (".png", 16383, 14), (".tif", 65535, 16), (".png", 200, 8)],
)
def test_sixteen_bit_files_scaled_to_0_255_by_their_bit_depth(tmp_path, suffix, brightest, bits):
    pixels = np.array([[0, brightest // 2], [brightest, 1]], np.uint16)
    Image.fromarray(pixels).save(tmp_path / f"deep{suffix}")
    read = read_grayscale(tmp_path / f"deep{suffix}")
    assert read.dtype == np.float32
    np.testing.assert_allclose(read, pixels.astype(float) * 255 / (2**bits - 1), rtol=1e-6)


def test_big_endian_sixteen_bit_tiff(tmp_path):
    pixels = np.array([[0, 1000], [4095, 2048]], ">u2")
    Image.fromarray(pixels).save(tmp_path / "be.tif")
    np.testing.assert_allclose(
        read_grayscale(tmp_path / "be.tif"), pixels.astype(float) * 255 / 4095, rtol=1e-6
    )


def test_sixteen_bit_cells_load_rounded_into_the_uint8_array(tmp_path):
    Image.fromarray(np.array([[0, 2048], [4095, 1024]], np.uint16)).save(tmp_path / "deep.png")
    images = load_images(["deep.png"], tmp_path)
    np.testing.assert_array_equal(images[0, :, :, 0], [[0, 128], [255, 64]])


def test_float_images_refused_with_one_line(tmp_path):
    Image.fromarray(np.zeros((4, 4), np.float32)).save(tmp_path / "float.tif")
    with pytest.raises(UserError, match=r"float.tif: F image; expected 8- or 16-bit grayscale"):
        read_grayscale(tmp_path / "float.tif")


def write_cells(folder, sizes, seed=0):
    rng = np.random.default_rng(seed)
    names = []
    for i, size in enumerate(sizes):
        names.append(f"{i}.png")
        Image.fromarray(rng.integers(0, 256, (size, size), dtype=np.uint8)).save(folder / names[-1])
    return names


def test_each_cell_is_resized_on_its_own_whatever_the_row_order(tmp_path):
    names = write_cells(tmp_path, [32, 48, 48, 64])  # a 32 px cell first no longer shrinks the others
    images = load_images(names, tmp_path, size=48)
    assert images.shape == (4, 48, 48, 1)
    for i in (1, 2):  # cells of the input size are kept exactly
        np.testing.assert_array_equal(images[i, :, :, 0], np.asarray(Image.open(tmp_path / names[i])))
    order = [3, 1, 0, 2]
    np.testing.assert_array_equal(load_images([names[i] for i in order], tmp_path, size=48), images[order])


def test_load_time_resize_matches_the_models_resize_layer(tmp_path):
    import keras

    names = write_cells(tmp_path, [32, 100])
    layer = keras.layers.Resizing(48, 48, antialias=True)
    loaded = load_images(names, tmp_path, size=48).astype(np.float32)
    for name, cell in zip(names, loaded):
        pixels = np.asarray(Image.open(tmp_path / name), np.float32)[np.newaxis, :, :, np.newaxis]
        in_model = np.asarray(layer(pixels))[0]
        assert np.abs(cell - in_model).max() <= 0.5 + 1e-2  # uint8 rounding only
        assert np.abs(resize_cell(pixels[0, :, :, 0], 48) - in_model[:, :, 0]).max() < 0.01


def test_resize_images_from_native_equals_loading_at_that_size(tmp_path):
    names = write_cells(tmp_path, [64, 64, 64])
    native = load_images(names, tmp_path)
    np.testing.assert_array_equal(resize_images(native, 40), load_images(names, tmp_path, size=40))
    assert resize_images(native, 64) is native


def test_cells_of_different_sizes_need_a_target_size(tmp_path):
    names = write_cells(tmp_path, [48, 32])
    with pytest.raises(UserError, match=r"1.png: 32x32 px, but .*0.png is 48x48"):
        load_images(names, tmp_path)


def test_falls_back_to_elpv_package_images(tmp_path):
    if elpv_data_root() is None:
        pytest.skip("elpv-dataset is not installed")
    images = load_images(["images/cell0001.png"], tmp_path)
    assert images.shape == (1, 300, 300, 1)
