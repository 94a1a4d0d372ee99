"""Installing a test set: the labels CSV is checked (every image decodes) and copied into the data folder.

Label files live in ``<data>/testsets/<slug>/`` (never served); the images stay where the organiser
keeps them and are found through ``images_root`` (default: the CSV's folder), as ``pvdefects
evaluate`` finds them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings

from pvdefects.data.sources import load_dataset
from pvdefects.errors import UserError


def install_test_set(
    slug: str, kind: str, labels_csv: str | Path, images_root: str | Path | None
) -> tuple[str, str]:
    """Check and copy a labels CSV as ``<kind>-labels.csv``; returns (stored labels path, images root)."""
    labels_csv = Path(labels_csv)
    if not labels_csv.is_file():
        raise UserError(f"{labels_csv}: labels file not found")
    root = Path(images_root) if images_root is not None else labels_csv.parent
    test_set = load_dataset(labels_csv, root)  # raises UserError naming the file and row
    if len(test_set) == 0:
        raise UserError(f"{labels_csv}: the labels file lists no images")
    for name, positives in zip(test_set.class_names, test_set.labels.sum(axis=0)):
        if positives == 0:  # its F1 could be undefined (evaluation.metrics): no fair ranking
            raise UserError(f"{labels_csv}: no cell is labelled {name}; a test set needs some of every class")
    folder = Path(settings.TESTSETS_DIR) / slug
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / f"{kind}-labels.csv"
    shutil.copyfile(labels_csv, target)
    return str(target), str(root.resolve())
