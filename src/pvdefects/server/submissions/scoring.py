"""Scoring a stored zip on a test set, in the worker and outside the sandbox.

The labels are read here and never enter the sandbox: the sandboxed run sees the images only and
returns 0/1 decisions (``pvdefects.security``); the metrics are computed from them here.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings

from pvdefects.data.sources import Dataset, load_dataset
from pvdefects.evaluation.metrics import multilabel_metrics
from pvdefects.security.archive import ArchiveLimits
from pvdefects.security.sandbox import SandboxLimits
from pvdefects.security.score import predict_untrusted


def sandbox_limits() -> SandboxLimits:
    return SandboxLimits(
        wall_seconds=settings.SANDBOX_WALL_SECONDS, memory_bytes=settings.SANDBOX_MEMORY_BYTES
    )


@lru_cache(maxsize=4)
def _cached_dataset(labels: str, images_root: str, modified_ns: int) -> Dataset:
    return load_dataset(labels, images_root or None)


def load_test_set(labels: str, images_root: str) -> Dataset:
    """The labelled test set, decoded once per worker process (again if the labels file changes)."""
    return _cached_dataset(labels, images_root, Path(labels).stat().st_mtime_ns)


def decisions_of(zip_path: Path, test_set: Dataset) -> np.ndarray:
    """The model's 0/1 decisions ``[N, C]``; raises Rejected (its fault) or anything else (ours)."""
    if not zip_path.is_file():
        raise FileNotFoundError(f"stored upload {zip_path} is missing")
    return predict_untrusted(
        zip_path, test_set.images, test_set.class_names, ArchiveLimits(), sandbox_limits()
    )


def metrics_of(zip_path: Path, labels: str, images_root: str) -> dict:
    """Per-class metrics and mean F1 of the zip on a test set (``multilabel_metrics``)."""
    test_set = load_test_set(labels, images_root)
    return multilabel_metrics(test_set.labels, decisions_of(zip_path, test_set), test_set.class_names)
