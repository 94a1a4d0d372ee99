"""``pvdefects score``: score an untrusted ``model.zip`` against labels that stay outside its sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pvdefects.atomic import write_json


def score(
    untrusted: Annotated[
        Path, typer.Option("--untrusted", help="A submitted model.zip (SavedModel; see docs/security.md).")
    ],
    labels: Annotated[str, typer.Option(help="Labels CSV to score against; it never enters the sandbox.")],
    images_root: Annotated[
        Path | None, typer.Option(help="Folder the CSV's filenames are relative to.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the metrics (or the rejection) here.")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Wall-clock limit for the model's run, in seconds.")] = 900.0,
    trust: Annotated[
        bool, typer.Option("--i-trust-this-model", help="Run without a sandbox where bubblewrap is missing.")
    ] = False,
) -> None:
    """Check, sandbox and score an untrusted model; print the same per-class table as evaluate."""
    from pvdefects.evaluation.report import print_metrics
    from pvdefects.security.rejected import Rejected
    from pvdefects.security.sandbox import SandboxLimits, bubblewrap
    from pvdefects.security.score import score_untrusted

    sandboxed = bubblewrap() is not None
    if trust and not sandboxed:
        typer.secho(
            "warning: bubblewrap is not installed: running the model WITHOUT a sandbox "
            "(--i-trust-this-model)",
            err=True,
            fg="yellow",
        )
    report = {"model": str(untrusted), "labels": labels, "sandboxed": sandboxed}
    try:
        metrics = score_untrusted(
            untrusted, labels, images_root, sandbox_limits=SandboxLimits(wall_seconds=timeout), trust=trust
        )
    except Rejected as rejection:
        if json_out:
            write_json(json_out, {**report, "rejected": str(rejection)})
        raise
    print_metrics(metrics, f"{untrusted.name} ({'sandboxed' if sandboxed else 'NOT sandboxed'}) on {labels}")
    if json_out:
        write_json(json_out, {**report, **metrics})
