"""Paths written on one system and read on another.

Files made on Windows separate folders with backslashes: PowerShell's ``Compress-Archive`` names
zip members ``variables\\variables.index``, and a labels CSV saved there may hold
``images\\cell0001.png``. No name we accept contains a backslash otherwise, so every path read
from an input goes through :func:`portable` first, and every later check (traversal, absolute
paths, sizes, duplicates) sees the normalised name: ``..\\..\\x`` is refused like ``../../x``.
"""

from __future__ import annotations


def portable(name: str) -> str:
    """``name`` with Windows separators read as separators: every ``\\`` becomes ``/``."""
    return name.replace("\\", "/")
