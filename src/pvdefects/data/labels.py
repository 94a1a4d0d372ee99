"""Read the course's labels CSV: ``filename;<class>;<class>...`` with 0/1 labels.

Every problem is reported as a :class:`UserError` that names the file and the row, so the CLI can
print one line and stop before anything is written.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pvdefects.errors import UserError


@dataclass(frozen=True)
class LabelTable:
    """Filenames, their 0/1 labels (``[N, C]`` uint8) and the class names from the header."""

    filenames: list[str]
    labels: np.ndarray
    class_names: list[str]

    def __len__(self) -> int:
        return len(self.filenames)

    def subset(self, indices: np.ndarray) -> LabelTable:
        return LabelTable([self.filenames[i] for i in indices], self.labels[indices], self.class_names)


def read_rows(path: Path, what: str = "labels file") -> list[list[str]]:
    """The non-blank rows of a ``;``-separated file, cells stripped; a missing or unreadable file is a
    UserError."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"{path}: {what} not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot read {what} ({error})") from None
    rows = csv.reader(text.splitlines(), delimiter=";")
    return [[cell.strip() for cell in row] for row in rows if any(cell.strip() for cell in row)]


def read_labels_csv(path: str | Path) -> LabelTable:
    """Parse a ``;``-separated labels file; class names come from the header."""
    path = Path(path)
    rows = read_rows(path)
    if not rows:
        raise UserError(f"{path}: the labels file is empty; expected a header 'filename;<class>;...'")
    header = rows[0]
    if len(header) < 2 or header[0] != "filename" or not all(header[1:]):
        raise UserError(
            f"{path}, row 1: header must be 'filename;<class>;<class>...' (';'-separated), got "
            f"{';'.join(header)!r}"
        )
    if len(set(header[1:])) != len(header) - 1:
        raise UserError(f"{path}, row 1: class names repeat in the header {';'.join(header)!r}")
    if len(rows) == 1:
        raise UserError(f"{path}: the labels file has a header but no rows")

    filenames: list[str] = []
    labels: list[list[int]] = []
    first_row_of: dict[str, int] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if len(cells) != len(header):
            raise UserError(
                f"{path}, row {number}: expected {len(header)} ';'-separated fields, got {len(cells)}"
            )
        name, values = cells[0], cells[1:]
        if not name:
            raise UserError(f"{path}, row {number}: empty filename")
        if name in first_row_of:
            raise UserError(
                f"{path}, row {number}: duplicate filename {name!r} (first on row {first_row_of[name]})"
            )
        for class_name, value in zip(header[1:], values):
            if value not in ("0", "1"):
                raise UserError(f"{path}, row {number}: label {class_name!r} must be 0 or 1, got {value!r}")
        first_row_of[name] = number
        filenames.append(name)
        labels.append([int(v) for v in values])
    return LabelTable(filenames, np.asarray(labels, dtype=np.uint8), header[1:])
