"""How every training story ends: the ``model.zip`` export and the report on screen.

``train`` (one model, validated on its split) and ``crossval`` (the fold models' ensemble,
validated out of fold) end the same way, through :func:`conclude`: their models are exported as
one checked SavedModel submission, a run's HTML report is written (:mod:`pvdefects.explain.report`;
a cross-validation has no single run to report on), then their table and a line saying where
everything is are printed. Folds and trials train without concluding: their cross-validation or
study concludes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import keras
from rich.console import Console
from rich.table import Table

from pvdefects.explain.report import write_report
from pvdefects.export.savedmodel import export_classifier
from pvdefects.layout import RunFolder
from pvdefects.models.saving import ModelMetadata


def conclude(
    models: Sequence[keras.Model],
    metadata: ModelMetadata,
    export: Path,
    table: Table,
    summary: str,
    console: Console,
    tta: bool = False,
    report_run: RunFolder | None = None,
) -> Path:
    """Export ``models`` (one, or an ensemble averaged with ``tta`` over the 8 dihedral views) with
    ``metadata`` to ``export``, write ``report_run``'s ``report.html`` if given, then print ``table``
    and ``summary``; returns the zip's path."""
    export_classifier(list(models), metadata, export, tta=tta)
    if report_run is not None:
        summary += f"\nreport: {write_report(report_run)}"
    console.print(table)
    console.print(summary, highlight=False)
    return export
