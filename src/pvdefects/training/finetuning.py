"""Fine-tuning a pretrained backbone: the classifier alone first, then every layer; batch norm frozen.

Keras' transfer-learning recipe (keras.io/guides/transfer_learning): layers set ``trainable=False``
are left out of the gradient step, and a ``BatchNormalization`` layer with ``trainable=False`` runs
in inference mode (its ImageNet statistics stay, whatever the batch), which suits small batches.

The trainer builds the optimizer on every trainable variable before the first epoch freezes the
backbone, so its state has the same variables in both phases and a run checkpointed in either
resumes in either.
"""

from __future__ import annotations

import keras

from pvdefects.models.heads import HEAD


def freeze_batch_norm(model: keras.Model) -> None:
    """Put every ``BatchNormalization`` layer of ``model`` in inference mode, its gamma/beta fixed."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False


class HeadFirst(keras.callbacks.Callback):
    """Train only the classifier (layer ``logits``) during the first ``epochs`` epochs, then every
    layer that was trainable when training began (frozen batch norm stays frozen).

    Decided per epoch from the epoch number, so a run resumed after or during the head epochs gets the
    right phase. Changing what is trainable retraces Keras' training step.
    """

    def __init__(self, epochs: int):
        super().__init__()
        self.epochs = epochs
        self.backbone: list[keras.layers.Layer] | None = None

    def on_train_begin(self, logs=None):
        self.backbone = [
            layer
            for layer in self.model.layers
            if layer.name != HEAD and layer.trainable and layer.trainable_weights
        ]

    def on_epoch_begin(self, epoch, logs=None):
        trainable = epoch >= self.epochs
        if any(layer.trainable != trainable for layer in self.backbone):
            for layer in self.backbone:
                layer.trainable = trainable
            self.model.make_train_function(force=True)
