"""Content-addressed storage of uploaded zips: ``<data>/uploads/<sha256[:2]>/<sha256>.zip``.

The same bytes are stored once, a stored file is never rewritten, and its name is its checksum, so
the finalisation manifest can prove which bytes were ranked.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings


def upload_path(sha256: str) -> Path:
    return Path(settings.UPLOADS_DIR) / sha256[:2] / f"{sha256}.zip"


def store(chunks: Iterable[bytes]) -> tuple[str, int]:
    """Write ``chunks`` to storage; returns (sha256 hex, size in bytes). Atomic: whole or not at all."""
    root = Path(settings.UPLOADS_DIR)
    root.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    descriptor, temporary = tempfile.mkstemp(dir=root, prefix=".incoming-")
    try:
        with os.fdopen(descriptor, "wb") as file:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                file.write(chunk)
            file.flush()
            os.fsync(file.fileno())
        target = upload_path(digest.hexdigest())
        target.parent.mkdir(exist_ok=True)
        os.chmod(temporary, 0o640)
        os.replace(temporary, target)  # the same bytes under the same name: replacing changes nothing
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return digest.hexdigest(), size


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
