"""``pvdefects worker``: a scoring worker (Celery), configured like the server from the environment."""

from __future__ import annotations

from typing import Annotated

import typer

from pvdefects.cli.server_setup import DataDir, django_for, warn_without_sandbox


def worker(
    data_dir: DataDir = None,
    pool: Annotated[str, typer.Option(help="Celery pool: solo (one process) or prefork.")] = "solo",
    beat: Annotated[bool, typer.Option(help="Also run the reaper's schedule (one worker in all).")] = False,
    loglevel: Annotated[str, typer.Option(help="Celery log level.")] = "info",
) -> None:
    """Take scoring jobs one at a time from the broker until stopped (Ctrl-C or SIGTERM).

    Example:

        pvdefects worker --data-dir /srv/challenge
    """
    warn_without_sandbox()
    django_for(data_dir, migrate=False)  # the web server (or any server command) migrates
    from django.conf import settings

    from pvdefects.server.tasks_app import app

    arguments = ["worker", f"--pool={pool}", "--concurrency=1", f"--loglevel={loglevel}", "--without-gossip"]
    if beat:
        arguments += ["--beat", f"--schedule={settings.DATA_DIR / 'reaper-schedule'}"]
    app.worker_main(arguments)
