"""Fine-tuning: the classifier alone during the head epochs, then every layer; frozen batch norm."""

import keras
import numpy as np
import pytest

from pvdefects.errors import UserError
from pvdefects.evaluation.plots import read_history
from pvdefects.layout import RunFolder
from pvdefects.training.config import TrainConfig
from pvdefects.training.trainer import TrainingInterrupted, train

TINY = dict(model="simple_cnn", input_size=32, batch_size=8, steps_per_epoch=2, warmup_epochs=0)


class WeightLog(keras.callbacks.Callback):
    """Every layer's weights when training begins and after each epoch."""

    def __init__(self):
        super().__init__()
        self.snapshots = []

    def snapshot(self):
        self.snapshots.append(
            {layer.name: layer.get_weights() for layer in self.model.layers if layer.weights}
        )

    def on_train_begin(self, logs=None):
        self.snapshot()

    def on_epoch_end(self, epoch, logs=None):
        self.snapshot()


def changed(before: dict, after: dict, name: str) -> bool:
    return any(not np.array_equal(a, b) for a, b in zip(before[name], after[name]))


def test_head_epochs_train_the_classifier_alone_and_frozen_batch_norm_stays(labels_csv, tmp_path):
    log = WeightLog()
    config = TrainConfig(labels=str(labels_csv), epochs=2, head_epochs=1, freeze_bn=True, **TINY)
    train(config, RunFolder(tmp_path / "run"), verbose=0, extra_callbacks=[log])
    start, after_head, after_all = log.snapshots
    batch_norm = [name for name in start if name.endswith("_bn")]
    assert batch_norm and all(not changed(start, after_all, name) for name in batch_norm)
    assert changed(start, after_head, "logits")
    assert not changed(start, after_head, "conv1_conv")
    assert changed(after_head, after_all, "conv1_conv") and changed(after_head, after_all, "logits")


def test_batch_norm_learns_without_freeze_bn(labels_csv, tmp_path):
    log = WeightLog()
    train(
        TrainConfig(labels=str(labels_csv), epochs=1, **TINY),
        RunFolder(tmp_path / "run"),
        verbose=0,
        extra_callbacks=[log],
    )
    assert changed(*log.snapshots, "conv1_bn")


class InterruptAtEpoch(keras.callbacks.Callback):
    """Ctrl-C as epoch ``epoch`` begins (the epochs before it are checkpointed)."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def test_a_run_interrupted_after_the_head_epochs_resumes(labels_csv, tmp_path):
    """The checkpoint of a head epoch holds the optimizer state of every layer, so the full phase resumes."""
    run = RunFolder(tmp_path / "run")
    config = TrainConfig(labels=str(labels_csv), epochs=3, head_epochs=1, **TINY)
    with pytest.raises(TrainingInterrupted):
        train(config, run, verbose=0, extra_callbacks=[InterruptAtEpoch(1)])
    assert len(read_history(run.history)["val_loss"]) == 1
    log = WeightLog()
    result = train(config, run, resume=True, verbose=0, extra_callbacks=[log])
    assert read_history(run.history)["epoch"] == [0, 1, 2] and result.epochs == 3
    assert changed(log.snapshots[0], log.snapshots[1], "conv1_conv")


def test_head_epochs_must_leave_epochs_for_all_layers():
    with pytest.raises(UserError, match="head_epochs"):
        TrainConfig(epochs=2, head_epochs=2).validate()
