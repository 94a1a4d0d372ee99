"""``pvdefects export``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pvdefects.cli.arguments import Precision


def export(
    model: Annotated[
        Path, typer.Argument(help="A run folder or a .keras model file.", metavar="MODEL", show_default=False)
    ],
    out: Annotated[
        Path | None,
        typer.Option(help="The zip to write. Default: model.zip beside model.keras.", show_default=False),
    ] = None,
    precision: Precision = "auto",
) -> None:
    """Write MODEL as a SavedModel submission zip (input x: raw pixels; outputs y: 0/1 decisions,
    scores: probabilities; see docs/submission-format.md), checked by reloading it.

    Examples:

        pvdefects export runs/resnet18-20260101-120000 --out submission/model.zip
        pvdefects export runs/resnet18-20260101-120000 --precision float32
    """
    from pvdefects.export.savedmodel import export_model

    path = export_model(model, out, precision)
    typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB), reloaded and checked")
