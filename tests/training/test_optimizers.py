"""Optimizers: layer-wise learning-rate decay scales each layer's step, the classifier's not."""

import keras
import numpy as np
import pytest

from pvdefects.evaluation.plots import read_history
from pvdefects.layout import RunFolder
from pvdefects.training.config import TrainConfig
from pvdefects.training.optimizers import build_optimizer, layerwise_rate_scales
from pvdefects.training.trainer import train

LAYERS = ("stem", "middle", "last", "logits")
TINY = dict(model="simple_cnn", input_size=32, batch_size=8, steps_per_epoch=2, warmup_epochs=0)


def tiny_model() -> keras.Model:
    inputs = keras.Input((4,))
    x = inputs
    for name in LAYERS:
        x = keras.layers.Dense(4 if name != "logits" else 2, name=name)(x)
    return keras.Model(inputs, x)


def test_shares_rise_geometrically_from_the_stem_and_the_classifier_gets_the_full_rate():
    scales = layerwise_rate_scales(tiny_model(), 0.01)
    assert scales["stem/kernel"] == pytest.approx(0.01) and scales["stem/bias"] == pytest.approx(0.01)
    assert scales["middle/kernel"] == pytest.approx(0.1)
    assert scales["last/kernel"] == pytest.approx(1.0)
    assert "logits/kernel" not in scales  # full rate


@pytest.mark.parametrize(
    ("optimizer", "gradient", "weight_decay"),
    [("adam", 1.0, 0.0), ("adamw", 1.0, 0.0), ("sgd", 1.0, 0.0), ("adamw", 0.0, 0.1), ("sgd", 0.0, 0.1)],
    ids=["adam", "adamw", "sgd", "adamw-decay-alone", "sgd-decay-alone"],
)
def test_each_layer_steps_and_decays_by_its_share_of_the_rate(optimizer, gradient, weight_decay):
    model = tiny_model()
    config = TrainConfig(
        optimizer=optimizer,
        schedule="constant",
        learning_rate=0.1,
        weight_decay=weight_decay,
        stem_lr_scale=0.01,
    )
    plain = keras.models.clone_model(model)
    plain.set_weights(model.get_weights())
    gradients = [keras.ops.full_like(v, gradient) for v in model.trainable_variables]
    steps = {}
    for name, net, cfg in (("layerwise", model, config), ("plain", plain, config.updated(stem_lr_scale=1.0))):
        before = [v.numpy() for v in net.trainable_variables]
        build_optimizer(cfg, steps_per_epoch=1, model=net).apply(gradients, net.trainable_variables)
        steps[name] = {v.path: np.abs(v.numpy() - b).max() for v, b in zip(net.trainable_variables, before)}
    shares = {"stem/kernel": 0.01, "middle/kernel": 0.1, "last/kernel": 1, "logits/kernel": 1}
    for path, share in shares.items():
        assert steps["plain"][path] > 0
        assert steps["layerwise"][path] == pytest.approx(share * steps["plain"][path], rel=1e-3)


def test_shares_of_variables_the_optimizer_is_not_given_are_an_error():
    model = tiny_model()
    optimizer = build_optimizer(TrainConfig(stem_lr_scale=0.5), steps_per_epoch=1, model=model)
    with pytest.raises(ValueError, match="rate_scales name variables the optimizer is not given"):
        optimizer.build(model.get_layer("logits").trainable_variables)


class StemMove(keras.callbacks.Callback):
    """How far the stem's kernel moved during training (largest change of one weight)."""

    def on_train_begin(self, logs=None):
        self.start = self.model.get_layer("conv1_conv").get_weights()[0]

    def on_train_end(self, logs=None):
        self.moved = np.abs(self.model.get_layer("conv1_conv").get_weights()[0] - self.start).max()


def test_training_with_layerwise_rates_moves_the_stem_less(labels_csv, tmp_path):
    moved = {}
    for scale in (1.0, 0.01):
        stem = StemMove()
        config = TrainConfig(labels=str(labels_csv), stem_lr_scale=scale, epochs=1, **TINY)
        train(config, RunFolder(tmp_path / f"run-{scale}"), verbose=0, extra_callbacks=[stem])
        moved[scale] = stem.moved
    assert 0 < moved[0.01] < 0.1 * moved[1.0]


class FirstStep(keras.callbacks.Callback):
    """The optimizer's step count when training (re)starts."""

    def on_train_begin(self, logs=None):
        self.iterations = int(self.model.optimizer.iterations.numpy())


def test_a_run_with_layerwise_rates_resumes_with_its_optimizer_state(labels_csv, tmp_path):
    """The optimizer state of the ``--resume`` backup loads into the layer-wise optimizer (Keras only
    warns when it does not)."""
    config = TrainConfig(labels=str(labels_csv), stem_lr_scale=0.1, epochs=1, **TINY)
    run = RunFolder(tmp_path / "run")
    train(config, run, verbose=0)
    first = FirstStep()
    result = train(config.updated(epochs=2), run, resume=True, verbose=0, extra_callbacks=[first])
    assert first.iterations == TINY["steps_per_epoch"]  # restored after epoch 1, not started afresh
    assert read_history(run.history)["epoch"] == [0, 1] and result.epochs == 2
