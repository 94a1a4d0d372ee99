"""Dynamic containment: the sandbox runs models that the static check would refuse, and nothing gets out.

These tests call the sandbox layer directly, skipping the static check on purpose, to show that
file access is contained even if the allowlist were bypassed; and they run the hostile models
that use allowed ops only (endless loops, huge allocations) through it.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from submissions import decisions_like

from pvdefects.precision import ONEDNN_VARIABLE
from pvdefects.security.rejected import Rejected
from pvdefects.security.sandbox import SANDBOX_UID, SandboxLimits, _sandbox_environment, run_model

pytestmark = pytest.mark.usefixtures("needs_bubblewrap")
LIMITS = SandboxLimits(wall_seconds=60, memory_bytes=4 << 30)


def runners() -> dict[int, int]:
    """``{pid: uid}`` of the runner processes alive now (the Python child, not bwrap)."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0") if entry.name.isdigit() else []
            if b"pvdefects.security.runner" in arguments and not arguments[0].endswith(b"bwrap"):
                uid_line = next(
                    line for line in (entry / "status").read_text().splitlines() if line.startswith("Uid:")
                )
                found[int(entry.name)] = int(uid_line.split()[1])
        except (OSError, StopIteration):
            continue
    return found


def run(model_dir, images, work, limits=LIMITS) -> np.ndarray:
    return run_model(model_dir, images, work, limits)


def rejection(model_dir, images, work, limits=LIMITS) -> str:
    with pytest.raises(Rejected) as caught:
        run(model_dir, images, work, limits)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_an_honest_model_runs_and_returns_its_decisions(build, unpacked, images, work):
    decisions = run(unpacked(build(lambda x: {"y": decisions_like(x, 1.0)})), images, work)
    assert decisions.shape == (3, 2) and np.all(decisions == 1)


def test_reading_a_secret_outside_the_sandbox_fails_and_leaks_nothing(build, unpacked, images, work, cells):
    secret = cells  # the labels CSV: it must never be readable from inside
    body = lambda x: {
        "y": decisions_like(x, tf.cast(tf.strings.length(tf.io.read_file(str(secret))), tf.float32))
    }
    message = rejection(unpacked(build(body)), images, work)
    assert "failed inside the sandbox" in message and "NotFoundError" in message
    assert "crack" not in message and "cell0.png" not in message
    assert not (work / "output" / "decisions.npy").exists()


def test_listing_folders_outside_the_sandbox_sees_nothing(build, unpacked, images, work, cells):
    pattern = str(cells.parent / "*")  # eight PNGs and the labels, outside
    body = lambda x: {"y": decisions_like(x, tf.cast(tf.size(tf.io.matching_files(pattern)), tf.float32))}
    try:
        decisions = run(unpacked(build(body)), images, work)
    except Rejected as rejected:
        assert "cell0" not in str(rejected)
    else:
        assert np.all(decisions == 0), "the listing outside the sandbox must be empty"


@pytest.mark.parametrize("target", ["system tmp", "labels", "source tree"])
def test_writes_stay_inside_the_sandbox(build, unpacked, images, work, cells, target):
    """TensorFlow's WriteFile even creates missing folders; whatever it manages stays in the sandbox."""
    path = {
        "system tmp": Path(f"/tmp/pvdefects-pwned-{uuid.uuid4().hex}"),
        "labels": cells,
        "source tree": Path(__file__).with_name(f"pwned-{uuid.uuid4().hex}.txt"),
    }[target]
    before = path.read_bytes() if path.exists() else None

    def body(x):
        tf.io.write_file(str(path), "pwned")
        return {"y": decisions_like(x, 1.0)}

    try:
        run(unpacked(build(body)), images, work)
    except Rejected as rejected:
        assert "failed inside the sandbox" in str(rejected)
    assert (path.read_bytes() if path.exists() else None) == before


def test_an_endless_loop_is_killed_at_the_wall_clock_limit(build, unpacked, images, work):
    def body(x):
        i = tf.while_loop(lambda i: tf.reduce_mean(x) + i >= 0.0, lambda i: i + 1.0, [0.0])[0]
        return {"y": decisions_like(x, i)}

    model_dir = unpacked(build(body))
    limits = SandboxLimits(wall_seconds=25, memory_bytes=4 << 30)
    outcome: dict = {}

    def score():
        started = time.monotonic()
        try:
            run(model_dir, images, work, limits)
        except Rejected as rejected:
            outcome["message"] = str(rejected)
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=score)
    thread.start()
    samples = []
    while thread.is_alive():
        samples.append(set(runners().values()))
        time.sleep(0.5)
    thread.join()
    assert "ran longer than the 25 s allowed" in outcome["message"]
    assert 25 <= outcome["seconds"] < 40
    assert not runners(), "the sandboxed process must not outlive the timeout"
    if os.geteuid() == 0:  # the runner drops from root to nobody before it loads the model
        assert [sample for sample in samples if sample][-1] == {SANDBOX_UID}, (
            "as root, the model must run as nobody"
        )


def test_a_huge_allocation_hits_the_memory_limit(build, unpacked, images, work):
    vector = tf.constant(np.ones(100_000, np.float32))

    def body(x):  # a 100,000 x 100,000 float32 matrix: 40 GB
        big = tf.reshape(vector, [-1, 1]) * tf.reduce_mean(x) + tf.reshape(vector, [1, -1])
        return {"y": decisions_like(x, tf.reduce_mean(big))}

    message = rejection(
        unpacked(build(body)), images, work, SandboxLimits(wall_seconds=60, memory_bytes=3 << 30)
    )
    assert "OOM when allocating tensor with shape[100000,100000]" in message or "crashed" in message, message


def test_the_sandbox_passes_the_onednn_choice_on(monkeypatch):
    """The sandbox clears the environment; the operator's choice of TensorFlow kernels goes in."""
    monkeypatch.setenv(ONEDNN_VARIABLE, "0")
    arguments = _sandbox_environment()
    assert arguments[0] == "--clearenv"
    assert ["--setenv", ONEDNN_VARIABLE, "0"] in [arguments[i : i + 3] for i in range(len(arguments))]
