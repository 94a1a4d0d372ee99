"""Read cell images as the models take them: grayscale, 0-255, each cell on its own.

One reader serves ``train``, ``evaluate``, ``predict`` and ``score``:

- 8-bit grayscale files (PNG, TIFF, JPEG, BMP) are used as they are;
- 16-bit grayscale PNG and TIFF (EL cameras often store 12- or 14-bit data in them) are scaled to
  0-255 floats by the smallest of 8, 10, 12, 14 or 16 bits that holds the image's brightest pixel
  (:func:`scale_to_8_bit_range`);
- colour, palette and RGBA files are converted to grayscale, reported in one line per command
  (:class:`ColourConversions`);
- 32-bit float images and anything else stop with one line naming the file.

For training, :func:`load_images` resizes every cell on its own to the model's input size with the
resize the model itself applies (antialiased bilinear, as ``keras.layers.Resizing(antialias=True)``;
Pillow's float resize matches it to within 0.003 grey levels), so the in-model resize is then
exact identity and memory follows the input size, not the source resolution. Images are looked up
under an image root; where a file is missing there and the ``elpv-dataset`` package is installed,
its ``data/`` folder is tried too (the shared labels file relies on this).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from pvdefects.errors import InputWarning, UserError
from pvdefects.paths import portable

COLOUR_MODES = ("RGB", "RGBA", "RGBa", "RGBX", "P", "PA", "LA", "La", "CMYK", "YCbCr")  # Pillow converts to L
DEEP_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")  # 16-bit containers ("I": 32-bit, values checked)
CONTAINER_BITS = (8, 10, 12, 14, 16)


def elpv_data_root() -> Path | None:
    """The ``data/`` folder of the installed ``elpv-dataset`` package, or None."""
    try:
        import elpv_dataset
    except ImportError:
        return None
    return Path(elpv_dataset.__file__).parent / "data"


def resolve_image_path(filename: str, images_root: Path) -> Path:
    """Find ``filename`` under ``images_root``, falling back to the ELPV package's images.

    Windows separators count as separators (``images\\cell0001.png``, from a CSV made there).
    """
    relative = portable(filename)
    candidate = images_root / relative
    if candidate.is_file():
        return candidate
    elpv_root = elpv_data_root()
    if elpv_root is not None and (elpv_root / relative).is_file():
        return elpv_root / relative
    raise UserError(f"{candidate}: image not found (nor in the elpv-dataset package)")


class ColourConversions:
    """The colour, palette and RGBA files a command converted to grayscale, reported in one line
    (:meth:`report`) rather than one warning per file."""

    def __init__(self) -> None:
        self.paths: list[Path] = []
        self.modes: dict[str, int] = {}

    def add(self, path: Path, mode: str) -> None:
        self.paths.append(path)
        self.modes[mode] = self.modes.get(mode, 0) + 1

    def summary(self) -> str | None:
        if not self.paths:
            return None
        modes = ", ".join(f"{mode} {count}" for mode, count in sorted(self.modes.items()))
        count = len(self.paths)
        return (
            f"{count} colour, palette or RGBA image{'s' if count > 1 else ''} converted to grayscale "
            f"({modes}; first: {self.paths[0]})"
        )

    def report(self) -> None:
        """Warn once (:class:`InputWarning`) if anything was converted."""
        if line := self.summary():
            warnings.warn(line, InputWarning, stacklevel=2)


def scale_to_8_bit_range(pixels: np.ndarray) -> np.ndarray:
    """16-bit container pixels as float32 0-255: divided by ``(2**bits - 1) / 255`` where ``bits`` is
    the smallest of 8, 10, 12, 14 and 16 that holds the brightest pixel (a 12-bit camera's 0-4095
    becomes 0-255 rather than 0-16). The default per-image standardisation makes the scale itself
    irrelevant; it keeps the precision of the data and the 0-255 range that ``--normalization
    scale`` expects."""
    brightest = int(pixels.max()) if pixels.size else 0
    bits = next(bits for bits in CONTAINER_BITS if brightest < 2**bits)
    return pixels.astype(np.float32) * np.float32(255.0 / (2**bits - 1))


def read_grayscale(path: Path, conversions: ColourConversions | None = None) -> np.ndarray:
    """One image as a 2-D array of 0-255 values: uint8 for 8-bit files, float32 for 16-bit ones.

    Colour images are converted to grayscale and recorded in ``conversions`` (reported at once
    when None). Raises :class:`UserError` naming the file if it is unreadable or of another kind.
    """
    try:
        with Image.open(path) as image:
            image.load()
            mode = image.mode
            if mode in COLOUR_MODES:
                image = image.convert("L")
                if conversions is None:
                    conversions = ColourConversions()
                    conversions.add(path, mode)
                    conversions.report()
                else:
                    conversions.add(path, mode)
            elif mode == "1":
                image = image.convert("L")
            pixels = np.asarray(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise UserError(f"{path}: unreadable or corrupt image ({error})") from None
    if pixels.ndim != 2:
        raise UserError(f"{path}: expected a single-channel 2-D image, got shape {pixels.shape}")
    if mode == "L" or mode == "1" or mode in COLOUR_MODES:
        return pixels.astype(np.uint8, copy=False)
    if mode in DEEP_MODES and (pixels.size == 0 or (pixels.min() >= 0 and pixels.max() < 2**16)):
        return scale_to_8_bit_range(pixels)
    raise UserError(f"{path}: {mode} image; expected 8- or 16-bit grayscale (or colour, converted)")


def read_in_batches(
    paths: Sequence[Path],
    batch_size: int,
    conversions: ColourConversions,
    unreadable: list[str] | None = None,
) -> Iterator[tuple[range, list[list[tuple[int, np.ndarray]]]]]:
    """The files ``batch_size`` at a time, each read with :func:`read_grayscale` at its own size:
    per batch, its positions in ``paths`` and its images grouped by size (``[(position, pixels),
    ...]`` per size, in order), so that each group reaches a model as one array (:func:`as_batch`).
    An unreadable file raises :class:`UserError`, or, where an ``unreadable`` list is given, is left
    out and its message appended to that list."""
    for start in range(0, len(paths), batch_size):
        positions = range(start, min(start + batch_size, len(paths)))
        by_shape: dict[tuple[int, ...], list[tuple[int, np.ndarray]]] = {}
        for index in positions:
            try:
                pixels = read_grayscale(paths[index], conversions)
            except UserError as error:
                if unreadable is None:
                    raise
                unreadable.append(str(error))
                continue
            by_shape.setdefault(pixels.shape, []).append((index, pixels))
        yield positions, list(by_shape.values())


def as_batch(group: list[tuple[int, np.ndarray]]) -> np.ndarray:
    """A group of same-size images of :func:`read_in_batches` as float32 ``[n, H, W, 1]``, 0-255."""
    return np.stack([pixels.astype(np.float32) for _, pixels in group])[..., np.newaxis]


def resize_cell(pixels: np.ndarray, size: int) -> np.ndarray:
    """``pixels`` (2-D, 0-255) resized to ``size`` x ``size`` float32 the way the model's resize layer
    does it (antialiased bilinear, half-pixel centres); a cell already of that size is returned as
    it is, since the layer leaves it unchanged too."""
    if pixels.shape == (size, size):
        return pixels
    image = Image.fromarray(pixels.astype(np.float32, copy=False), mode="F")
    return np.asarray(image.resize((size, size), Image.Resampling.BILINEAR))


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """0-255 values rounded to uint8 (the one in-memory copy of a data set)."""
    if pixels.dtype == np.uint8:
        return pixels
    return np.clip(np.rint(pixels), 0, 255).astype(np.uint8)


def load_images(
    filenames: Sequence[str], images_root: str | Path, size: int | None = None, workers: int = 4
) -> np.ndarray:
    """Decode every image once into one uint8 array ``[N, H, W, 1]``.

    With ``size``, each cell is resized on its own to ``size`` x ``size`` (:func:`resize_cell`) as it
    is read, so only one decoded source image per worker is in memory at a time and the result does
    not depend on the other rows. Without ``size`` every cell must have the same size (else a
    :class:`UserError` names two that differ). Colour conversions are reported in one line.
    """
    root = Path(images_root)
    paths = [resolve_image_path(name, root) for name in filenames]
    conversions = ColourConversions()
    if size is None:
        with ThreadPoolExecutor(workers) as pool:
            cells = list(pool.map(lambda path: to_uint8(read_grayscale(path, conversions)), paths))
        for path, cell in zip(paths, cells):
            if cell.shape != cells[0].shape:
                raise UserError(
                    f"{path}: {cell.shape[0]}x{cell.shape[1]} px, but {paths[0]} is "
                    f"{cells[0].shape[0]}x{cells[0].shape[1]}; this command needs cells of one size"
                )
        images = np.stack(cells)[..., np.newaxis] if cells else np.zeros((0, 0, 0, 1), np.uint8)
    else:
        images = np.empty((len(paths), size, size, 1), np.uint8)

        def read_into(index: int) -> None:
            images[index, :, :, 0] = to_uint8(resize_cell(read_grayscale(paths[index], conversions), size))

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(read_into, range(len(paths))))
    conversions.report()
    return images


def resize_images(images: np.ndarray, size: int) -> np.ndarray:
    """uint8 ``[N, H, W, 1]`` with each cell resized to ``size`` x ``size`` (:func:`resize_cell`);
    the array itself when it is already that size."""
    if images.shape[1:3] == (size, size):
        return images
    resized = np.empty((len(images), size, size, 1), np.uint8)
    for index, cell in enumerate(images):
        resized[index, :, :, 0] = to_uint8(resize_cell(cell[:, :, 0], size))
    return resized
