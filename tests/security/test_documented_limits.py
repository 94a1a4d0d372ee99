"""Each documented limit has one source, the code: the docs quote the code's values (test fails on drift)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pvdefects.export.savedmodel import CHECK_TOLERANCE
from pvdefects.security.archive import ArchiveLimits
from pvdefects.security.sandbox import SandboxLimits

DOCS = Path(__file__).resolve().parents[2] / "docs"
GIB, MIB = 1 << 30, 1 << 20
ARCHIVE, SANDBOX = ArchiveLimits(), SandboxLimits()


def number(text: str) -> float:
    return float(text.replace(",", ""))


def quoted(page: str, pattern: str) -> list[tuple[float, ...]]:
    """Every match of ``pattern`` (whitespace matching any line break) in docs/``page``, as numbers."""
    text = (DOCS / page).read_text()
    found = re.findall(pattern.replace(" ", r"\s+"), text)
    assert found, f"docs/{page} no longer says {pattern!r}: update this test with the new wording"
    return [
        tuple(number(group) for group in ([match] if isinstance(match, str) else match)) for match in found
    ]


@pytest.mark.parametrize(
    "page, pattern, values",
    [
        (
            "security.md",
            r"at most ([\d,]+) members, at most ([\d,]+) GiB uncompressed per member and in total",
            (ARCHIVE.max_members, ARCHIVE.max_member_bytes / GIB),
        ),
        (
            "security.md",
            r"at most ([\d,]+) members, at most ([\d,]+) GiB uncompressed per member and in total",
            (ARCHIVE.max_members, ARCHIVE.max_total_bytes / GIB),
        ),
        (
            "submission-format.md",
            r"\(([\d,]+) members, ([\d,]+) GiB unpacked\)",
            (ARCHIVE.max_members, ARCHIVE.max_total_bytes / GIB),
        ),
        (
            "security.md",
            r"address space ([\d,]+) GiB, CPU time ([\d,]+) s, file size ([\d,]+) MiB, no core dumps, and "
            r"\(as nobody\) ([\d,]+) processes",
            (SANDBOX.memory_bytes / GIB, SANDBOX.cpu_seconds, SANDBOX.file_bytes / MIB, SANDBOX.processes),
        ),
        ("security.md", r"wall-clock limit \(([\d,]+) s", (SANDBOX.wall_seconds,)),
        ("security.md", r"a ([\d,]+) MiB tmpfs", (SANDBOX.tmp_bytes / MIB,)),
        ("server.md", r"`PVDEFECTS_SANDBOX_WALL_SECONDS` \| ([\d,]+) \|", (SANDBOX.wall_seconds,)),
        ("server.md", r"`PVDEFECTS_SANDBOX_MEMORY_BYTES` \| ([\d,]+) GiB \|", (SANDBOX.memory_bytes / GIB,)),
        ("submission-format.md", r"largest difference at most ([\d.e-]+)\)", (CHECK_TOLERANCE,)),
    ],
)
def test_the_docs_quote_the_codes_limits(page, pattern, values):
    for match in quoted(page, pattern):
        assert match == pytest.approx(values), f"docs/{page}: {pattern!r} says {match}, the code {values}"


@pytest.mark.parametrize("page", ["security.md", "submission-format.md"])
def test_no_other_member_count_or_archive_size_is_stated(page):
    """A limit stated in other words (the old '10,000 members', '2 GiB') is drift too."""
    text = (DOCS / page).read_text()
    for count in re.findall(r"([\d,]+)\s+members", text):
        assert number(count) == ARCHIVE.max_members, f"docs/{page} states {count} members"
