"""A heatmap drawn over its cell, as people read Grad-CAM: the cell in gray, the map in colour."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
from PIL import Image

COLOURMAP = "jet"  # blue (nothing) to red (the regions that raise the score most), as in the paper
ALPHA = 0.45  # the heatmap's share of each pixel's colour; the cell stays readable underneath


def overlay(cell: np.ndarray, heatmap: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """RGB uint8 ``[H, W, 3]``: ``cell`` (``[H, W]`` or ``[H, W, 1]``, 0-255) blended with
    ``heatmap`` (``[H, W]`` in [0, 1]) coloured by :data:`COLOURMAP`."""
    gray = np.clip(np.asarray(cell, np.float32).reshape(heatmap.shape), 0, 255) / 255.0
    coloured = matplotlib.colormaps[COLOURMAP](np.clip(heatmap, 0, 1))[..., :3]
    blended = (1 - alpha) * gray[..., np.newaxis] + alpha * coloured
    return np.round(blended * 255).astype(np.uint8)


def png_bytes(pixels: np.ndarray, max_side: int | None = None) -> bytes:
    """``pixels`` (``[H, W]`` gray or ``[H, W, 3]`` RGB, uint8 or 0-255 float) as PNG bytes,
    shrunk to at most ``max_side`` pixels on its longer side."""
    image = Image.fromarray(np.clip(np.squeeze(pixels), 0, 255).astype(np.uint8))
    if max_side and max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
