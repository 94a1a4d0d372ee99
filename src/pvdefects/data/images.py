"""Decode cell images once into one in-memory uint8 array ``[N, H, W, 1]``.

Images are looked up under an image root; where a file is missing there and the ``elpv-dataset``
package is installed, its ``data/`` folder is tried too (the shared labels file relies on this).
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from pvdefects.errors import UserError
from pvdefects.paths import portable


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


def read_grayscale(path: Path) -> np.ndarray:
    """Read one image as a 2-D uint8 array; colour images are converted with a warning."""
    try:
        with Image.open(path) as image:
            image.load()
            if image.mode in ("RGB", "RGBA", "P", "LA", "CMYK", "YCbCr"):
                warnings.warn(f"{path}: {image.mode} image converted to grayscale", stacklevel=2)
                image = image.convert("L")
            elif image.mode in ("I;16", "I;16B", "I", "F"):
                raise UserError(f"{path}: {image.mode} image; expected 8-bit grayscale")
            elif image.mode == "1":
                image = image.convert("L")
            pixels = np.asarray(image)
    except UserError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise UserError(f"{path}: unreadable or corrupt image ({error})") from None
    if pixels.ndim != 2:
        raise UserError(f"{path}: expected a single-channel 2-D image, got shape {pixels.shape}")
    return pixels.astype(np.uint8, copy=False)


def load_images(filenames: list[str], images_root: str | Path, workers: int = 4) -> np.ndarray:
    """Decode every image once; returns ``[N, H, W, 1]`` uint8.

    Images of another size than the first are resized to it (with a warning), so that the whole set
    fits one array; the model resizes to its own input size anyway.
    """
    root = Path(images_root)
    paths = [resolve_image_path(name, root) for name in filenames]
    with ThreadPoolExecutor(workers) as pool:
        images = list(pool.map(read_grayscale, paths))
    height, width = images[0].shape
    for i, (path, image) in enumerate(zip(paths, images)):
        if image.shape != (height, width):
            warnings.warn(f"{path}: size {image.shape} resized to {(height, width)}", stacklevel=2)
            images[i] = np.asarray(Image.fromarray(image).resize((width, height), Image.BILINEAR))
    return np.stack(images)[..., np.newaxis]
