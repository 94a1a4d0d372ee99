"""Multi-label losses on logits: classes are independent, so each gets its own sigmoid."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="pvdefects")
class MultiLabelLoss(keras.losses.Loss):
    """Sigmoid binary cross-entropy per class, averaged over classes.

    ``pos_weight`` scales the positive term of each class (rare classes count more),
    ``focal_gamma`` > 0 turns it into the focal loss of Lin et al. (easy examples count less),
    ``label_smoothing`` pulls the targets towards 0.5.
    """

    def __init__(self, pos_weight=None, focal_gamma: float = 0.0, label_smoothing: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.pos_weight = None if pos_weight is None else [float(w) for w in pos_weight]
        self.focal_gamma = float(focal_gamma)
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true, y_pred):
        y = ops.cast(y_true, y_pred.dtype)
        y = y * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        log_p = -ops.softplus(-y_pred)  # log(sigmoid(x)), stable
        log_not_p = -ops.softplus(y_pred)  # log(1 - sigmoid(x))
        positive_weight = (
            1.0 if self.pos_weight is None else ops.convert_to_tensor(self.pos_weight, y_pred.dtype)
        )
        loss = -(positive_weight * y * log_p + (1.0 - y) * log_not_p)
        if self.focal_gamma > 0:
            p = ops.sigmoid(y_pred)
            p_true = y * p + (1.0 - y) * (1.0 - p)
            loss = loss * ops.power(1.0 - p_true, self.focal_gamma)
        return ops.mean(loss, axis=-1)

    def get_config(self):
        return super().get_config() | {
            "pos_weight": self.pos_weight,
            "focal_gamma": self.focal_gamma,
            "label_smoothing": self.label_smoothing,
        }


def positive_weights(labels: np.ndarray, mode: str) -> list[float] | None:
    """Per-class weights of positives from label frequencies: negatives/positives ('balanced'),
    its square root ('sqrt', milder) or none."""
    if mode == "none":
        return None
    positives = labels.sum(axis=0).astype(np.float64)
    ratio = (len(labels) - positives) / np.maximum(positives, 1.0)
    return (np.sqrt(ratio) if mode == "sqrt" else ratio).tolist()
