"""Write files whole or not at all: readers (a running TensorBoard, a second machine of a study, the
server) never see half a file, and a failed or interrupted write leaves none behind.

Each file is written beside its target under a temporary name, then renamed onto it; a rename
within one folder is atomic (POSIX ``rename``, :func:`os.replace`). Several files for one folder
(:func:`filling`) are written into a temporary folder beside it and moved in once all are written.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: str | Path, suffix: str = "") -> Iterator[Path]:
    """A temporary path beside ``path`` to write to: renamed onto ``path`` when the block finishes,
    removed when it raises. ``suffix`` ends the temporary name, for writers that choose their
    format by it (Keras wants ``.keras``, Matplotlib ``.png``)."""
    path = Path(path)
    partial = path.with_name(f"{path.name}.partial{suffix}")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def filling(folder: str | Path) -> Iterator[Path]:
    """A temporary folder beside ``folder`` to write files into: when the block finishes, each file
    is moved into ``folder`` (created if need be, replacing a file of the same name); when it
    raises, none is, and ``folder`` stays as it was."""
    folder = Path(folder)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{folder.name}.partial-") as scratch:
        yield Path(scratch)
        folder.mkdir(exist_ok=True)
        for written in Path(scratch).iterdir():
            os.replace(written, folder / written.name)


def write_text(path: str | Path, text: str) -> Path:
    with replacing(path) as partial:
        partial.write_text(text)
    return Path(path)


def write_json(path: str | Path, data) -> Path:
    """``data`` as indented JSON with a final newline."""
    return write_text(path, json.dumps(data, indent=2) + "\n")
