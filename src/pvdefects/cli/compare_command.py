"""``pvdefects compare``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pvdefects.cli.arguments import Json
from pvdefects.errors import UserError


def comparison_table(result: dict) -> Table:
    """F1 of A and B, B - A with its paired interval and the share of bootstrap samples where B wins."""
    table = Table(
        title=f"B - A, {result['repeats']} x {result['folds']}-fold, out of fold on {result['rows']} cells, "
        f"thresholds tuned on the other folds ({result['confidence']:.0%} paired bootstrap intervals)",
        title_justify="left",
        caption=f"A: {result['a']}\nB: {result['b']}",
        caption_justify="left",
    )
    for header in ("F1", "A", "B", "B - A", "interval", "B better"):
        table.add_column(header, justify="left" if header == "F1" else "right")

    def row(name: str, a: float, b: float, difference: float, interval: list, share: float | None) -> None:
        low, high = interval
        table.add_row(
            name, f"{a:.3f}", f"{b:.3f}", f"{difference:+.3f}", f"{low:+.3f} .. {high:+.3f}", f"{share:.0%}"
        )

    for name, values in result["classes"].items():
        row(
            name,
            result["summary_a"]["classes"][name]["f1"],
            result["summary_b"]["classes"][name]["f1"],
            values["f1_difference"],
            values["f1_difference_95ci"],
            values["f1_difference_b_better_share"],
        )
    table.add_section()
    row(
        "mean",
        result["summary_a"]["mean_f1"],
        result["summary_b"]["mean_f1"],
        result["mean_f1_difference"],
        result["mean_f1_difference_95ci"],
        result["mean_f1_difference_b_better_share"],
    )
    return table


def compare(
    a: Annotated[
        Path, typer.Argument(help="A cross-validation folder (pvdefects crossval).", metavar="CV_A")
    ],
    b: Annotated[Path, typer.Argument(help="Another one, trained on the same folds.", metavar="CV_B")],
    bootstrap: Annotated[int, typer.Option(help="Bootstrap resamples of the paired interval.")] = 2000,
    json_output: Json = False,
) -> None:
    """Compare two cross-validations on the same folds: B - A of the out-of-fold mean F1 and
    per-class F1, averaged over the repeats, with a paired bootstrap interval over the cells.

    Both must have been run with the same labels, --folds, split seed (--split-seed, else --seed)
    and --repeats (the same fold assignments); each cell's decisions are at thresholds tuned on the
    other folds. Runs with the same --split-seed and another --seed measure the training's own noise.

    Example:

        pvdefects crossval --model efficientnet_lite0 --repeats 3 --no-pretrained --name scratch
        pvdefects crossval --model efficientnet_lite0 --repeats 3 --pretrained --name pre
        pvdefects compare runs/scratch runs/pre
    """
    from pvdefects.training.comparison import compare_cross_validations

    if bootstrap < 1:
        raise UserError(f"--bootstrap must be at least 1; got {bootstrap}")
    result = compare_cross_validations(a, b, bootstrap)
    if json_output:
        typer.echo(json.dumps(result, indent=2))
    else:
        Console().print(comparison_table(result))
