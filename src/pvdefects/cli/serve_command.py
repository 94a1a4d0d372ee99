"""``pvdefects serve``: the whole challenge server on one machine: web, scoring workers, reaper."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from typing import Annotated

import typer

from pvdefects.cli.server_setup import DataDir, django_for
from pvdefects.cli.supervision import Supervisor
from pvdefects.errors import UserError

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


def default_web_processes() -> int:
    """One web process per CPU core: each serves its threads' Python on one core (the GIL)."""
    return os.cpu_count() or 1


def _web_command(host: str, port: int, processes: int, threads: int, trusted_proxies: list[str]) -> list[str]:
    """Gunicorn serving the Django application: ``processes`` pre-forked processes of ``threads`` threads.

    The processes share the listening socket; each keeps its own copy of the cached leaderboard, keyed
    by the board version it reads from the database with every request. Gunicorn believes the
    ``X-Forwarded-*`` scheme headers only from ``trusted_proxies`` (as the allowlist does for
    ``X-Forwarded-For``); its control socket (a runtime management interface) is left off.
    """
    return [
        sys.executable, "-m", "gunicorn", "pvdefects.server.wsgi:application",
        f"--bind={_bracketed(host)}:{port}",
        f"--workers={processes}",
        "--worker-class=gthread",
        f"--threads={threads}",
        f"--forwarded-allow-ips={','.join(trusted_proxies)}",
        "--no-control-socket",
        "--log-level=warning",
    ]  # fmt: skip


def _bracketed(host: str) -> str:
    """``host`` as it stands before ``:port`` (an IPv6 address in brackets)."""
    return f"[{host}]" if ":" in host else host


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"


def serve(
    data_dir: DataDir = None,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=0, help="Scoring worker processes (0: run them elsewhere).")
    ] = 1,
    web_processes: Annotated[
        int | None,
        typer.Option(min=1, help="Web server processes (default: one per CPU core).", show_default=False),
    ] = None,
    threads: Annotated[int, typer.Option(min=1, help="Threads per web server process.")] = 8,
) -> None:
    """Create or update the database, start the web server (gunicorn) and the scoring workers
    (restarted if they exit); Ctrl-C stops them all.

    Example:

        pvdefects serve --data-dir /srv/challenge --host 0.0.0.0 --workers 2 --web-processes 4
    """
    os.environ.setdefault("PVDEFECTS_ALLOWED_HOSTS", _allowed_hosts(host))
    django_for(data_dir)
    from django.conf import settings

    os.environ["PVDEFECTS_DATA_DIR"] = str(settings.DATA_DIR)  # the web and the workers use the same folder
    processes = web_processes or default_web_processes()
    web = subprocess.Popen(_web_command(host, port, processes, threads, settings.TRUSTED_PROXIES))
    supervisor = Supervisor(_worker_commands(workers), report=lambda line: typer.echo(line, err=True)).start()
    typer.echo(
        f"pvdefects challenge server on http://{_bracketed(host)}:{port}/ (data: {settings.DATA_DIR}; "
        f"{_count(processes, 'web process', 'web processes')}, "
        f"{_count(workers, 'scoring worker', 'scoring workers')})"
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        status = web.wait()
    finally:
        web.terminate()  # gunicorn's graceful stop: requests in hand are answered
        try:
            web.wait(timeout=30)
        except subprocess.TimeoutExpired:
            web.kill()
        supervisor.stop()
    raise UserError(f"the web server (gunicorn) stopped with status {status}; its messages are above")
