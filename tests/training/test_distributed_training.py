"""`--strategy mirrored` and `multiworker` train as one device would on the global batch.

Four processes run at once, each through `trainer.train` as `pvdefects train` calls it
(distributed_worker.py), on the same 40 tiny cells, 2 epochs of 3 steps: a plain run with 8 images
per step; `mirrored` on the CPU split into 2 logical devices, 4 images per replica; and two
`multiworker` workers on 127.0.0.1 (a TF_CONFIG each), 4 images each. The replicas' copies of every
weight, batch-norm statistics included, must end equal, and equal (to float rounding) to the plain
run's: the gradients and the batch statistics are those of the global batch.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pytest
from synthetic import write_dataset

WORKER = Path(__file__).with_name("distributed_worker.py")
STEPS = 2 * 3  # epochs x steps_per_epoch of distributed_worker.TINY
TIMEOUT_S = 300


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports free on 127.0.0.1 now."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for each in sockets:
            each.bind(("127.0.0.1", 0))
        return [each.getsockname()[1] for each in sockets]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, dict]:
    """The folder of the four runs and, by name, each process's recorded weights (see
    distributed_worker.py)."""
    root = tmp_path_factory.mktemp("distributed")
    labels = write_dataset(root / "cells")
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    jobs = {  # name: strategy, images per replica, logical CPU devices, TF_CONFIG
        "single": ("default", 8, 1, None),
        "mirrored": ("mirrored", 4, 2, None),
        **{
            f"worker{i}": ("multiworker", 4, 1, {"cluster": cluster, "task": {"type": "worker", "index": i}})
            for i in range(2)
        },
    }
    processes = {}
    for name, (strategy, batch, devices, tf_config) in jobs.items():
        environment = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"} | {
            "CUDA_VISIBLE_DEVICES": "-1"
        }
        if tf_config:
            environment["TF_CONFIG"] = json.dumps(tf_config)
        arguments = [labels, root / name / "run", root / f"{name}.npz", strategy, batch, devices]
        with open(root / f"{name}.log", "w") as log:
            processes[name] = subprocess.Popen(
                [sys.executable, WORKER, *map(str, arguments)],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
    deadline = time.monotonic() + TIMEOUT_S
    try:  # a failed worker leaves its partner waiting in the collective ops: stop at the first failure
        while True:
            codes = {name: process.poll() for name, process in processes.items()}
            finished = all(code == 0 for code in codes.values())
            if finished or any(codes.values()) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    finally:
        for process in processes.values():
            process.kill()  # SIGKILL: a worker stuck in a collective op ignores SIGTERM
    failed = {name: code for name, code in codes.items() if code != 0}
    if failed:
        tails = "\n".join(f"--- {name}\n" + (root / f"{name}.log").read_text()[-3000:] for name in failed)
        pytest.fail(f"exit codes {failed} (None: stopped, still running)\n{tails}")
    return root, {name: dict(np.load(root / f"{name}.npz")) for name in jobs}


def weights(record: dict, when: str) -> list[np.ndarray]:
    return [record[f"{when}_{i}"] for i in range(sum(key.startswith(f"{when}_") for key in record))]


def test_both_workers_end_with_the_same_weights(runs):
    _, records = runs
    first, second = records["worker0"], records["worker1"]
    assert first["replicas"] == second["replicas"] == 2
    assert first["iterations"] == second["iterations"] == STEPS
    for mine, theirs in zip(weights(first, "end"), weights(second, "end"), strict=True):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize(("name", "local_copies"), [("mirrored", 2), ("worker0", 1)])
def test_replicas_train_as_one_device_on_the_global_batch(runs, name, local_copies):
    _, records = runs
    single, distributed = records["single"], records[name]
    assert distributed["replicas"] == 2
    assert distributed["local_copies"] == local_copies and distributed["copies_agree"]
    assert distributed["iterations"] == single["iterations"] == STEPS
    moved = 0.0
    for start, mine, reference in zip(
        weights(single, "begin"), weights(distributed, "end"), weights(single, "end"), strict=True
    ):
        np.testing.assert_allclose(mine, reference, rtol=0, atol=1e-4)
        moved = max(moved, float(np.abs(reference - start).max()))
    assert moved > 0.1  # training moved the weights (the batch-norm statistics most) far beyond atol


def test_only_the_chief_writes_the_run_folder(runs):
    root, records = runs
    chief = root / "worker0" / "run"
    assert str(records["worker0"]["run_root"]) == str(chief)
    for name in ("config.json", "history.csv", "model.keras", "model.zip", "metrics.json", "report.html"):
        assert (chief / name).is_file(), name
    assert len((chief / "history.csv").read_text().splitlines()) == 1 + 2  # header, 2 epochs
    other = Path(str(records["worker1"]["run_root"]))
    assert not (root / "worker1").exists()
    assert root not in other.parents and not other.exists()  # a temporary folder, removed at exit
