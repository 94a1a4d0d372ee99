"""Score an untrusted ``model.zip``: the routine behind ``pvdefects score`` and the scoring server.

The layers, in order: archive checks and unpacking into a private temporary folder
(``archive.py``), the static graph check (``graph_check.py``), the class names of the model's
``metadata.json`` asset, the sandboxed run (``sandbox.py``) that returns decisions only, and
the parent's checks of those decisions. Labels never leave this process. Every refusal is a
:class:`~pvdefects.security.rejected.Rejected` with one readable line, and the temporary folder
is removed whatever happens.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from pvdefects.contract import DECISIONS, METADATA_PATH, SCORES
from pvdefects.data.sources import load_dataset
from pvdefects.evaluation.metrics import multilabel_metrics
from pvdefects.security.archive import ArchiveLimits, unpack_submission
from pvdefects.security.graph_check import check_saved_model
from pvdefects.security.rejected import Rejected
from pvdefects.security.sandbox import SandboxLimits, SandboxUnavailable, bubblewrap, run_model

_MAX_METADATA_BYTES = 1 << 20


def check_class_names(model_dir: Path, class_names: list[str], source: str) -> None:
    """Where the model carries ``assets/metadata.json``, its class names must be the labels' (in order)."""
    path = model_dir / METADATA_PATH
    if not path.is_file():
        return
    if path.stat().st_size > _MAX_METADATA_BYTES:
        raise Rejected(f"{source}: {METADATA_PATH} is larger than {_MAX_METADATA_BYTES:,} bytes")
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise Rejected(f"{source}: {METADATA_PATH} is not valid JSON ({error})") from None
    names = metadata.get("class_names") if isinstance(metadata, dict) else None
    if names is not None and names != class_names:
        raise Rejected(
            f"{source}: the model's classes {names} differ from the labels' {class_names}; export it with "
            "the same classes in the same order"
        )


def check_decisions(decisions: np.ndarray, count: int, class_names: list[str], source: str) -> np.ndarray:
    """The decisions as uint8 ``[count, C]`` if they are exactly 0 or 1, else :class:`Rejected`."""
    expected = (count, len(class_names))
    if decisions.shape != expected or not np.issubdtype(decisions.dtype, np.number):
        raise Rejected(
            f"{source}: the model's output '{DECISIONS}' is {decisions.dtype} of shape {decisions.shape}; "
            f"expected shape {expected}: one 0/1 decision per image and class ({', '.join(class_names)})"
        )
    if not np.all(np.isfinite(decisions)):
        raise Rejected(
            f"{source}: the model's output '{DECISIONS}' contains NaN or infinite values; it must hold 0/1 "
            "decisions"
        )
    if not np.all((decisions == 0) | (decisions == 1)):
        odd = decisions[(decisions != 0) & (decisions != 1)].flat[0]
        raise Rejected(
            f"{source}: the model's output '{DECISIONS}' holds values other than 0 and 1 (e.g. {odd:g}); "
            f"'{DECISIONS}' must be the thresholded decisions (sigmoid scores belong in '{SCORES}')"
        )
    return decisions.astype(np.uint8)


def predict_untrusted(
    zip_path: str | Path,
    images: np.ndarray,
    class_names: list[str],
    archive_limits: ArchiveLimits = ArchiveLimits(),
    sandbox_limits: SandboxLimits = SandboxLimits(),
    trust: bool = False,
) -> np.ndarray:
    """0/1 decisions ``[N, C]`` of the submitted model for ``images`` (uint8 ``[N, H, W, 1]``).

    Without bubblewrap, runs the model unsandboxed only when ``trust`` is True. No images give
    ``[0, C]`` after the archive and static checks, without running the model.
    """
    source = Path(zip_path).name
    sandboxed = bubblewrap() is not None
    if not sandboxed and not trust:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so untrusted models cannot be sandboxed: install it "
            "(apt-get install bubblewrap), or pass --i-trust-this-model to run a model you trust without a "
            "sandbox"
        )
    with tempfile.TemporaryDirectory(prefix="pvdefects-score-") as work:
        model_dir = unpack_submission(zip_path, Path(work) / "model", archive_limits)
        check_saved_model(model_dir, source)
        check_class_names(model_dir, class_names, source)
        if not len(images):  # empty in, empty out, without starting a sandbox for nothing
            return np.zeros((0, len(class_names)), np.uint8)
        try:
            decisions = run_model(model_dir, images, Path(work), sandbox_limits, sandboxed=sandboxed)
        except Rejected as rejection:
            raise Rejected(f"{source}: {rejection}") from None
    return check_decisions(decisions, len(images), class_names, source)


def score_untrusted(
    zip_path: str | Path, labels_csv: str | Path, images_root: str | Path | None = None, **options
) -> dict:
    """Per-class metrics of the submitted model on a labels CSV (the same as ``evaluate`` computes).

    ``options`` go to :func:`predict_untrusted` (limits, ``trust``).
    """
    data = load_dataset(labels_csv, images_root)
    decisions = predict_untrusted(zip_path, data.images, data.class_names, **options)
    return multilabel_metrics(data.labels, decisions, data.class_names)
