"""``pvdefects score``: score an untrusted ``model.zip`` against labels that stay outside its sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pvdefects.atomic import write_json
from pvdefects.cli.arguments import ImagesRoot, Json


def score(
    model: Annotated[
        Path,
        typer.Argument(
            help="A submitted model.zip, not trusted (see docs/security.md).",
            metavar="MODEL",
            show_default=False,
        ),
    ],
    labels: Annotated[str, typer.Option(help="Labels CSV to score against; it never enters the sandbox.")],
    images_root: ImagesRoot = None,
    out: Annotated[
        Path | None, typer.Option(help="Also write the metrics (or the rejection) here as JSON.")
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Wall-clock limit for the model's run, in seconds. Default: the sandbox's (security.md).",
            show_default=False,
        ),
    ] = None,
    trust: Annotated[
        bool, typer.Option("--i-trust-this-model", help="Run without a sandbox where bubblewrap is missing.")
    ] = False,
    json_output: Json = False,
) -> None:
    """Check, sandbox and score an untrusted model; print the same per-class table as evaluate.

    A refused model gets one line on stderr and exit status 2 (and, with --out or --json, the
    reason as "rejected" in the JSON).

    Example:

        pvdefects score submissions/team-a/model.zip --labels labels.csv --out team-a.json
    """
    from pvdefects.evaluation.report import print_metrics  # lazy: --help starts without TensorFlow
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
    report = {"model": str(model), "labels": labels, "sandboxed": sandboxed}
    limits = SandboxLimits() if timeout is None else SandboxLimits(wall_seconds=timeout)
    try:
        metrics = score_untrusted(model, labels, images_root, sandbox_limits=limits, trust=trust)
    except Rejected as rejection:
        report["rejected"] = str(rejection)
        if out:
            write_json(out, report)
        if json_output:
            typer.echo(json.dumps(report, indent=2))
        raise
    report |= metrics
    if out:
        write_json(out, report)
    if json_output:
        typer.echo(json.dumps(report, indent=2))
    else:
        print_metrics(metrics, f"{model.name} ({'sandboxed' if sandboxed else 'NOT sandboxed'}) on {labels}")
