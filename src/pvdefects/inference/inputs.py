"""Which images ``pvdefects predict`` scores: files named on the command line, a folder, or a CSV.

Each image gets the name it will carry in the predictions CSV: the path as typed, the file name in
the folder, or the CSV's ``filename`` value.
"""

from __future__ import annotations

from pathlib import Path

from pvdefects.data.images import resolve_image_path
from pvdefects.data.labels import read_rows
from pvdefects.errors import UserError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def read_filename_column(path: Path) -> list[str]:
    """The first column of a ``;``-separated CSV headed ``filename`` (a labels CSV qualifies)."""
    rows = [row for row in read_rows(path, "CSV") if row[0]]
    if not rows or rows[0][0] != "filename":
        raise UserError(f"{path}: the first column must be headed 'filename' (';'-separated)")
    return [row[0] for row in rows[1:]]


# Files that operating systems leave in folders: macOS's AppleDouble twins ("._cell0001.png") and
# .DS_Store, Windows' thumbnail caches and folder settings. Any name starting with "." is hidden.
SYSTEM_FILES = frozenset({"thumbs.db", "ehthumbs.db", "desktop.ini", "icon\r"})


def is_hidden_or_system(path: Path) -> bool:
    """True for dot-files (AppleDouble ``._*`` twins, ``.DS_Store``) and Windows' system files."""
    return path.name.startswith(".") or path.name.lower() in SYSTEM_FILES


def folder_images(folder: Path) -> list[tuple[str, Path]]:
    """The image files directly in ``folder`` (by suffix), sorted, without hidden and system files."""
    if not folder.is_dir():
        raise UserError(f"{folder}: folder not found")
    paths = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not is_hidden_or_system(p)
    )
    return [(path.name, path) for path in paths]


def named_files(files: list[Path]) -> list[tuple[str, Path]]:
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise UserError(
            f"{missing[0]}: image not found" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
        )
    return [(str(path), path) for path in files]


def images_to_predict(
    files: list[Path] | None = None,
    folder: Path | None = None,
    csv_file: Path | None = None,
    images_root: Path | None = None,
) -> list[tuple[str, Path]]:
    """``(name, path)`` of every image to score, from exactly one of the three sources."""
    if sum(map(bool, (files, folder, csv_file))) != 1:
        raise UserError(
            "give the images to score in exactly one way: as arguments, with --dir, or with --csv"
        )
    if files:
        entries = named_files(files)
    elif folder:
        entries = folder_images(folder)
    else:
        root = images_root or csv_file.parent
        entries = [(name, resolve_image_path(name, root)) for name in read_filename_column(csv_file)]
    if not entries:
        raise UserError(f"{folder or csv_file}: no images to score ({', '.join(IMAGE_SUFFIXES)})")
    return entries
