"""The per-class metric table that ``train`` and ``evaluate`` print."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from pvdefects.evaluation.metrics import undefined_f1_note

COLUMNS = ("precision", "recall", "specificity", "f1", "accuracy", "support", "tp", "fp", "tn", "fn")
HEADERS = ("prec", "recall", "spec", "F1", "acc", "pos", "TP", "FP", "TN", "FN")  # short: fits 80 columns


def cell(value) -> str:
    """A table cell: ratios to 3 decimals, counts as they are, undefined (None) as ``n/a``."""
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def metrics_table(metrics: dict, title: str | None = None) -> Table:
    """One row per class and the mean F1; where a class's F1 is undefined, the caption says so and
    which classes the mean is over (:func:`undefined_f1_note`)."""
    note = undefined_f1_note(metrics)
    caption = f"* {note}" if note else None
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    table.add_column("class")
    for header in HEADERS:
        table.add_column(header, justify="right")
    for name, values in metrics["classes"].items():
        table.add_row(name, *(cell(values[c]) for c in COLUMNS))
    table.add_section()
    table.add_row("mean" if note is None else "mean*", "", "", "", cell(metrics["mean_f1"]))
    return table


def print_metrics(metrics: dict, title: str | None = None, console: Console | None = None) -> None:
    (console or Console()).print(metrics_table(metrics, title))
