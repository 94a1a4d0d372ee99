"""One training process of the distributed-training tests (test_distributed_training.py starts it).

    python distributed_worker.py LABELS_CSV RUN_FOLDER OUT_NPZ STRATEGY BATCH_SIZE [CPU_DEVICES]

Trains a tiny simple_cnn on LABELS_CSV into RUN_FOLDER through ``pvdefects.training.trainer.train``
with ``conclude_run=True``, the call that ``pvdefects train`` makes, with ``--strategy`` STRATEGY (for
``multiworker`` the cluster comes from this process's ``TF_CONFIG``) and BATCH_SIZE images per
replica. CPU_DEVICES splits the CPU into that many logical devices first, so that ``mirrored`` has
several replicas without a GPU. OUT_NPZ receives the model's weights when ``fit`` starts and ends
(``begin_<i>``, ``end_<i>``), the optimizer's step count (``iterations``), the replicas in step
(``replicas``), the copies of each variable in this process (``local_copies``: one per local
replica), whether they are all the same at the end (``copies_agree``) and the run folder that
this process wrote (``run_root``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from pvdefects.layout import RunFolder
from pvdefects.training.config import TrainConfig
from pvdefects.training.trainer import train

TINY = dict(
    model="simple_cnn", input_size=32, steps_per_epoch=3, epochs=2, warmup_epochs=0, precision="float32"
)


def local_copies(variable: keras.Variable) -> list[np.ndarray]:
    """The values of ``variable`` on each replica of this process (one where there is no strategy)."""
    strategy = tf.distribute.get_strategy()
    return [np.array(copy) for copy in strategy.experimental_local_results(variable.value)]


class RecordWeights(keras.callbacks.Callback):
    """Keeps the weights when training starts and ends, the optimizer's step count and the replicas."""

    def on_train_begin(self, logs=None):
        self.begin = [np.array(w) for w in self.model.get_weights()]

    def on_train_end(self, logs=None):
        self.end = [np.array(w) for w in self.model.get_weights()]
        self.iterations = int(self.model.optimizer.iterations.numpy())
        strategy = self.model.distribute_strategy
        self.replicas = strategy.num_replicas_in_sync
        with strategy.scope():
            copies = [local_copies(variable) for variable in self.model.weights]
        self.local_copies = len(copies[0])
        self.copies_agree = all(np.array_equal(c[0], other) for c in copies for other in c[1:])


def main(
    labels_csv: str, run_folder: str, out: str, strategy: str, batch_size: str, cpu_devices: str = "1"
) -> None:
    if int(cpu_devices) > 1:
        (cpu,) = tf.config.list_physical_devices("CPU")
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * int(cpu_devices)
        )
    record = RecordWeights()
    config = TrainConfig(labels=labels_csv, strategy=strategy, batch_size=int(batch_size), **TINY)
    result = train(
        config, RunFolder(Path(run_folder)), verbose=0, extra_callbacks=[record], conclude_run=True
    )
    np.savez(
        out,
        iterations=record.iterations,
        replicas=record.replicas,
        local_copies=record.local_copies,
        copies_agree=record.copies_agree,
        run_root=str(result.run.root),
        **{f"begin_{i}": w for i, w in enumerate(record.begin)},
        **{f"end_{i}": w for i, w in enumerate(record.end)},
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
