"""Zip a folder, and unpack an untrusted zip without letting it write outside its target folder.

Submissions are zips from strangers: a member named ``../x`` or ``/etc/x``, a symbolic link, or a
few kilobytes that inflate to gigabytes must be refused before anything is written. Every member is
checked first, then the archive is unpacked. ``zipfile`` never reads more than a member's declared
size, so checking the declared sizes bounds what is written.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

from pvdefects.errors import UserError

MAX_UNPACKED_BYTES = 2 * 1024**3  # a ResNet-34 SavedModel is under 100 MB
MAX_MEMBERS = 10_000


def zip_folder(folder: str | Path, zip_path: str | Path) -> Path:
    """Write every file under ``folder`` into ``zip_path``, named relative to ``folder``."""
    folder, zip_path = Path(folder), Path(zip_path)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return zip_path


def unsafe_reason(member: zipfile.ZipInfo) -> str | None:
    """Why ``member`` must not be unpacked, or None when it is a plain file or folder inside the target."""
    name = member.filename
    if name.startswith(("/", "\\")) or PureWindowsPath(name).drive:
        return "has an absolute path"
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        return "points outside the archive's folder ('..')"
    if stat.S_ISLNK(member.external_attr >> 16):
        return "is a symbolic link"
    return None


def check_members(archive: zipfile.ZipFile, label: str, max_bytes: int) -> None:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise UserError(f"{label}: {len(members)} members; at most {MAX_MEMBERS} are accepted")
    for member in members:
        reason = unsafe_reason(member)
        if reason:
            raise UserError(f"{label}: member {member.filename!r} {reason}; refusing to unpack")
    total = sum(member.file_size for member in members)
    if total > max_bytes:
        raise UserError(f"{label}: unpacks to {total:,} bytes, over the limit of {max_bytes:,}")


def safe_extract(zip_path: str | Path, target: str | Path, max_bytes: int | None = None) -> Path:
    """Unpack ``zip_path`` into the folder ``target`` after checking every member; returns ``target``.

    ``max_bytes`` defaults to :data:`MAX_UNPACKED_BYTES` (read at call time, so tests can lower it).
    """
    zip_path, target = Path(zip_path), Path(target)
    limit = MAX_UNPACKED_BYTES if max_bytes is None else max_bytes
    try:
        with zipfile.ZipFile(zip_path) as archive:
            check_members(archive, str(zip_path), limit)
            archive.extractall(target)
    except FileNotFoundError:
        raise UserError(f"{zip_path}: file not found") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as error:
        raise UserError(f"{zip_path}: not a readable zip file ({error})") from None
    return target
