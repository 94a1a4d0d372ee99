"""The per-class metric tables that ``train``, ``evaluate`` and ``crossval`` print."""

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


def with_interval(value: float | None, interval: list) -> str:
    """``0.812 [0.780, 0.840]``; ``n/a`` where the value is undefined (an F1 without positives)."""
    return "n/a" if value is None else f"{value:.3f} [{cell(interval[0])}, {cell(interval[1])}]"


def intervals_table(metrics: dict, intervals: dict, title: str) -> Table:
    """Per-class precision, recall, specificity and F1, each with its bootstrap interval; the mean
    F1's rule under it where some F1 is undefined."""
    columns = ("precision", "recall", "specificity", "f1")
    note = undefined_f1_note(metrics)
    table = Table(title=title, title_justify="left", caption=note and f"* {note}", caption_justify="left")
    for header in ("class", *columns, "pos"):
        table.add_column(header, justify="left" if header == "class" else "right")
    for name, values in metrics["classes"].items():
        cells = [with_interval(values[c], intervals["classes"][name][c]) for c in columns]
        table.add_row(name, *cells, str(values["support"]))
    table.add_section()
    mean = with_interval(metrics["mean_f1"], intervals["mean_f1"])
    table.add_row("mean F1" if note is None else "mean F1*", "", "", "", mean, "")
    return table
