"""Throwaway PostgreSQL and Redis servers for the scaled-out server tests, on 127.0.0.1 and free ports.

Each lives in a temporary folder of its own and is stopped (and the folder removed) when its context
ends. PostgreSQL refuses to run as root, and CI runs as root: there the cluster is initialised and run
as the ``postgres`` user (``runuser -u postgres``) that Debian's ``postgresql`` package creates.
Where a program is absent, ``missing_service`` says which package provides it; the fixtures in
conftest.py turn that into a skip on a developer's machine and a failure in CI (``CI`` set).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from machine import unavailable

STARTUP_TIMEOUT_S = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout_s: float = STARTUP_TIMEOUT_S, process: subprocess.Popen | None = None):
    """Block until 127.0.0.1:``port`` accepts connections; RuntimeError on timeout or early exit."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process {process.args!r} exited with status {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout_s:.0f} s")


def postgres_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding initdb (Debian's layout), or None."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3].split(".")[0])
    )
    if candidates:
        return candidates[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing_service(name: str) -> str | None:
    """Why the service ``name`` ("postgresql", "redis") cannot start here, or None if it can."""
    if name == "postgresql":
        if postgres_bindir() is None:
            return "PostgreSQL is not installed (apt-get install postgresql)"
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root without a 'postgres' user to run PostgreSQL as"
        return None
    if name == "redis":
        return (
            None if shutil.which("redis-server") else "Redis is not installed (apt-get install redis-server)"
        )
    raise ValueError(f"unknown service {name!r}")


def require_service(name: str) -> None:
    """Skip the calling test where the service is absent, but fail in CI."""
    reason = missing_service(name)
    if reason is not None:
        unavailable(reason)


def require_sandbox() -> None:
    """Scoring runs models in bubblewrap: skip where it is absent, but fail in CI."""
    if shutil.which("bwrap") is None:
        unavailable("scoring needs bubblewrap (apt-get install bubblewrap)")


def _as_postgres_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def postgres_cluster(database: str = "pvdefects") -> Iterator[str]:
    """Initialise and start a PostgreSQL cluster; yields ``postgresql://postgres@127.0.0.1:PORT/database``.

    Durability is off (fsync, synchronous_commit): the cluster lives for one test session.
    """
    bindir = postgres_bindir()
    folder = Path(tempfile.mkdtemp(prefix="pvdefects-pg-"))  # not under pytest's root-only tmp
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
    data, log = folder / "data", folder / "server.log"
    port = free_port()
    run = lambda *args: subprocess.run(
        _as_postgres_user([str(bindir / args[0]), *args[1:]]), check=True, capture_output=True, text=True
    )
    try:
        run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off"
        )
        run("pg_ctl", "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
        try:
            run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", database)
            yield f"postgresql://postgres@127.0.0.1:{port}/{database}"
        finally:
            run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
    except subprocess.CalledProcessError as error:
        server_log = log.read_text() if log.exists() else ""
        raise RuntimeError(f"PostgreSQL: {error.cmd} failed: {error.stderr}\n{server_log}") from error
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Start a Redis server that persists nothing; yields ``redis://127.0.0.1:PORT/0``."""
    folder = Path(tempfile.mkdtemp(prefix="pvdefects-redis-"))
    port = free_port()
    command = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder)]
    command += ["--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process=process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database URL for this test session (skips or, in CI, fails where not installed)."""
    require_service("postgresql")
    with postgres_cluster() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis URL for this test session (skips or, in CI, fails where not installed)."""
    require_service("redis")
    with redis_server() as url:
        yield url
