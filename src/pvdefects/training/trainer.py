"""The training loop: data -> model -> fit (train epoch, validation pass) -> thresholds -> files.

Keras' ``fit`` runs the epochs; callbacks add the validation pass, early stopping on validation
loss, per-epoch checkpoints (``--resume``), TensorBoard, the CSV history and the curves.
"""

from __future__ import annotations

import shutil
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, fields

import keras
import numpy as np
import tensorflow as tf
from rich.console import Console

from pvdefects.atomic import write_json
from pvdefects.data.pipeline import Augmentation, inference_dataset, training_dataset
from pvdefects.data.predictions import write_predictions
from pvdefects.data.sources import Dataset, load_split, open_labels
from pvdefects.data.split import kfold_splits, train_val_split
from pvdefects.decisions import apply_thresholds, sigmoid
from pvdefects.errors import InputWarning, UserError
from pvdefects.evaluation.metrics import multilabel_metrics
from pvdefects.evaluation.plots import plot_history, plot_precision_recall, read_history
from pvdefects.evaluation.report import cell, metrics_table
from pvdefects.evaluation.thresholds import tune_thresholds
from pvdefects.layout import RunFolder
from pvdefects.models import create_model
from pvdefects.models.saving import ModelMetadata, load_classifier, save_classifier
from pvdefects.precision import precision_policy, resolve_precision
from pvdefects.training.callbacks import (
    EMAWeights,
    HistoryPlot,
    MetricsTable,
    ResumableEarlyStopping,
    ValidationPass,
)
from pvdefects.training.conclusion import conclude
from pvdefects.training.config import TrainConfig
from pvdefects.training.distribution import (
    create_strategy,
    is_chief,
    replicas,
    scope,
    synchronize_batch_norm,
    worker_run_folder,
)
from pvdefects.training.finetuning import HeadFirst, freeze_batch_norm
from pvdefects.training.keras_multiworker import across_workers, fit_across_workers
from pvdefects.training.losses import MultiLabelLoss, positive_weights
from pvdefects.training.optimizers import build_optimizer
from pvdefects.training.resume import backed_up_epochs, check_resumable, resume_state, trim_history

# With weight EMA, batch-norm statistics are recomputed each epoch on this many cells of the training stream.
EMA_CALIBRATION_IMAGES = 512


class TrainingInterrupted(Exception):
    """Ctrl-C during training; the last finished epoch is checkpointed for ``--resume``."""


@dataclass
class TrainResult:
    run: RunFolder
    metrics: dict  # validation metrics at the tuned thresholds
    metrics_at_half: dict  # ... and at 0.5
    thresholds: list[float]
    epochs: int
    best_epoch: int
    train_images_per_second: float
    wall_seconds: float


class Throughput(keras.callbacks.Callback):
    """Training images per second of each epoch, without the validation pass."""

    def __init__(self, images_per_epoch: int):
        super().__init__()
        self.images_per_epoch = images_per_epoch

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs["train_images_per_s"] = self.images_per_epoch / (time.perf_counter() - self.started)


class WallClock(keras.callbacks.Callback):
    """Seconds from the start of ``fit`` to the end of each epoch's validation pass (``elapsed_s``):
    the time-to-accuracy figures read it from history.csv. A resumed run counts from its resumption."""

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs["elapsed_s"] = time.perf_counter() - self.started


def split_indices(
    labels: np.ndarray, config: TrainConfig, class_names: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The (training, validation) rows of ``config``'s split; ``class_names`` name rare combinations."""
    if config.folds > 1:
        return kfold_splits(labels, config.folds, config.effective_split_seed, class_names)[config.fold]
    return train_val_split(labels, config.val_fraction, config.effective_split_seed, class_names)


def augmentation(config: TrainConfig) -> Augmentation:
    """The ``aug_<name>`` settings as :class:`Augmentation`'s fields ``<name>``, matched by name."""
    return Augmentation(**{item.name: getattr(config, f"aug_{item.name}") for item in fields(Augmentation)})


def training_stream(train_set: Dataset, config: TrainConfig, replica_count: int = 1) -> tf.data.Dataset:
    """The endless stream of (images, labels) batches that ``config`` trains on: ``batch_size`` images
    per replica, of ``replica_count`` (each worker of a cluster builds the whole stream and keeps its
    own share of each batch: ``tf.data``'s data sharding)."""
    stream = training_dataset(
        train_set.images,
        train_set.labels,
        config.batch_size * replica_count,
        seed=config.seed,
        balance=config.balance,
        augmentation=augmentation(config),
        mixup_alpha=config.mixup,
    )
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return stream.with_options(options)


def ema_calibration_batches(stream: tf.data.Dataset, config: TrainConfig) -> tf.data.Dataset:
    """The first batches of the training stream, about ``EMA_CALIBRATION_IMAGES`` cells (see EMAWeights)."""
    return stream.take(max(EMA_CALIBRATION_IMAGES // config.batch_size, 1))


def warn_classes_without_positives(train_set: Dataset, val_set: Dataset) -> None:
    """One :class:`InputWarning` naming the classes with no positive cell at all (the model cannot
    learn them) or, if there are none such, those with none among the validation cells (their
    threshold stays 0.5 and their validation F1 is undefined)."""
    in_validation = val_set.labels.sum(axis=0)
    for counts, where, consequence in (
        (
            train_set.labels.sum(axis=0) + in_validation,
            "labels",
            "the model cannot learn it; its threshold stays 0.5 and its F1 is undefined",
        ),
        (
            in_validation,
            f"{len(val_set)} validation cells",
            "its threshold stays 0.5 and its validation F1 is undefined",
        ),
    ):
        missing = [name for name, count in zip(val_set.class_names, counts) if count == 0]
        if missing:
            warnings.warn(
                f"no positive {', '.join(missing)} cell in the {where}: {consequence}",
                InputWarning,
                stacklevel=2,
            )
            return


def build_loss(config: TrainConfig, train_labels: np.ndarray) -> MultiLabelLoss:
    return MultiLabelLoss(
        pos_weight=positive_weights(train_labels, config.pos_weight),
        focal_gamma=config.focal_gamma if config.loss == "focal" else 0.0,
        label_smoothing=config.label_smoothing,
    )


def train(
    config: TrainConfig,
    run: RunFolder,
    resume: bool = False,
    verbose: int | str = "auto",
    console: Console | None = None,
    data: Dataset | None = None,
    extra_callbacks: Sequence[keras.callbacks.Callback] = (),
    keep_backup: bool = True,
    conclude_run: bool = False,
) -> TrainResult:
    """Train ``config`` into ``run``; with ``resume``, continue from its last checkpointed epoch
    (:class:`~pvdefects.training.resume.RunFinished` if a finished run is given no more epochs).

    ``extra_callbacks`` run after the built-in ones, so they see each epoch's ``val_*`` logs
    (``pvdefects tune`` uses this to report the validation curve to Optuna's pruner). ``keep_backup``
    keeps the last epoch's state (weights and optimizer, three times the model's size for Adam) after
    training, so that ``--resume`` can add epochs; runs that are never resumed drop it.
    ``conclude_run`` ends the run as ``pvdefects train`` does, with ``model.zip``, ``report.html``
    and the table (:func:`~pvdefects.training.conclusion.conclude`, as a cross-validation ends);
    folds and trials leave that to their cross-validation or study.
    """
    console = console or Console()
    started = time.perf_counter()
    config.validate()
    if resume and config.strategy == "multiworker":
        raise UserError("--resume is not supported with --strategy multiworker (docs/scaling.md)")
    strategy = create_strategy(config.strategy)  # before any other TensorFlow op (multiworker needs it)
    if resume:
        check_resumable(run, config)
    run = worker_run_folder(run, is_chief(strategy))
    if data is None:  # the labels decide the split, so the cells can be loaded in split order, once
        table, images_root = open_labels(config.labels, config.images_root)
        train_idx, val_idx = split_indices(table.labels, config, table.class_names)
        train_set, val_set = load_split(table, images_root, config.input_size, train_idx, val_idx)
    else:
        data = data.resized(config.input_size)
        train_idx, val_idx = split_indices(data.labels, config, data.class_names)
        train_set, val_set = data.subset(train_idx), data.subset(val_idx)
        del data  # a resized copy, if the caller's cells were of another size: only the subsets stay
    class_names = train_set.class_names
    warn_classes_without_positives(train_set, val_set)
    precision = resolve_precision(config.precision)
    run.create()
    config.save(run.config)
    write_json(run.split, {"train": train_set.table.filenames, "validation": val_set.table.filenames})
    console.print(
        f"[bold]{config.model}[/] on {len(train_set)} training / {len(val_set)} validation cells, "
        f"classes {', '.join(class_names)}, input {config.input_size}px, {precision}, "
        f"{replicas(strategy)} x {config.batch_size} images per step -> {run.root}"
    )

    keras.utils.set_random_seed(config.seed)
    global_batch = config.batch_size * replicas(strategy)
    steps = config.steps_per_epoch or max(len(train_set) // global_batch, 1)
    loss = build_loss(config, train_set.labels)
    with scope(strategy), precision_policy(precision):
        model = create_model(
            config.model,
            len(class_names),
            config.input_size,
            config.normalization,
            config.dropout,
            config.pretrained,
            config.pooling,
            config.drop_connect_rate,
        )
    if config.freeze_bn:
        freeze_batch_norm(model)
    if replicas(strategy) > 1:
        synchronize_batch_norm(model)
    with scope(strategy):  # the optimizer's state is mirrored too
        model.compile(optimizer=build_optimizer(config, steps, model), loss=loss)
        if config.head_epochs:  # its state covers every layer from the start (see training.finetuning)
            model.optimizer.build(model.trainable_variables)
    if across_workers(strategy):  # Keras 3's fit fails there without (keras-team/keras#20585)
        fit_across_workers(model)
    stream = training_stream(train_set, config, replicas(strategy))

    if resume:
        trim_history(run.history, backed_up_epochs(run))
    else:
        shutil.rmtree(run.backup, ignore_errors=True)  # a stale backup would be restored by Keras
    best_loss, wait = resume_state(run.history, config.patience) if resume else (None, 0)
    validation = ValidationPass(val_set.images, val_set.labels, class_names, loss, global_batch)
    callbacks = [
        Throughput(steps * global_batch),
        validation,
        WallClock(),
        # the last epoch's state stays for --resume (see training.resume) unless keep_backup is False
        keras.callbacks.BackupAndRestore(str(run.backup), delete_checkpoint=not keep_backup),
        keras.callbacks.ModelCheckpoint(
            str(run.best_weights),
            save_best_only=True,
            save_weights_only=True,
            initial_value_threshold=best_loss,
        ),
        ResumableEarlyStopping(best=best_loss, wait=wait, monitor="val_loss", patience=config.patience),
        keras.callbacks.CSVLogger(str(run.history), separator=",", append=resume),
        keras.callbacks.TensorBoard(str(run.tensorboard), profile_batch=0),
        HistoryPlot(run.history, run.curves),
        keras.callbacks.ProgbarLogger(),
        MetricsTable(validation, console),
        *extra_callbacks,
    ]
    if config.schedule == "plateau":
        callbacks.insert(
            2, keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=max(config.patience // 2, 1))
        )
    if config.ema_momentum > 0:  # before the validation pass, see EMAWeights
        resumed = resume and run.backup.is_dir() and any(run.backup.iterdir())
        callbacks.insert(1, EMAWeights(ema_calibration_batches(stream, config), resumed=resumed))
    if config.head_epochs:
        callbacks.append(HeadFirst(config.head_epochs))
    try:
        model.fit(
            stream,
            epochs=config.epochs,
            steps_per_epoch=steps,
            callbacks=callbacks,
            verbose=verbose,
            shuffle=False,
        )
    except KeyboardInterrupt:
        raise TrainingInterrupted(str(run.root)) from None

    model.load_weights(run.best_weights)
    scores = sigmoid(model.predict(inference_dataset(val_set.images, global_batch), verbose=0))
    thresholds = tune_thresholds(val_set.labels, scores)
    metrics = multilabel_metrics(val_set.labels, apply_thresholds(scores, thresholds), class_names)
    at_half = multilabel_metrics(
        val_set.labels, apply_thresholds(scores, [0.5] * scores.shape[1]), class_names
    )
    metadata = ModelMetadata(
        class_names, thresholds, config.model, config.input_size, config.normalization, config.pooling
    )
    save_classifier(model, metadata, run.model)

    history = read_history(run.history)
    result = TrainResult(
        run=run,
        metrics=metrics,
        metrics_at_half=at_half,
        thresholds=thresholds,
        epochs=len(history["val_loss"]),
        best_epoch=int(np.argmin(history["val_loss"])) + 1,
        train_images_per_second=float(np.median(history["train_images_per_s"])),
        wall_seconds=time.perf_counter() - started,
    )
    write_outputs(result, val_set, scores)
    if conclude_run:
        thresholds_text = ", ".join(f"{t:.2f}" for t in thresholds)
        conclude(
            [load_classifier(run.model)[0]],
            metadata,
            run.export,
            metrics_table(
                metrics,
                f"best epoch {result.best_epoch} of {result.epochs}, tuned thresholds {thresholds_text}",
            ),
            f"model: {run.model}, exported as {run.export}\nmean F1 {cell(metrics['mean_f1'])} "
            f"(at 0.5: {cell(at_half['mean_f1'])}); {result.wall_seconds:.0f} s",
            console,
            report_run=run,
        )
    return result


def write_outputs(result: TrainResult, val_set: Dataset, scores: np.ndarray) -> None:
    run = result.run
    summary = {
        "thresholds": dict(zip(val_set.class_names, result.thresholds)),
        "validation": result.metrics,
        "validation_at_0.5": result.metrics_at_half,
        "epochs": result.epochs,
        "best_epoch": result.best_epoch,
        "train_images_per_second": result.train_images_per_second,
        "wall_seconds": result.wall_seconds,
    }
    write_json(run.metrics, summary)
    write_predictions(run.predictions, val_set.table.filenames, val_set.class_names, val_set.labels, scores)
    plot_history(run.history, run.curves)
    plot_precision_recall(val_set.labels, scores, result.thresholds, val_set.class_names, run.thresholds_plot)
