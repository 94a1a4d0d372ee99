"""Check a submitted ``model.zip`` before anything is unpacked, then unpack it into a private folder.

A zip can lie in many ways: members named ``../../etc/cron.d/x``, ``..\\..\\x`` or ``/root/.ssh/...``,
symbolic links, gigabytes of zeros compressed into kilobytes (a "zip bomb"), thousands of members, or
sizes in the header that the data does not keep to. Every member is checked against
:class:`ArchiveLimits` from the central directory first, and the bytes written are counted again
while unpacking, so neither the header nor the data can exceed the limits. Zips made on Windows
name members with backslashes; every check runs on the names with those read as separators
(:func:`pvdefects.paths.portable`).
"""

from __future__ import annotations

import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from pvdefects.paths import portable
from pvdefects.security.rejected import Rejected

MODEL_FILE = "saved_model.pb"
# works the same on Windows, macOS and Linux: the zip holds the folder, one level down
HOW_TO_ZIP = "zip the exported SavedModel folder, e.g. python -m zipfile -c model.zip model_folder"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ArchiveLimits:
    """Upper bounds for one submission. Our largest export (resnet34) is about 85 MB."""

    max_members: int = 1000
    max_member_bytes: int = 1 << 30  # uncompressed
    max_total_bytes: int = 1 << 30  # uncompressed, all members together


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's path with Windows separators read as separators; folders end with ``/``."""
    return portable(info.filename)


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    """Why a member may not be unpacked, or None."""
    name = member_name(info)
    if not name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "has an absolute path"
    if any(ord(character) < 32 for character in name):
        return "has control characters in its name"
    if any(part in ("", ".", "..") for part in name.rstrip("/").split("/")):
        return "has a '..', '.' or empty path component"
    file_type = stat.S_IFMT(info.external_attr >> 16)
    if file_type == stat.S_IFLNK:
        return "is a symbolic link"
    if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "is not a regular file or folder"
    if info.flag_bits & 0x1:
        return "is encrypted"
    return None


def _model_prefix(files: list[str], archive_name: str) -> str:
    """Where ``saved_model.pb`` sits: ``""`` (the zip's root) or ``"folder/"`` (one level down)."""
    if MODEL_FILE in files:
        return ""
    nested = [name for name in files if name.count("/") == 1 and name.endswith("/" + MODEL_FILE)]
    if len(nested) > 1:
        raise Rejected(
            f"{archive_name}: several folders hold a {MODEL_FILE} ({', '.join(sorted(nested))}); submit one "
            "model"
        )
    if not nested:
        raise Rejected(
            f"{archive_name}: no {MODEL_FILE} at the root of the zip (nor one folder down); {HOW_TO_ZIP}"
        )
    return nested[0][: -len(MODEL_FILE)]


def check_archive(archive: zipfile.ZipFile, archive_name: str, limits: ArchiveLimits) -> str:
    """Check every member from the central directory; return the model's folder prefix inside the zip."""
    infos = archive.infolist()
    if not infos:
        raise Rejected(f"{archive_name}: the zip is empty; {HOW_TO_ZIP}")
    if len(infos) > limits.max_members:
        raise Rejected(
            f"{archive_name}: {len(infos)} members, more than the {limits.max_members} allowed; {HOW_TO_ZIP}"
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        problem = _member_problem(info)
        if problem:
            raise Rejected(
                f"{archive_name}: member {info.filename!r} {problem}; rebuild the zip from plain files only "
                f"({HOW_TO_ZIP})"
            )
        key = member_name(info).rstrip("/")
        if key in seen:
            raise Rejected(f"{archive_name}: member {key!r} appears twice; rebuild the zip")
        seen.add(key)
        if info.file_size > limits.max_member_bytes:
            raise Rejected(
                f"{archive_name}: member {info.filename!r} unpacks to {info.file_size:,} bytes, more than "
                f"the {limits.max_member_bytes:,} allowed per file"
            )
        total += info.file_size
    if total > limits.max_total_bytes:
        raise Rejected(
            f"{archive_name}: the members unpack to {total:,} bytes, more than the "
            f"{limits.max_total_bytes:,} allowed; submit only the SavedModel"
        )
    files = [name for name in map(member_name, infos) if not name.endswith("/")]
    file_set = set(files)
    for key in seen:
        parents = ("/".join(key.split("/")[:depth]) for depth in range(1, key.count("/") + 1))
        if not file_set.isdisjoint(parents):
            raise Rejected(
                f"{archive_name}: member {key!r} lies inside a member that is a file; rebuild the zip"
            )
    return _model_prefix(files, archive_name)


def _copy_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, destination: Path, archive_name: str
) -> int:
    """Unpack one member, refusing to write more bytes than its header declared; return the count."""
    written = 0
    with archive.open(info) as source, open(destination, "xb") as target:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > info.file_size:
                raise Rejected(
                    f"{archive_name}: member {info.filename!r} holds more data than its header declares"
                )
            target.write(chunk)
    return written


DEFAULT_LIMITS = ArchiveLimits()


def unpack_submission(zip_path: str | Path, destination: Path, limits: ArchiveLimits | None = None) -> Path:
    """Check ``zip_path`` and unpack its SavedModel into ``destination`` (which must not exist yet).

    ``limits`` defaults to :data:`DEFAULT_LIMITS` (read at call time).
    Returns the model folder. Only members under the model's folder are unpacked. Raises
    :class:`Rejected` for anything the checks refuse; a half-unpacked folder is removed.
    """
    zip_path = Path(zip_path)
    limits = limits or DEFAULT_LIMITS
    name = zip_path.name
    if not zip_path.is_file():
        raise Rejected(f"{zip_path}: submission not found")
    try:
        with zipfile.ZipFile(zip_path) as archive:
            prefix = check_archive(archive, name, limits)
            destination.mkdir(mode=0o700)
            try:
                for info in archive.infolist():
                    member = member_name(info)
                    if member.startswith(prefix) and not member.endswith("/"):
                        target = destination / member[len(prefix) :]
                        target.parent.mkdir(parents=True, exist_ok=True)
                        _copy_member(archive, info, target, name)
            except BaseException:
                shutil.rmtree(destination, ignore_errors=True)
                raise
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as error:
        raise Rejected(f"{name}: not a readable zip archive ({error}); {HOW_TO_ZIP}") from None
    return destination
