"""What the end-to-end server stories share: the command line as a subprocess, background servers
and workers that are always stopped, a tiny model trained by ``pvdefects train``, two test sets.

The stories run the real programs (``pvdefects serve``, ``pvdefects worker``, ``pvdefects server``)
in processes of their own, each with an environment built here from scratch, so nothing of the
test process's Django configuration leaks into them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from synthetic import write_dataset  # synthetic cells that a small CNN learns in a few steps

PASSWORD = "correct horse battery staple 42"
DJANGO_VARIABLES = ("DJANGO_SETTINGS_MODULE", "PVDEFECTS_DATA_DIR", "DATABASE_URL", "CELERY_BROKER_URL")


def server_environment(data_dir: Path, **variables: str) -> dict[str, str]:
    """The environment of a server process: this one's, less any Django settings, plus ``variables``."""
    env = {key: value for key, value in os.environ.items() if key not in DJANGO_VARIABLES}
    env.update(PVDEFECTS_DATA_DIR=str(data_dir), TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    env.update(variables)
    return env


def pvdefects(*args: str, env: dict[str, str], stdin: str | None = None, timeout: float = 300):
    """Run ``pvdefects ARGS`` to completion; the CompletedProcess (text)."""
    return subprocess.run(
        [sys.executable, "-m", "pvdefects.cli.main", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def pvdefects_ok(*args: str, env: dict[str, str], stdin: str | None = None) -> str:
    """Run ``pvdefects ARGS``; its standard output, or AssertionError with what it printed."""
    result = pvdefects(*args, env=env, stdin=stdin)
    assert result.returncode == 0, f"pvdefects {' '.join(args)} -> {result.returncode}\n{result.stderr}"
    return result.stdout


@dataclass
class Background:
    """A program running in its own process group (so its children stop with it), output in ``log``."""

    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the process itself only (a crash of that one process; its children live on)."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM the whole process group, then SIGKILL what is left after a grace period."""
        for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError):  # stragglers of a leader killed earlier
            os.killpg(self.process.pid, signal.SIGKILL)


@contextlib.contextmanager
def background(*args: str, env: dict[str, str], log: Path) -> Iterator[Background]:
    """Start ``pvdefects ARGS`` in the background; stop it (and its process group) on leaving."""
    with open(log, "ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "pvdefects.cli.main", *args],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    program = Background(process, log)
    try:
        yield program
    finally:
        program.stop()


def wait_until(condition: Callable[[], object], timeout_s: float, what: str, poll_s: float = 0.5):
    """Poll ``condition`` until it returns something truthy (returned); AssertionError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(poll_s)


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux /proc)."""
    found = []
    for listing in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in listing.read_text().split()]
    return [child for child in found if alive(child)]


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie that nobody reaped has finished)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def sandboxes(pid: int) -> list[int]:
    """The live bubblewrap sandboxes that ``pid`` started."""
    return [child for child in children(pid) if b"bwrap" in Path(f"/proc/{child}/cmdline").read_bytes()]


def scoring_workers(pid: int) -> list[int]:
    """The live scoring workers (``pvdefects worker``) that ``pid`` started, not its web server."""
    return [child for child in children(pid) if b"\0worker\0" in Path(f"/proc/{child}/cmdline").read_bytes()]


def train_tiny_model(folder: Path) -> Path:
    """Train a few steps of ``simple_cnn`` at 32 px with ``pvdefects train``; its exported model.zip."""
    labels = write_dataset(folder / "cells", n=16, size=32, seed=3)
    tiny = ["--model", "simple_cnn", "--input-size", "32", "--batch-size", "8", "--steps-per-epoch", "2"]
    result = subprocess.run(
        [sys.executable, "-m", "pvdefects.cli.main", "train", "--labels", str(labels), "--epochs", "1"]
        + ["--name", "tiny", *tiny],
        cwd=folder,
        env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return folder / "runs" / "tiny" / "model.zip"


@pytest.fixture(scope="session")
def tiny_model_zip(tmp_path_factory) -> Path:
    """A model.zip exported by ``pvdefects train`` (trained once per test session, about 20 s)."""
    return train_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def story_test_sets(tmp_path_factory) -> dict[str, Path]:
    """Two labels CSVs of synthetic cells: ``public`` (held during the challenge) and ``final`` (after)."""
    folder = tmp_path_factory.mktemp("test-sets")
    return {
        "public": write_dataset(folder / "public", n=12, size=32, seed=11),
        "final": write_dataset(folder / "final", n=12, size=32, seed=12),
    }
