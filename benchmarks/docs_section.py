"""Keep each benchmark's results in its own marked section of ``docs/benchmarks.md``."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

BENCHMARKS_MD = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
# The page holds only generated sections; what was learnt from the runs, written by hand, goes to a
# dated file of docs/notes/, which this header points to.
TITLE = (
    "# Benchmarks\n\nEach section is written by the script it names; rerun the script to refresh it. Notes "
    "written by hand about these runs (how they were run, what they showed, earlier runs) are in the dated "
    "files of [docs/notes](notes/), e.g. [2026-11-29](notes/2026-11-29-benchmarks.md).\n"
)
SECTION = re.compile(r"<!-- begin (\S+) -->.*?<!-- end \1 -->", re.S)


def sections(text: str) -> list[str]:
    """The generated sections of a page, markers included, in order."""
    return [match.group(0) for match in SECTION.finditer(text)]


def write_section(name: str, markdown: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace (or append) the section between ``<!-- begin NAME -->`` and ``<!-- end NAME -->``."""
    text = path.read_text() if path.exists() else TITLE
    block = f"<!-- begin {name} -->\n{markdown.strip()}\n<!-- end {name} -->"
    pattern = re.compile(rf"<!-- begin {re.escape(name)} -->.*?<!-- end {re.escape(name)} -->", re.S)
    text = (
        pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def publish(name: str, build: Callable[[], str], path: Path = BENCHMARKS_MD) -> None:
    """Print the section that ``build`` returns and write it as section ``name``; a
    :class:`~pvdefects.errors.UserError` from ``build`` (a run folder missing or unfinished, say)
    exits with its one-line message and writes nothing."""
    from pvdefects.errors import UserError

    try:
        markdown = build()
    except UserError as error:
        sys.exit(f"error: {error}")
    print(markdown)
    write_section(name, markdown, path)
