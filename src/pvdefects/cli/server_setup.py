"""Django set up on demand for the server commands, so that the other commands start without it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="The server's data folder (database, uploads, label files); default: $PVDEFECTS_DATA_DIR or "
        "./challenge-data. Scaled out, DATABASE_URL and CELERY_BROKER_URL name the shared services.",
    ),
]


def django_for(data_dir: Path | None, migrate: bool = True) -> None:
    """Configure Django for ``data_dir`` and (unless ``migrate`` is False) bring its schema up to date.

    Workers do not migrate: several starting at once against one PostgreSQL would race.
    """
    from django.core.management import call_command

    from pvdefects.server import setup

    setup(data_dir)
    if migrate:
        call_command("migrate", interactive=False, verbosity=0)


def warn_without_sandbox() -> None:
    """Say at start-up, not at the first upload, that scoring cannot work on this machine."""
    from pvdefects.security.sandbox import bubblewrap

    if bubblewrap() is None:
        typer.secho(
            "warning: bubblewrap (bwrap) is not installed, so every upload will fail on our side: "
            "apt-get install bubblewrap",
            err=True,
            fg="yellow",
        )
