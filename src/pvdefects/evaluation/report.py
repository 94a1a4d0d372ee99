"""The per-class metric table that ``train`` and ``evaluate`` print."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

COLUMNS = ("precision", "recall", "specificity", "f1", "accuracy", "support", "tp", "fp", "tn", "fn")
HEADERS = ("prec", "recall", "spec", "F1", "acc", "pos", "TP", "FP", "TN", "FN")  # short: fits 80 columns


def metrics_table(metrics: dict, title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("class")
    for header in HEADERS:
        table.add_column(header, justify="right")
    for name, values in metrics["classes"].items():
        table.add_row(
            name, *(f"{values[c]:.3f}" if isinstance(values[c], float) else str(values[c]) for c in COLUMNS)
        )
    table.add_section()
    table.add_row("mean", "", "", "", f"{metrics['mean_f1']:.3f}")
    return table


def print_metrics(metrics: dict, title: str | None = None, console: Console | None = None) -> None:
    (console or Console()).print(metrics_table(metrics, title))
