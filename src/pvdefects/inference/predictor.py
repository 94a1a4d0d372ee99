"""One interface over every form a trained model takes (a run folder, a ``.keras`` file, ...).

Prediction, evaluation and (later) scoring only need scores per class, the class names and the
decision thresholds; :class:`Predictor` gives exactly that, whatever the model's form.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from pvdefects.data.pipeline import inference_dataset
from pvdefects.errors import UserError
from pvdefects.evaluation.metrics import apply_thresholds


@dataclass
class Predictor:
    class_names: list[str]
    thresholds: list[float]
    score_batch: Callable[[np.ndarray], np.ndarray]  # float32 [B, H, W, 1] 0-255 -> sigmoid scores [B, C]
    description: str

    def scores(self, images: np.ndarray, batch_size: int = 32) -> np.ndarray:
        """Sigmoid scores ``[N, C]`` for uint8 or float images ``[N, H, W, 1]``."""
        batches = [self.score_batch(batch.numpy()) for batch in inference_dataset(images, batch_size)]
        return np.concatenate(batches) if batches else np.zeros((0, len(self.class_names)), np.float32)

    def decisions(self, scores: np.ndarray) -> np.ndarray:
        return apply_thresholds(scores, self.thresholds)


def keras_predictor(path: Path) -> Predictor:
    from pvdefects.models.saving import load_classifier
    from pvdefects.training.callbacks import sigmoid

    model, metadata = load_classifier(path)
    return Predictor(
        metadata.class_names,
        metadata.thresholds,
        lambda batch: sigmoid(np.asarray(model(batch, training=False))),
        f"{metadata.architecture} ({path})",
    )


def load_predictor(path: str | Path) -> Predictor:
    """A run folder (its ``model.keras``) or a ``.keras`` file."""
    path = Path(path)
    if path.is_dir() and (path / "model.keras").is_file():
        return keras_predictor(path / "model.keras")
    if path.is_file() and path.suffix == ".keras":
        return keras_predictor(path)
    raise UserError(f"{path}: not a model (expected a run folder with model.keras, or a .keras file)")
