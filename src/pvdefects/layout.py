"""What the commands write where: the files of a run folder, in one place, so that every command
(and every reader of runs) finds the same files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunFolder:
    """A training run (``pvdefects train``; also each fold and each trial)."""

    root: Path

    config = property(lambda self: self.root / "config.json")
    split = property(lambda self: self.root / "split.json")
    history = property(lambda self: self.root / "history.csv")
    curves = property(lambda self: self.root / "curves.png")
    best_weights = property(lambda self: self.root / "checkpoints" / "best.weights.h5")
    backup = property(lambda self: self.root / "checkpoints" / "backup")
    tensorboard = property(lambda self: self.root / "tensorboard")
    model = property(lambda self: self.root / "model.keras")
    export = property(lambda self: self.root / "model.zip")  # the SavedModel submission
    metrics = property(lambda self: self.root / "metrics.json")
    predictions = property(lambda self: self.root / "val_predictions.csv")
    thresholds_plot = property(lambda self: self.root / "pr_curves.png")

    def create(self) -> None:
        (self.root / "checkpoints").mkdir(parents=True, exist_ok=True)
