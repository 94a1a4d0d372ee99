"""Where a labelled data set comes from: a labels CSV, or the built-in ELPV cells.

The built-in source ``elpv`` is every one of the 2,624 cells in the ``elpv-dataset`` package with
one label, ``defective`` = ELPV's defect probability >= 0.5. It needs nothing but the package, so
``pvdefects train`` runs on a fresh machine. The crack/inactive task uses a labels CSV instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pvdefects.data.images import elpv_data_root, load_images, resize_images
from pvdefects.data.labels import LabelTable, read_labels_csv
from pvdefects.errors import UserError
from pvdefects.paths import portable

BUILTIN_ELPV = "elpv"


@dataclass(frozen=True)
class Dataset:
    """Labels and the decoded images they refer to (``images[i]`` belongs to ``table.filenames[i]``)."""

    table: LabelTable
    images: np.ndarray  # [N, H, W, 1] uint8

    def __len__(self) -> int:
        return len(self.table)

    @property
    def class_names(self) -> list[str]:
        return self.table.class_names

    @property
    def labels(self) -> np.ndarray:
        return self.table.labels

    def subset(self, indices: np.ndarray) -> Dataset:
        return Dataset(self.table.subset(indices), self.images[indices])

    def resized(self, size: int) -> Dataset:
        """The same cells at ``size`` x ``size`` (itself when already so); exact when the images were
        loaded at their native size or at ``size``."""
        images = resize_images(self.images, size)
        return self if images is self.images else Dataset(self.table, images)


def elpv_label_table() -> LabelTable:
    """ELPV's own annotation as a one-class table (``defective`` = probability >= 0.5)."""
    root = elpv_data_root()
    if root is None:
        raise UserError("the built-in 'elpv' source needs the elpv-dataset package: pip install elpv-dataset")
    rows = [line.split() for line in (root / "labels.csv").read_text().splitlines() if line.strip()]
    filenames = [row[0] for row in rows]
    labels = np.array([[float(row[1]) >= 0.5] for row in rows], dtype=np.uint8)
    return LabelTable(filenames, labels, ["defective"])


def open_labels(
    labels: str | Path | None = None, images_root: str | Path | None = None
) -> tuple[LabelTable, Path]:
    """The label table and the folder its filenames are relative to: a labels CSV (images relative
    to ``images_root`` or the CSV's folder) or, with ``labels`` None or ``"elpv"``, the built-in
    ELPV cells. Both paths may use Windows separators (a config file written there, say)."""
    if labels is None or str(labels) == BUILTIN_ELPV:
        return elpv_label_table(), elpv_data_root()
    labels = Path(portable(str(labels)))
    root = labels.parent if images_root is None else Path(portable(str(images_root)))
    return read_labels_csv(labels), root


def load_dataset(
    labels: str | Path | None = None, images_root: str | Path | None = None, size: int | None = None
) -> Dataset:
    """The labelled cells of :func:`open_labels`, decoded once; with ``size``, each cell resized on its
    own to ``size`` x ``size`` as the model's resize layer would (:func:`load_images`)."""
    table, root = open_labels(labels, images_root)
    return Dataset(table, load_images(table.filenames, root, size))


def load_split(
    table: LabelTable, images_root: Path, size: int, train_rows: np.ndarray, val_rows: np.ndarray
) -> tuple[Dataset, Dataset]:
    """The training and validation cells of ``table``, each resized on its own to ``size``, decoded
    into one array in that order: both data sets are views of it, so the cells are held once
    (subsets of a loaded :class:`Dataset` would be a second copy)."""
    order = np.concatenate([train_rows, val_rows])
    images = load_images([table.filenames[i] for i in order], images_root, size)
    return (
        Dataset(table.subset(train_rows), images[: len(train_rows)]),
        Dataset(table.subset(val_rows), images[len(train_rows) :]),
    )
