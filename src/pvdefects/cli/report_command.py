"""``pvdefects report``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pvdefects.errors import UserError


def report(
    run: Annotated[
        Path, typer.Argument(help="A run folder (pvdefects train).", metavar="RUN", show_default=False)
    ],
    labels: Annotated[
        str | None,
        typer.Option(help="Report on this labels CSV's cells. Default: the run's validation cells."),
    ] = None,
    images_root: Annotated[
        Path | None,
        typer.Option(
            help="Folder the cells' filenames are relative to. Default: the --labels CSV's folder, or for "
            "the run's validation cells its config's (needed where train ran elsewhere).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="The HTML file to write. Default: RUN/report.html.", show_default=False),
    ] = None,
    gallery: Annotated[
        int, typer.Option(min=0, help="Worst false positives and false negatives shown per class.")
    ] = 8,
) -> None:
    """Write one self-contained HTML page about a run: the resolved config, loss and F1 curves,
    per-class metrics at the tuned thresholds and at 0.5, confusion counts, precision-recall curves
    with the operating point, F1 against the threshold, and a gallery of the worst false positives
    and false negatives per class with their Grad-CAM heatmaps and scores.

    Plots and cells are inlined: the page loads nothing else and opens offline. `pvdefects train`
    writes it into every run folder.

    Examples:

        pvdefects report runs/resnet18-20260101-120000
        pvdefects report runs/resnet18-20260101-120000 --labels test/labels.csv --out test-report.html
    """
    from rich.console import Console

    from pvdefects.explain.report import write_report
    from pvdefects.layout import RunFolder

    if out is not None and not out.parent.is_dir():
        raise UserError(f"{out.parent}: folder not found (for --out)")
    with Console(stderr=True).status("scoring the cells, plotting, Grad-CAM of the worst errors ..."):
        written = write_report(RunFolder(run), labels, images_root, out, gallery)
    typer.echo(f"wrote {written}")
