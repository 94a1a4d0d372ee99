"""The ``model.zip`` submission contract, in one place: what a scored model is (docs/submission-format.md).

A submission is a zipped TensorFlow SavedModel whose ``serving_default`` signature maps raw
pixels to 0/1 decisions. Servers find the tensors by these names, so they never change. The
exporter writes it, the reader (``pvdefects predict``/``evaluate``) and the untrusted scorer
(``pvdefects score`` and the server) check it, all from the constants below. This module imports
nothing heavy: the sandboxed runner uses it too.
"""

from __future__ import annotations

SIGNATURE = "serving_default"
INPUT = "x"  # float32 [batch, height, width, 1], grayscale 0-255 as read from the PNG
DECISIONS = "y"  # float32 [batch, classes], exactly 0 or 1: scores >= the per-class thresholds
SCORES = "scores"  # float32 [batch, classes], sigmoid probabilities
OUTPUTS = (DECISIONS, SCORES)
DTYPE = "float32"  # of the input and of both outputs (TensorFlow's dtype name)
INPUT_SHAPE = (None, None, None, 1)  # None: any size
METADATA_ASSET = "metadata.json"  # the asset's file name: class names, thresholds, architecture
METADATA_PATH = "assets/" + METADATA_ASSET  # where it lies in the SavedModel folder (and the zip)
