"""Training on several devices or machines with ``tf.distribute`` (docs/scaling.md).

``default`` trains on one device, without a strategy. ``mirrored`` is
``tf.distribute.MirroredStrategy``: one replica per GPU of this machine. ``multiworker`` is
``tf.distribute.MultiWorkerMirroredStrategy``: one replica per device of every machine named in
the ``TF_CONFIG`` environment variable (``{"cluster": {"worker": ["host:port", ...]}, "task":
{"type": "worker", "index": i}}``), each machine running the same ``pvdefects train`` command.
Both keep every replica's copy of the weights equal by summing the gradients of each step across
replicas (all-reduce), so training is synchronous: ``batch_size`` images per replica and step,
``batch_size`` x replicas in all; batch norm takes its statistics over all of them
(:func:`synchronize_batch_norm`), so a step is that of one device on the global batch. Across
machines, Keras 3's ``fit`` needs :mod:`pvdefects.training.keras_multiworker`.

As TensorFlow's multi-worker tutorial says: the strategy is created before any other TensorFlow
op of the process; the model is built and compiled in its scope; each worker builds the whole input
pipeline with the global batch and keeps its own part (data sharding); only the chief (worker 0,
or the task of type ``chief``) writes the run folder, the others write to a temporary folder that
is removed at the end.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import tempfile
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import tensorflow as tf

from pvdefects.errors import UserError
from pvdefects.layout import RunFolder
from pvdefects.training.callbacks import batch_norm_layers
from pvdefects.training.config import CHOICES

if TYPE_CHECKING:
    import keras

STRATEGIES = CHOICES["strategy"]


def check_cluster(environment: dict[str, str] | None = None) -> dict:
    """The ``TF_CONFIG`` of ``environment`` (default: this process's), checked; UserError naming the
    problem where it is missing or not the JSON that TensorFlow reads."""
    text = (os.environ if environment is None else environment).get("TF_CONFIG")
    if not text:
        raise UserError(
            "--strategy multiworker needs TF_CONFIG (the cluster and this worker); see docs/scaling.md"
        )
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(f"TF_CONFIG is not JSON ({error})") from None
    task = config.get("task", {}) if isinstance(config, dict) else {}
    cluster = config.get("cluster", {}) if isinstance(config, dict) else {}
    if not isinstance(cluster, dict) or not cluster.get("worker") and not cluster.get("chief"):
        raise UserError(
            'TF_CONFIG names no worker: it needs {"cluster": {"worker": ["host:port", ...]}, ...}'
        )
    kind, index = task.get("type"), task.get("index")
    if kind not in cluster or not isinstance(index, int) or not 0 <= index < len(cluster[kind]):
        raise UserError(f"TF_CONFIG's task {task} is not one of its cluster's tasks")
    return config


def create_strategy(name: str) -> tf.distribute.Strategy | None:
    """The strategy called ``name`` (one of :data:`STRATEGIES`), None for ``default``. Create it
    before any other TensorFlow op of the process: ``MultiWorkerMirroredStrategy`` configures the
    collective ops at start-up and fails after."""
    if name == "default":
        return None
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        check_cluster()
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise UserError(f"strategy must be one of {', '.join(STRATEGIES)}; got {name!r}")


def refuse_multiworker(strategy: str, command: str) -> None:
    """UserError where ``command`` (crossval, tune: several runs, then files that only the chief has)
    is asked for the ``multiworker`` strategy."""
    if strategy == "multiworker":
        raise UserError(
            f"--strategy multiworker trains one run across machines: use it with pvdefects train, not "
            f"{command} (docs/scaling.md)"
        )


def replicas(strategy: tf.distribute.Strategy | None) -> int:
    """How many replicas train in step: the global batch is this times the per-replica batch."""
    return 1 if strategy is None else strategy.num_replicas_in_sync


def is_chief(strategy: tf.distribute.Strategy | None) -> bool:
    """Whether this process writes the run's files: always, but in a cluster where only the task of
    type ``chief``, or worker 0 where there is none, does (as ``tf.distribute`` decides)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    return resolver.task_type == "chief" or (
        resolver.task_type == "worker"
        and resolver.task_id == 0
        and "chief" not in resolver.cluster_spec().jobs
    )


def scope(strategy: tf.distribute.Strategy | None) -> AbstractContextManager:
    """``strategy.scope()`` (models built and compiled inside are mirrored), or nothing."""
    return contextlib.nullcontext() if strategy is None else strategy.scope()


def synchronize_batch_norm(model: keras.Model) -> None:
    """Make every ``BatchNormalization`` layer of ``model`` compute its batch mean and variance over
    the global batch, summed across the replicas at each training step (Keras' ``synchronized=True``:
    three small all-reduces per layer and step). Without it each replica normalises with, and adds to
    its own moving statistics, the statistics of its own share: the replicas' copies of the moving
    mean and variance drift apart (Keras 3 creates them unsynchronised), so the validation pass would
    score each share of the cells with another model and each worker would save another one."""
    for layer in batch_norm_layers(model):
        layer.synchronized = True


def worker_run_folder(run: RunFolder, chief: bool) -> RunFolder:
    """``run`` on the chief; on another worker a run folder in a temporary folder, removed when the
    process exits (its checkpoints and logs only keep the collective steps going, as TensorFlow
    advises)."""
    if chief:
        return run
    scratch = tempfile.mkdtemp(prefix="pvdefects-worker-")
    atexit.register(shutil.rmtree, scratch, True)
    return RunFolder(Path(scratch) / run.root.name)
