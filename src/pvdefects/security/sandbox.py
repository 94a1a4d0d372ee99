"""Run an untrusted SavedModel in a child process inside a bubblewrap sandbox.

The child (``runner.py``) sees a file system made of read-only binds of the Python environment
(the venv and the base interpreter's prefix), the system libraries, this package's code, the
unpacked model and the images (an ``.npy`` array the parent wrote), a small tmpfs ``/tmp`` and one
writable output folder: no home folders, no labels, no ``/etc``, no devices but the basic ones.
Every namespace is unshared (so there is no network), all capabilities are dropped, and when we
run as root the child becomes ``nobody`` (uid 65534) for the whole host, not only inside its user
namespace, so that the process limit counts and a sandbox escape lands without privileges. The
runner sets rlimits on address space, CPU time, processes and file size before it loads the
model, and the parent kills the whole process group at the wall-clock limit.
"""

from __future__ import annotations

import io
import json
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import pvdefects
from pvdefects.errors import UserError
from pvdefects.precision import ONEDNN_VARIABLE
from pvdefects.security.rejected import Rejected
from pvdefects.security.runner import DECISIONS_FILE, ERROR_FILE

SANDBOX_UID = 65534  # nobody
SYSTEM_LIBRARIES = ("/usr/lib", "/usr/lib64", "/lib", "/lib64")
INSIDE = Path("/sandbox")  # where the code, model, images and output appear in the sandbox
_GIB = 1 << 30


@dataclass(frozen=True)
class SandboxLimits:
    """What one scoring run may use (benchmarks/sandbox_overhead.py scores 400 cells with resnet18
    within them)."""

    memory_bytes: int = 8 * _GIB  # address space (RLIMIT_AS)
    cpu_seconds: int = 3600  # CPU time over all threads (RLIMIT_CPU)
    wall_seconds: float = 900.0  # the parent kills the process group after this
    processes: int = 1024  # processes and threads of the sandbox user (RLIMIT_NPROC)
    file_bytes: int = 256 << 20  # largest file the child may write (RLIMIT_FSIZE)
    tmp_bytes: int = 64 << 20  # size of the tmpfs /tmp


class SandboxUnavailable(UserError):
    """The sandbox itself could not be set up (not the model's fault)."""


def bubblewrap() -> str | None:
    """Path of the ``bwrap`` executable, or None where bubblewrap is not installed."""
    return shutil.which("bwrap")


def _limit_options(limits: SandboxLimits) -> list[str]:
    return [
        f"--memory-bytes={limits.memory_bytes}",
        f"--cpu-seconds={limits.cpu_seconds}",
        f"--processes={limits.processes}",
        f"--file-bytes={limits.file_bytes}",
    ]


def _python_prefixes() -> list[str]:
    """The venv and the base interpreter's prefix, outermost first, without nested duplicates."""
    prefixes = sorted({sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix}, key=len)
    kept: list[str] = []
    for prefix in prefixes:
        if not any(prefix == outer or prefix.startswith(outer.rstrip("/") + "/") for outer in kept):
            kept.append(prefix)
    return kept


def _ancestors(path: str) -> list[str]:
    parts = Path(path).parts[1:-1]
    return ["/" + "/".join(parts[: depth + 1]) for depth in range(len(parts))]


def _file_system(model_dir: Path, input_dir: Path, output_dir: Path, tmp_bytes: int) -> list[str]:
    """bwrap options that build the child's whole file system.

    The tmpfs ``/tmp``, ``/proc`` and ``/dev`` come first, so that binds below ``/tmp`` (a venv
    there, say) land on top of the tmpfs instead of under it.
    """
    options = [
        "--perms",
        "1777",
        "--size",
        str(tmp_bytes),
        "--tmpfs",
        "/tmp",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
    ]
    binds = [(path, path) for path in SYSTEM_LIBRARIES if os.path.isdir(path) and not os.path.islink(path)]
    binds += [(path, path) for path in _python_prefixes()]
    binds += [
        (str(Path(pvdefects.__file__).parent), str(INSIDE / "code" / "pvdefects")),
        (str(model_dir), str(INSIDE / "model")),
        (str(input_dir), str(INSIDE / "input")),
    ]
    ancestors = {a for _, inside in binds + [("", str(INSIDE / "output"))] for a in _ancestors(inside)}
    for directory in sorted(ancestors - {"/tmp", "/proc", "/dev"}):
        options += ["--perms", "0755", "--dir", directory]  # bwrap would create them 0700
    for source, inside in binds:
        options += ["--ro-bind", source, inside]
    options += ["--bind", str(output_dir), str(INSIDE / "output")]
    for path in SYSTEM_LIBRARIES:  # merged /usr: /lib -> usr/lib
        if os.path.islink(path):
            options += ["--symlink", os.readlink(path), path]
    return options


def _sandbox_environment() -> list[str]:
    variables = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(INSIDE / "code"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CUDA_VISIBLE_DEVICES": "",
        "MPLCONFIGDIR": "/tmp",
    }
    if ONEDNN_VARIABLE in os.environ:  # the operator's choice of kernels holds inside the sandbox too
        variables[ONEDNN_VARIABLE] = os.environ[ONEDNN_VARIABLE]
    return ["--clearenv"] + [item for name, value in variables.items() for item in ("--setenv", name, value)]


def _map_sandbox_user(info_fd: int, block_fd: int, timeout: float) -> None:
    """Map root and ``nobody`` 1:1 into the sandbox's user namespace, then let bwrap go on.

    bwrap maps only the caller's own uid; with a 1:1 map of uid 65534 the runner can become the
    host's ``nobody`` instead of staying root of a namespace (whose processes the kernel does not
    count against RLIMIT_NPROC).
    """
    data = b""
    deadline = time.monotonic() + timeout
    while True:
        ready, _, _ = select.select([info_fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(info_fd, 4096) if ready else b""
        if not chunk:
            raise SandboxUnavailable("bubblewrap did not start its sandbox")
        data += chunk
        try:
            child = json.loads(data)["child-pid"]
            break
        except ValueError:
            continue
    for kind in ("uid", "gid"):
        Path(f"/proc/{child}/{kind}_map").write_text(f"0 0 1\n{SANDBOX_UID} {SANDBOX_UID} 1\n")
    os.write(block_fd, b"1")


def _read_child_file(path: Path, limit: int) -> bytes | None:
    """Up to ``limit`` bytes of a file the child wrote, or None where there is no regular file.

    The child controls its output folder: no symbolic link is followed (it would resolve here, on
    the host) and nothing but a regular file is read (a FIFO would block us).
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as stream:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        return stream.read(limit)


def _last_line(path: Path, limit: int = 4096) -> str:
    """The last non-empty line of a log or error file the child wrote (read from its end only)."""
    data = _read_child_file(path, 1 << 20) or b""
    lines = [line for line in data[-limit:].decode(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else ""


def _prepare(work: Path, model_dir: Path, images: np.ndarray, drop_root: bool) -> tuple[Path, Path]:
    """Write the images and make the model readable (and the output writable) for the sandbox user."""
    input_dir, output_dir = work / "input", work / "output"
    input_dir.mkdir(mode=0o755)
    output_dir.mkdir(mode=0o700)
    np.save(input_dir / "images.npy", np.ascontiguousarray(images, dtype=np.uint8), allow_pickle=False)
    for path in [model_dir, *model_dir.rglob("*"), input_dir / "images.npy"]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    if drop_root:
        os.chown(output_dir, SANDBOX_UID, SANDBOX_UID)
    return input_dir, output_dir


def _sandbox_command(
    bwrap: str, runner: list[str], work: Path, model_dir: Path, limits: SandboxLimits
) -> list[str]:
    """bwrap's command line around ``python runner...``; the caller adds the user-mapping options."""
    return [
        bwrap,
        "--unshare-all",
        "--unshare-user",
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "sandbox",
        *_sandbox_environment(),
        *_file_system(model_dir, work / "input", work / "output", limits.tmp_bytes),
        "--chdir",
        "/tmp",
        "--",
        sys.executable,
        *runner,
        str(INSIDE / "model"),
        str(INSIDE / "input" / "images.npy"),
        str(INSIDE / "output"),
    ]


def _wait(child: subprocess.Popen, limits: SandboxLimits, mapping: tuple[int, int] | None, log: Path) -> None:
    """Map the sandbox user (when dropping root), then wait for the child until the wall-clock limit."""
    deadline = time.monotonic() + limits.wall_seconds
    if mapping:
        info_read, block_write = mapping
        try:
            _map_sandbox_user(info_read, block_write, limits.wall_seconds)
        except (SandboxUnavailable, OSError) as error:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            raise SandboxUnavailable(f"could not set up the sandbox ({error}): {_last_line(log)}") from None
        finally:
            os.close(info_read)
            os.close(block_write)
    try:
        child.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise Rejected(
            f"the model ran longer than the {limits.wall_seconds:g} s allowed and was stopped (an endless "
            "loop?); it must score the images well within that time"
        ) from None


def run_model(
    model_dir: Path,
    images: np.ndarray,
    work: Path,
    limits: SandboxLimits = SandboxLimits(),
    sandboxed: bool = True,
) -> np.ndarray:
    """The model's ``y`` for ``images`` (uint8 [N, H, W, 1]), computed in a child process.

    ``work`` is a private, empty folder that the caller removes afterwards. With ``sandboxed``
    False (only for models one trusts) the child runs without bubblewrap, under the same rlimits
    and timeout. Raises :class:`Rejected` when the model fails, crashes or runs too long.
    """
    bwrap = bubblewrap()
    if sandboxed and bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    drop_root = sandboxed and os.geteuid() == 0
    input_dir, output_dir = _prepare(work, model_dir, images, drop_root)
    runner = ["-s", "-m", "pvdefects.security.runner", *_limit_options(limits)]
    environment, pass_fds, mapping = None, (), None
    if not sandboxed:
        command = [sys.executable, *runner, str(model_dir), str(input_dir / "images.npy"), str(output_dir)]
        environment = {
            **os.environ,
            "PYTHONPATH": str(Path(pvdefects.__file__).parents[1]),
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
    elif not drop_root:
        command = _sandbox_command(bwrap, runner, work, model_dir, limits)
    else:
        info_read, info_write = os.pipe()
        block_read, block_write = os.pipe()
        pass_fds, mapping = (info_write, block_read), (info_read, block_write)
        command = _sandbox_command(bwrap, [*runner, f"--drop-to={SANDBOX_UID}"], work, model_dir, limits)
        command[1:1] = [
            "--cap-drop",
            "ALL",
            "--cap-add",
            "CAP_SETUID",
            "--cap-add",
            "CAP_SETGID",
            "--info-fd",
            str(info_write),
            "--userns-block-fd",
            str(block_read),
        ]

    log = work / "log.txt"
    try:
        with open(log, "wb") as log_stream:
            child = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log_stream,
                stderr=log_stream,
                pass_fds=pass_fds,
                start_new_session=True,
                env=environment,
            )
    finally:
        for descriptor in pass_fds:
            os.close(descriptor)  # the child holds its own copies
    try:
        _wait(child, limits, mapping, log)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    return _read_decisions(output_dir, child.returncode, log, limits)


def _describe_status(returncode: int) -> str:
    """Exit status in words; bwrap reports a child killed by signal N as 128 + N."""
    number = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else 0
    try:
        return f"killed by {signal.Signals(number).name}" if number else f"exit status {returncode}"
    except ValueError:
        return f"exit status {returncode}"


def _read_decisions(output_dir: Path, returncode: int, log: Path, limits: SandboxLimits) -> np.ndarray:
    """The decisions the child wrote, or a :class:`Rejected` saying why there are none."""
    data = _read_child_file(output_dir / DECISIONS_FILE, limits.file_bytes) if returncode == 0 else None
    if data is not None:
        try:
            return np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError, EOFError) as problem:
            raise Rejected(f"the model's decisions could not be read back ({problem})") from None
    error = _last_line(output_dir / ERROR_FILE)
    if error:
        raise Rejected(
            f"the model failed inside the sandbox: {error}; it must run on float32 [batch, height, "
            f"width, 1] pixels alone, within {limits.memory_bytes / _GIB:g} GiB of memory"
        )
    hint = _last_line(log)
    raise Rejected(
        "the model crashed inside the sandbox "
        f"({_describe_status(returncode)}{': ' + hint if hint else ''}); it must run within "
        f"{limits.memory_bytes / _GIB:g} GiB of memory and {limits.cpu_seconds} s of CPU time"
    )
