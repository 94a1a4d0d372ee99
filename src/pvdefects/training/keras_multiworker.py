"""Keras 3's ``Model.fit`` across machines: a workaround for keras-team/keras#20585.

With the TensorFlow backend, Keras 3 cannot ``fit`` a model under
``tf.distribute.MultiWorkerMirroredStrategy`` once the cluster has two workers or more, TensorFlow's
multi-worker tutorial included (keras-team/keras#20585, open, reported with Keras 3.7;
tensorflow/tensorflow#72388, closed there as a Keras issue); 3.15.1, the newest release, still
fails. Two steps of Keras' TensorFlow trainer (keras/src/backend/tensorflow/trainer.py) raise:

1. ``_maybe_symbolic_build``, before the first step, reduces the first distributed batch with
   ``strategy.reduce("MEAN", batch, axis=None)`` only to learn its shapes. ``Strategy.reduce`` takes
   one value, not a nest (TensorFlow's own "TODO: support value being a nest"), and the collective
   all-reduce of the multi-worker strategy cannot convert the ``(images, labels)`` tuple of
   ``PerReplica`` values: "Attempt to convert a value (PerReplica...) with an unsupported type".
2. ``reduce_per_replica``, after every step, reduces each value of the step's logs (the loss: a
   scalar) with ``strategy.reduce("MEAN", value, axis=0)``, and a scalar has no axis 0: "Invalid
   reduction dimension 0 for input with 0 dimensions". On one machine the same function reduces the
   local replicas' values with ``tf.reduce_mean`` instead and never meets the case.

:func:`fit_across_workers` changes those two steps on one model only, and nothing else of ``fit``
(callbacks, checkpoints, early stopping, predict): the symbolic build reads the shapes from this
worker's first replica's share of the batch (what every replica's step sees), and the train and test
steps return their scalar logs as vectors of one element, which Keras' own reduction (axis 0 across
every replica of every worker) turns back into the scalar mean. Drop it when Keras fixes the issue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import tensorflow as tf
from keras import tree


def across_workers(strategy: tf.distribute.Strategy | None) -> bool:
    """Whether ``strategy`` has replicas on other machines than this one (a cluster of two workers or
    more), the case in which Keras 3 takes the failing multi-worker reduction."""
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and (
        strategy.num_replicas_in_sync > len(strategy.extended.worker_devices)
    )


def scalars_as_vectors(step: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``step`` (a Keras train or test step), its scalar outputs reshaped to shape (1,)."""

    def step_with_vector_logs(data):
        return tree.map_structure(
            lambda value: tf.reshape(value, [1]) if value.shape.rank == 0 else value, step(data)
        )

    return step_with_vector_logs


def fit_across_workers(model: keras.Model) -> None:
    """Make ``model`` (built and compiled in a ``MultiWorkerMirroredStrategy``'s scope) trainable with
    ``fit`` in a cluster of several workers (see the module's docstring for why and how)."""
    strategy = model.distribute_strategy

    def symbolic_build(iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = tree.map_structure(
                    lambda value: strategy.experimental_local_results(value)[0], next(batches)
                )
                break
        with strategy.scope():
            model._symbolic_build(data_batch=data_batch)

    model._maybe_symbolic_build = symbolic_build
    model.train_step = scalars_as_vectors(model.train_step)
    model.test_step = scalars_as_vectors(model.test_step)
