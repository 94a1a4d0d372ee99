"""``pvdefects serve``: the whole challenge server on one machine: web, scoring workers, reaper."""

from __future__ import annotations

import os
import signal
import socket
import sys
from typing import Annotated

import typer

from pvdefects.cli.server_setup import DataDir, django_for
from pvdefects.cli.supervision import Supervisor

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _allowed_hosts(host: str) -> str:
    """Host names the server answers to: loopback, plus this machine's names when it listens beyond it."""
    names = ["localhost", "127.0.0.1", "[::1]"]
    if host not in LOOPBACK:
        names += [host, socket.gethostname(), socket.getfqdn()]
    return ",".join(dict.fromkeys(name for name in names if name not in ("0.0.0.0", "::")))


def _worker_commands(count: int) -> list[list[str]]:
    """``count`` worker command lines, the first also running the reaper's schedule."""
    command = [sys.executable, "-m", "pvdefects.cli.main", "worker", "--loglevel=warning"]
    return [command + (["--beat"] if i == 0 else []) for i in range(count)]


def serve(
    data_dir: DataDir = None,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=0, help="Scoring worker processes (0: run them elsewhere).")
    ] = 1,
    threads: Annotated[int, typer.Option(min=1, help="Web server threads.")] = 8,
) -> None:
    """Create or update the database, start the web server and the scoring workers (restarted if they
    exit); Ctrl-C stops them all.

    Example:

        pvdefects serve --data-dir /srv/challenge --host 0.0.0.0 --workers 2
    """
    os.environ.setdefault("PVDEFECTS_ALLOWED_HOSTS", _allowed_hosts(host))
    django_for(data_dir)
    import waitress
    from django.conf import settings

    from pvdefects.server.network import FORM_OVERHEAD_BYTES
    from pvdefects.server.wsgi import application

    os.environ["PVDEFECTS_DATA_DIR"] = str(settings.DATA_DIR)  # the workers use the same folder
    supervisor = Supervisor(_worker_commands(workers), report=lambda line: typer.echo(line, err=True)).start()
    shown = f"[{host}]" if ":" in host else host
    typer.echo(
        f"pvdefects challenge server on http://{shown}:{port}/ (data: {settings.DATA_DIR}; {workers} workers)"
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        waitress.serve(
            application,
            host=host,
            port=port,
            threads=threads,
            max_request_body_size=settings.MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES,
            ident="pvdefects",
        )
    finally:
        supervisor.stop()
