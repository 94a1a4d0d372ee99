"""Optimizers and learning-rate schedules by name."""

from __future__ import annotations

import keras

from pvdefects.training.config import TrainConfig


def learning_rate(config: TrainConfig, steps_per_epoch: int):
    """A constant rate, or cosine decay to zero after a linear warm-up."""
    if config.schedule != "cosine":
        return config.learning_rate  # 'plateau' is a callback, see callbacks.py
    warmup = config.warmup_epochs * steps_per_epoch
    total = config.epochs * steps_per_epoch
    if warmup == 0:
        return keras.optimizers.schedules.CosineDecay(config.learning_rate, total)
    return keras.optimizers.schedules.CosineDecay(
        0.0, max(total - warmup, 1), warmup_target=config.learning_rate, warmup_steps=warmup
    )


def build_optimizer(config: TrainConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    """The optimizer; with ``ema_momentum`` it also keeps a moving average of the weights, which
    :class:`~pvdefects.training.callbacks.EMAWeights` swaps in for validation and saving."""
    rate = learning_rate(config, steps_per_epoch)
    decay = config.weight_decay or None
    ema = {"use_ema": True, "ema_momentum": config.ema_momentum} if config.ema_momentum > 0 else {}
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(rate, momentum=config.momentum, nesterov=True, weight_decay=decay, **ema)
    if config.optimizer == "adamw":
        return keras.optimizers.AdamW(rate, weight_decay=config.weight_decay, **ema)
    return keras.optimizers.Adam(rate, weight_decay=decay, **ema)
