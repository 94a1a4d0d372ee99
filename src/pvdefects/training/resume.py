"""What ``pvdefects train --resume`` continues from, and whether there is anything left to train.

Keras' ``BackupAndRestore`` keeps the state after the last finished epoch (weights, optimizer, epoch
number) in ``checkpoints/backup``; the trainer keeps it after training too, so that a finished run
can be given more epochs. ``history.csv`` is cut back to the epochs of that state before training
goes on, so it never holds an epoch twice.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from pvdefects.atomic import replacing
from pvdefects.errors import UserError
from pvdefects.evaluation.plots import read_history
from pvdefects.layout import RunFolder
from pvdefects.training.config import TrainConfig

BACKUP_METADATA = "training_metadata.json"  # written by keras.callbacks.BackupAndRestore


class RunFinished(Exception):
    """``--resume`` of a run that has nothing left to train; the message says why and what would."""


def backed_up_epochs(run: RunFolder) -> int:
    """The number of epochs the run's backup holds (0 without one)."""
    metadata = run.backup / BACKUP_METADATA
    return int(json.loads(metadata.read_text())["epoch"]) if metadata.is_file() else 0


def resume_state(history_csv: Path, patience: int) -> tuple[float | None, int]:
    """Best validation loss so far and epochs since it, from a run's history."""
    if not history_csv.exists():
        return None, 0
    losses = read_history(history_csv).get("val_loss", [])
    if not losses:
        return None, 0
    best = int(np.argmin(losses))
    return float(losses[best]), min(len(losses) - 1 - best, patience)


def history_epochs(history_csv: Path) -> int:
    """How many different epochs ``history.csv`` holds."""
    return len(set(read_history(history_csv).get("epoch", []))) if history_csv.is_file() else 0


def trim_history(history_csv: Path, epochs: int) -> None:
    """Keep the rows of epochs ``0 .. epochs-1`` of ``history.csv``, each once (the first)."""
    if not history_csv.is_file():
        return
    with history_csv.open(newline="") as file:
        rows = list(csv.reader(file))
    if not rows:
        return
    kept, seen = [rows[0]], set()
    for row in rows[1:]:
        if row and row[0].isdigit() and int(row[0]) < epochs and row[0] not in seen:
            seen.add(row[0])
            kept.append(row)
    with replacing(history_csv) as partial, partial.open("w", newline="") as file:
        csv.writer(file, lineterminator="\n").writerows(kept)


def check_resumable(run: RunFolder, config: TrainConfig) -> None:
    """Raise :class:`RunFinished` when ``run`` completed (``metrics.json`` written) and ``config``
    asks for no more: all its epochs are done or early stopping ended it. A finished run without a
    backup (made before backups were kept) cannot go on: :class:`UserError`."""
    if not run.metrics.is_file():
        return  # interrupted: training (or writing its results) goes on
    has_backup = (run.backup / BACKUP_METADATA).is_file()
    done = backed_up_epochs(run) if has_backup else history_epochs(run.history)
    _, wait = resume_state(run.history, config.patience)
    if done >= config.epochs:
        raise RunFinished(
            f"{run.root}: finished, {done} of {config.epochs} epochs; nothing changed "
            f"(to train on, resume with more epochs: --epochs {done + 5})"
        )
    if wait >= config.patience:
        raise RunFinished(
            f"{run.root}: stopped early after {done} epochs, no better validation loss in the last "
            f"{config.patience}; nothing changed (to train on, raise --patience too)"
        )
    if not has_backup:
        raise UserError(f"{run.root}: finished without a backup of its last epoch to continue from")
