"""Keras callbacks of the trainer: one validation pass per epoch, its metric table, curves."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from rich.console import Console

from pvdefects.data.pipeline import inference_dataset
from pvdefects.decisions import apply_thresholds, sigmoid
from pvdefects.evaluation.metrics import multilabel_metrics
from pvdefects.evaluation.plots import plot_history
from pvdefects.evaluation.report import print_metrics


def nan_if_undefined(value: float | None) -> float:
    """A metric for Keras' logs (floats only): an undefined F1 becomes NaN (``nan`` in history.csv)."""
    return float("nan") if value is None else value


class ValidationPass(keras.callbacks.Callback):
    """After each training epoch, predict the validation set once and add to the epoch's logs
    ``val_loss``, ``val_mean_f1`` and ``val_f1_<class>`` (threshold 0.5).

    It must come first among the callbacks: the ones after it (early stopping, checkpoints,
    CSV and TensorBoard logs) read these values from the same logs.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, class_names: list[str], loss, batch_size: int):
        super().__init__()
        self.images, self.labels, self.class_names = images, labels, class_names
        self.loss, self.batch_size = loss, batch_size
        self.last_metrics: dict | None = None

    def on_epoch_end(self, epoch, logs=None):
        logits = self.model.predict(inference_dataset(self.images, self.batch_size), verbose=0)
        metrics = multilabel_metrics(
            self.labels, apply_thresholds(sigmoid(logits), [0.5] * len(self.class_names)), self.class_names
        )
        logs["val_loss"] = float(keras.ops.convert_to_numpy(self.loss(self.labels.astype("float32"), logits)))
        logs["val_mean_f1"] = nan_if_undefined(metrics["mean_f1"])
        for name, values in metrics["classes"].items():
            logs[f"val_f1_{name}"] = nan_if_undefined(values["f1"])
        self.last_metrics = metrics


class MetricsTable(keras.callbacks.Callback):
    """Print the per-class validation table after the progress bar's epoch line."""

    def __init__(self, validation: ValidationPass, console: Console | None = None):
        super().__init__()
        self.validation, self.console = validation, console or Console()

    def on_epoch_end(self, epoch, logs=None):
        title = f"validation after epoch {epoch + 1} (threshold 0.5), loss {logs['val_loss']:.4f}"
        print_metrics(self.validation.last_metrics, title, self.console)


class HistoryPlot(keras.callbacks.Callback):
    """Redraw the loss/F1 curves from the CSV history after each epoch."""

    def __init__(self, history_csv: Path, out_png: Path):
        super().__init__()
        self.history_csv, self.out_png = history_csv, out_png

    def on_epoch_end(self, epoch, logs=None):
        plot_history(self.history_csv, self.out_png)


def batch_norm_layers(layer: keras.layers.Layer) -> Iterator[keras.layers.BatchNormalization]:
    """Every BatchNormalization layer inside ``layer``, nested models included."""
    if isinstance(layer, keras.layers.BatchNormalization):
        yield layer
    for inner in getattr(layer, "layers", []):
        yield from batch_norm_layers(inner)


def recalibrate_batch_norm(model: keras.Model, batches: Iterable) -> None:
    """Set each BatchNormalization layer's moving mean and variance to the average, over ``batches``,
    of the batch statistics that the model's current weights produce.

    The moving statistics were collected while training the raw weights; weights averaged over many
    steps (EMA) produce other activations, and early in training, while the weights still move fast,
    the mismatch ruins the averaged model's predictions. Recomputing the statistics is what SWA does.
    ``batches`` should be drawn like the training batches (class-balanced, augmented): those are the
    statistics the network learnt to work with, and cells drawn as they come give other ones.
    """
    layers = list(batch_norm_layers(model))
    momenta = [layer.momentum for layer in layers]
    try:
        for seen, batch in enumerate(batches):
            for layer in layers:
                layer.momentum = seen / (seen + 1)  # a running mean of the batch statistics
            model(batch, training=True)
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum


class EMAWeights(keras.callbacks.SwapEMAWeights):
    """Put the optimizer's moving average of the weights (``ema_momentum``) into the model at the
    end of each epoch, with batch-norm statistics recomputed for it on ``calibration_batches`` (a
    few batches of the training stream), and the raw weights back at the start of the next.

    It must come before the validation pass: then validation, the best-model checkpoint (hence the
    saved model) and the ``--resume`` backup all see the averaged weights. Without it Keras would
    only copy the average into the model after ``fit`` ends, while validation, early stopping and
    the checkpoint would have used the raw weights. A backup is written while the average is in
    the model, so a resumed run (``resumed``) starts in that state and swaps back first.
    """

    def __init__(self, calibration_batches: tf.data.Dataset, resumed: bool = False):
        super().__init__(swap_on_epoch=True)
        self.calibration_batches, self.resumed = calibration_batches, resumed

    def on_train_begin(self, logs=None):
        self._ema_weights_in_model = self.resumed

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        recalibrate_batch_norm(self.model, (images for images, _ in self.calibration_batches))


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """Early stopping that, on resume, continues counting from the run's history."""

    def __init__(self, best: float | None = None, wait: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.resume_best, self.resume_wait = best, wait

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self.resume_best is not None:
            self.best, self.wait = self.resume_best, self.resume_wait
