"""One spelling per idea across the commands: the parameters several commands share.

A model (a run folder, a ``.keras`` file, a SavedModel folder or a ``model.zip``) is the
positional ``MODEL``; a file a command writes is ``--out``; ``--json`` prints the result as JSON on
stdout instead of a table, for scripts. Each command's help ends with an example.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated

import typer

Model = Annotated[
    Path,
    typer.Argument(
        help="A run folder, a .keras file, a SavedModel folder or a model.zip.",
        metavar="MODEL",
        show_default=False,
    ),
]
Labels = Annotated[
    str | None, typer.Option(help="Labels CSV to score against. Default: the built-in ELPV cells.")
]
ImagesRoot = Annotated[
    Path | None, typer.Option(help="Folder the CSV's filenames are relative to. Default: the CSV's folder.")
]
Precision = Annotated[
    str,
    typer.Option(
        help="auto, float32 or bfloat16 (float32 weights, float32 in and out): what a run folder's or "
        ".keras file's model computes in (a SavedModel keeps the one it was exported in). auto: bfloat16 "
        "where the CPU has AVX-512 BF16 or AMX or the GPU is Ampere or later, else float32."
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout instead of a table.")]


def help_text(command) -> str:
    """``command``'s docstring for ``--help``: Rich keeps each line break and wraps every line again
    at the terminal's width, so a paragraph's lines are joined here; indented lines (the
    examples) stay as written."""
    paragraphs = inspect.cleandoc(command.__doc__ or "").split("\n\n")
    return "\n\n".join(
        paragraph if paragraph.startswith(" ") else " ".join(paragraph.split()) for paragraph in paragraphs
    )
