"""pvdefects serve's worker supervision: a worker that exits is started again; stop() ends them all."""

import sys
import time

import pytest

from pvdefects.cli import supervision
from pvdefects.cli.supervision import Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def wait_for(condition, timeout_s: float = 20.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_killed_worker_is_started_again_and_stop_ends_every_worker(monkeypatch):
    monkeypatch.setattr(supervision, "QUICK_EXIT_SECONDS", 0.0)
    lines: list[str] = []
    supervisor = Supervisor([SLEEPER, SLEEPER], poll_seconds=0.1, report=lines.append).start()
    try:
        first, other = supervisor.children
        first.kill()
        wait_for(lambda: supervisor.children[0] is not first)
        replacement = supervisor.children[0]
        assert replacement.poll() is None and supervisor.children[1] is other  # the other one untouched
        assert lines == [
            f"scoring worker 0 (pid {first.pid}) exited with status -9; "
            f"started it again (pid {replacement.pid})"
        ]
    finally:
        supervisor.stop(grace_seconds=5)
    assert all(child.poll() is not None for child in supervisor.children)
    time.sleep(0.3)
    assert supervisor.children[0] is replacement  # nothing restarted after stop()


def test_a_worker_failing_to_start_is_not_restarted_in_a_tight_loop(monkeypatch):
    monkeypatch.setattr(supervision, "RETRY_AFTER_QUICK_EXIT_SECONDS", 0.5)
    lines: list[tuple[float, str]] = []
    failing = [sys.executable, "-c", "raise SystemExit(3)"]
    report = lambda line: lines.append((time.monotonic(), line))
    supervisor = Supervisor([failing], poll_seconds=0.05, report=report).start()
    try:
        wait_for(lambda: len(lines) >= 2)
    finally:
        supervisor.stop(grace_seconds=5)
    (noticed, first), (restarted, second) = lines[:2]
    assert "exited with status 3 right after starting; trying again in" in first
    assert "started it again" in second and restarted - noticed >= 0.5  # after the pause, not at once


@pytest.mark.parametrize("count", [0, 1, 3])
def test_serve_gives_the_reaper_schedule_to_the_first_worker_only(count):
    from pvdefects.cli.serve_command import _worker_commands

    commands = _worker_commands(count)
    assert len(commands) == count
    assert [command.count("--beat") for command in commands] == ([1] + [0] * (count - 1) if count else [])
