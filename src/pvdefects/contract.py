"""The ``model.zip`` submission contract, in one place (docs/submission-format.md describes it).

A submission is a zipped TensorFlow SavedModel whose ``serving_default`` signature maps raw
pixels to 0/1 decisions. Servers find the tensors by these names, so they never change. The
exporter (:mod:`pvdefects.export.savedmodel`) writes it from the constants below; the reader
behind ``predict`` and ``evaluate`` (:mod:`pvdefects.inference.savedmodel`), the untrusted scorer
(:mod:`pvdefects.security.graph_check`, :mod:`pvdefects.security.score`) and its sandboxed runner
check it with :func:`signature_problem`. Each describes the signature it found as
:class:`Tensor` values, so that one rule serves a loaded TensorFlow function and a protobuf that
is never loaded. This module imports nothing heavy: the sandboxed runner uses it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SIGNATURE = "serving_default"
INPUT = "x"  # float32 [batch, height, width, 1], grayscale 0-255 as read from the PNG
DECISIONS = "y"  # float32 [batch, classes], exactly 0 or 1: scores >= the per-class thresholds
SCORES = "scores"  # float32 [batch, classes], sigmoid probabilities
OUTPUTS = (DECISIONS, SCORES)
DTYPE = "float32"  # of the input and of both outputs (TensorFlow's dtype name)
INPUT_SHAPE = (None, None, None, 1)  # None: any size
METADATA_ASSET = "metadata.json"  # the asset's file name: class names, thresholds, architecture
METADATA_PATH = "assets/" + METADATA_ASSET  # where it lies in the SavedModel folder (and the zip)

WANTED_INPUT = f"exactly one input '{INPUT}' ({DTYPE} [batch, height, width, 1], pixels 0-255)"
WANTED_OUTPUTS = {
    DECISIONS: f"'{DECISIONS}' ({DTYPE} 0/1 decisions [batch, classes])",
    SCORES: f"'{SCORES}' ({DTYPE} sigmoid scores [batch, classes])",
}


@dataclass(frozen=True)
class Tensor:
    """One tensor of a signature, as the contract sees it."""

    dtype: str  # TensorFlow's dtype name, e.g. "float32"
    shape: tuple[int | None, ...] | None = None  # None: unknown rank; None within it: any size


def signature_problem(
    inputs: Mapping[str, Tensor], outputs: Mapping[str, Tensor], needed: tuple[str, ...] = OUTPUTS
) -> str | None:
    """Why a ``serving_default`` signature breaks the contract, in one line for its author, or None.

    The input must be exactly ``x``, float32, of rank 4 with one channel (or of unknown rank, which
    accepts that too); each of the ``needed`` outputs must be there and float32. Scoring reads only
    ``y``, so the untrusted scorer needs only that; ``predict`` writes the scores as well.
    """
    if set(inputs) != {INPUT}:
        return f"the {SIGNATURE} signature takes {sorted(inputs)}; it must take {WANTED_INPUT}"
    x = inputs[INPUT]
    if x.dtype != DTYPE or (x.shape is not None and (len(x.shape) != 4 or x.shape[-1] not in (None, 1))):
        shape = "unknown" if x.shape is None else list(x.shape)
        return f"the {SIGNATURE} input '{INPUT}' is {x.dtype} of shape {shape}; it must be {WANTED_INPUT}"
    if any(name not in outputs or outputs[name].dtype != DTYPE for name in needed):
        found = ", ".join(f"'{name}' ({tensor.dtype})" for name, tensor in sorted(outputs.items()))
        wanted = " and ".join(WANTED_OUTPUTS[name] for name in needed)
        return f"the {SIGNATURE} signature returns {found or 'nothing'}; it must return {wanted}"
    return None
