"""Keep ``pvdefects serve``'s scoring workers running.

A worker that exits (killed, out of memory, crashed) is started again, so that uploads never wait for
a worker that is gone: with no worker, nothing would score and, as worker 0 also runs the reaper's
schedule, nothing would re-queue either. The submission row's lease brings the interrupted upload back
(docs/server.md, "How scoring stays correct"); this brings back the process that scores it.

Each worker runs in a process group of its own, which goes with it: Celery's embedded beat (the
reaper's schedule) is a child process that would outlive a killed worker and then run beside the
new one's.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable

QUICK_EXIT_SECONDS = 10.0  # a worker that dies this soon after starting is failing to start
RETRY_AFTER_QUICK_EXIT_SECONDS = 30.0  # ...so it is not restarted in a tight loop


class Supervisor:
    """Runs one process per command and restarts any that exits, until :meth:`stop`."""

    def __init__(
        self,
        commands: list[list[str]],
        poll_seconds: float = 2.0,
        report: Callable[[str], None] = print,
    ) -> None:
        self.commands, self.poll_seconds, self.report = commands, poll_seconds, report
        self.children: list[subprocess.Popen] = []
        self._started: list[float] = []
        self._not_before: list[float] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="worker-supervisor")

    def start(self) -> Supervisor:
        for command in self.commands:
            self.children.append(_spawn(command))
            self._started.append(time.monotonic())
            self._not_before.append(0.0)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stopping.wait(self.poll_seconds):
            for index, child in enumerate(self.children):
                if child.poll() is None or time.monotonic() < self._not_before[index]:
                    continue
                _signal_group(child, signal.SIGKILL)  # what the worker leaves behind goes with it
                if (
                    self._not_before[index] == 0.0
                    and time.monotonic() - self._started[index] < QUICK_EXIT_SECONDS
                ):
                    self._not_before[index] = time.monotonic() + RETRY_AFTER_QUICK_EXIT_SECONDS
                    self.report(
                        f"scoring worker {index} (pid {child.pid}) exited with status {child.returncode} "
                        f"right after starting; trying again in {RETRY_AFTER_QUICK_EXIT_SECONDS:.0f} s"
                    )
                    continue
                if self._stopping.is_set():
                    return
                self.children[index] = _spawn(self.commands[index])
                self._started[index], self._not_before[index] = time.monotonic(), 0.0
                self.report(
                    f"scoring worker {index} (pid {child.pid}) exited with status {child.returncode}; "
                    f"started it again (pid {self.children[index].pid})"
                )

    def stop(self, grace_seconds: float = 30.0) -> None:
        """Stop watching, SIGTERM every worker, SIGKILL those still running after ``grace_seconds``
        (a job cut short comes back through its submission's lease)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()
        for child in self.children:
            child.terminate()  # Celery's warm shutdown: the job in hand may finish
        for child in self.children:
            try:
                child.wait(timeout=grace_seconds)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            _signal_group(child, signal.SIGKILL)


def _spawn(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, start_new_session=True)


def _signal_group(child: subprocess.Popen, sig: signal.Signals) -> None:
    """Send ``sig`` to the process group that ``child`` leads (what is left of it)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, sig)
