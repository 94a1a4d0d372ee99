"""Weight EMA: the averaged weights are what validation sees and what gets saved; resume keeps both."""

import keras
import numpy as np
import pytest

from pvdefects.evaluation.plots import read_history
from pvdefects.layout import RunFolder
from pvdefects.models.saving import load_classifier
from pvdefects.training.callbacks import EMAWeights, ValidationPass, batch_norm_layers, recalibrate_batch_norm
from pvdefects.training.config import TrainConfig
from pvdefects.training.trainer import TrainingInterrupted, train


class Recorder(keras.callbacks.Callback):
    """At each epoch's start and end (after EMAWeights, before nothing that changes weights):
    the model's weights and the optimizer's other copy (the average, or the raw weights swapped out)."""

    def __init__(self):
        super().__init__()
        self.begin, self.end = {}, {}

    def snapshot(self):
        other = self.model.optimizer._model_variables_moving_average
        return [v.numpy().copy() for v in self.model.trainable_variables], [v.numpy().copy() for v in other]

    def on_epoch_begin(self, epoch, logs=None):
        if self.model.optimizer.built:  # built by the first step, or by restoring a backup
            self.begin[epoch] = self.snapshot()

    def on_epoch_end(self, epoch, logs=None):
        self.end[epoch] = self.snapshot()


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def test_ema_weights_are_validated_saved_and_resumed(labels_csv, tmp_path, monkeypatch):
    config = TrainConfig(
        labels=str(labels_csv),
        model="simple_cnn",
        input_size=32,
        batch_size=8,
        steps_per_epoch=2,
        epochs=2,
        warmup_epochs=0,
        ema_momentum=0.9,
    )
    run = RunFolder(tmp_path / "run")
    original = ValidationPass.on_epoch_end
    seen = []

    def record_then_interrupt(self, epoch, logs=None):
        seen.append([v.numpy().copy() for v in self.model.trainable_variables])
        if epoch == 1 and len(seen) == 2:
            raise KeyboardInterrupt
        original(self, epoch, logs)

    monkeypatch.setattr(ValidationPass, "on_epoch_end", record_then_interrupt)
    first = Recorder()
    with pytest.raises(TrainingInterrupted):
        train(config, run, verbose=0, extra_callbacks=[first])
    model_weights, raw_weights = first.end[0]
    assert same(seen[0], model_weights)  # validation saw the average ...
    assert not same(model_weights, raw_weights)  # ... not the raw weights, held aside meanwhile

    resumed = Recorder()
    train(config, run, resume=True, verbose=0, extra_callbacks=[resumed])
    weights, average = resumed.begin[1]
    assert same(weights, raw_weights) and same(
        average, model_weights
    )  # training goes on from the raw weights

    validated = {0: seen[0], 1: seen[-1]}  # per epoch, the weights validation saw
    assert same(resumed.end[1][0], validated[1])
    best = int(np.argmin(read_history(run.history)["val_loss"]))
    saved, _ = load_classifier(run.model)  # the best epoch's averaged weights
    assert same([v.numpy() for v in saved.trainable_variables], validated[best])


def test_batch_norm_is_recalibrated_to_the_mean_of_batch_statistics():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.BatchNormalization(momentum=0.9)(keras.layers.Dense(3)(inputs)))
    batches = [
        np.random.default_rng(seed).normal(seed, 1 + seed, (16, 3)).astype("float32") for seed in range(3)
    ]
    recalibrate_batch_norm(model, batches)
    dense, norm = model.layers[1], model.layers[2]
    outputs = [keras.ops.convert_to_numpy(dense(batch)) for batch in batches]
    np.testing.assert_allclose(
        norm.moving_mean.numpy(), np.mean([o.mean(axis=0) for o in outputs], axis=0), rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(
        norm.moving_variance.numpy(), np.mean([o.var(axis=0) for o in outputs], axis=0), rtol=1e-4, atol=1e-5
    )
    assert norm.momentum == 0.9  # training goes on with the layer's own momentum


def test_averaged_weights_are_validated_with_their_own_batch_norm_statistics(
    labels_csv, tmp_path, monkeypatch
):
    config = TrainConfig(
        labels=str(labels_csv),
        model="simple_cnn",
        input_size=32,
        batch_size=8,
        steps_per_epoch=3,
        epochs=1,
        warmup_epochs=0,
        ema_momentum=0.9,
    )
    calibrated = []
    original = EMAWeights.on_epoch_end

    def record(self, epoch, logs=None):
        original(self, epoch, logs)
        norms = list(batch_norm_layers(self.model))
        calibrated.append([n.moving_mean.numpy().copy() for n in norms])
        recalibrate_batch_norm(self.model, (images for images, _ in self.calibration_batches))
        assert same(
            calibrated[-1], [n.moving_mean.numpy() for n in norms]
        )  # already the averaged weights' own

    monkeypatch.setattr(EMAWeights, "on_epoch_end", record)
    train(config, RunFolder(tmp_path / "run"), verbose=0)
    assert calibrated and calibrated[0]  # the model has batch-norm layers, and they were recalibrated
