"""Optimizers and learning-rate schedules by name."""

from __future__ import annotations

import keras

from pvdefects.models.heads import HEAD
from pvdefects.training.config import TrainConfig

OPTIMIZERS = {"adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW, "sgd": keras.optimizers.SGD}


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


def layerwise_rate_scales(model: keras.Model, stem_scale: float) -> dict[str, float]:
    """Discriminative fine-tuning (Howard & Ruder 2018, "Universal Language Model Fine-tuning"): the
    share of the learning rate each trainable variable of ``model`` gets, keyed by ``variable.path``.

    The layers with trainable weights, in the model's order, get ``stem_scale ** (1 - depth)``, depth
    running from 0 at the first to 1 at the last layer before the classifier (each Keras layer is a
    step, so a convolution and its batch norm differ slightly): the stem learns at ``stem_scale`` times
    the rate, the layers after it at shares rising geometrically to 1. The classifier (layer
    ``logits``) is left out: it learns at the full rate. Early layers hold generic ImageNet features
    that a small dataset can spoil; late layers and the new classifier must adapt most.
    """
    body = [layer for layer in model.layers if layer.trainable_weights and layer.name != HEAD]
    last = max(len(body) - 1, 1)
    return {
        variable.path: stem_scale ** (1 - index / last)
        for index, layer in enumerate(body)
        for variable in layer.trainable_weights
    }


class LayerwiseRates:
    """Mixin for a Keras optimizer: each variable steps and decays at the learning rate times its
    share in ``rate_scales`` (``variable.path`` -> share; 1 where absent). Adam-type steps are
    invariant to a scaled gradient, so the rate itself is scaled; the weight decay, which Keras applies
    to every variable at the full rate, is applied here with the variable's rate instead."""

    def __init__(self, *args, rate_scales: dict[str, float], **kwargs):
        super().__init__(*args, **kwargs)
        self.rate_scales = dict(rate_scales)

    def build(self, variables):
        unknown = set(self.rate_scales) - {variable.path for variable in variables}
        if unknown:
            raise ValueError(f"rate_scales name variables the optimizer is not given: {sorted(unknown)[:3]}")
        super().build(variables)
        self._variable_scales = [self.rate_scales.get(variable.path, 1.0) for variable in variables]

    def _apply_weight_decay(self, variables):
        """Left to :meth:`update_step`, which knows each variable's rate."""

    def update_step(self, gradient, variable, learning_rate):
        rate = learning_rate * self._variable_scales[self._get_variable_index(variable)]
        if self.weight_decay is not None and self._use_weight_decay(variable):
            variable.assign_sub(variable * keras.ops.cast(self.weight_decay * rate, variable.dtype))
        super().update_step(gradient, variable, rate)

    def get_config(self):
        return super().get_config() | {"rate_scales": self.rate_scales}


@keras.saving.register_keras_serializable(package="pvdefects")
class LayerwiseAdam(LayerwiseRates, keras.optimizers.Adam):
    """Adam with a share of the learning rate per variable (:class:`LayerwiseRates`)."""


@keras.saving.register_keras_serializable(package="pvdefects")
class LayerwiseAdamW(LayerwiseRates, keras.optimizers.AdamW):
    """AdamW with a share of the learning rate per variable (:class:`LayerwiseRates`)."""


@keras.saving.register_keras_serializable(package="pvdefects")
class LayerwiseSGD(LayerwiseRates, keras.optimizers.SGD):
    """SGD with a share of the learning rate per variable (:class:`LayerwiseRates`)."""


LAYERWISE = {"adam": LayerwiseAdam, "adamw": LayerwiseAdamW, "sgd": LayerwiseSGD}


def build_optimizer(
    config: TrainConfig, steps_per_epoch: int, model: keras.Model | None = None
) -> keras.optimizers.Optimizer:
    """The optimizer; with ``ema_momentum`` it also keeps a moving average of the weights, which
    :class:`~pvdefects.training.callbacks.EMAWeights` swaps in for validation and saving. With
    ``stem_lr_scale`` below 1 the rate of ``model``'s layers falls towards its stem
    (:func:`layerwise_rate_scales`); ``ValueError`` if no ``model`` is given then."""
    options = {"weight_decay": config.weight_decay or None}
    if config.optimizer == "sgd":
        options |= {"momentum": config.momentum, "nesterov": True}
    if config.optimizer == "adamw":
        options["weight_decay"] = config.weight_decay
    if config.ema_momentum > 0:
        options |= {"use_ema": True, "ema_momentum": config.ema_momentum}
    if config.stem_lr_scale == 1:
        return OPTIMIZERS[config.optimizer](learning_rate(config, steps_per_epoch), **options)
    if model is None:
        raise ValueError("stem_lr_scale < 1 needs the model whose layers it scales")
    options["rate_scales"] = layerwise_rate_scales(model, config.stem_lr_scale)
    return LAYERWISE[config.optimizer](learning_rate(config, steps_per_epoch), **options)
