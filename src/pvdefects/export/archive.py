"""Write a SavedModel folder as a submission zip.

Reading a zip back is the untrusted direction and lives in :mod:`pvdefects.security.archive`,
which checks every member before anything is unpacked.
"""

from __future__ import annotations

import zipfile
from pathlib import Path


def zip_folder(folder: str | Path, zip_path: str | Path) -> Path:
    """Write every file under ``folder`` into ``zip_path``, named relative to ``folder``."""
    folder, zip_path = Path(folder), Path(zip_path)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return zip_path
