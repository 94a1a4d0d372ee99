"""``pvdefects models``."""

from __future__ import annotations

import json
from typing import Annotated

import typer


def models(
    json_output: Annotated[bool, typer.Option("--json", help="Print the names as a JSON list.")] = False,
) -> None:
    """List the architectures that --model accepts, one per line.

    Example: pvdefects models
    """
    from pvdefects.models import list_models  # lazy: the registry imports Keras

    names = list_models()
    typer.echo(json.dumps(names) if json_output else "\n".join(names))
