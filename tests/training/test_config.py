import json
from pathlib import Path

import pytest

from pvdefects.errors import UserError
from pvdefects.training.config import TrainConfig, defaults_for, load_config_file

PRESETS = Path(__file__).resolve().parents[2] / "configs"


def test_file_overrides_defaults_and_updates_override_file(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"model": "alexnet", "learning_rate": 0.01}))
    config = load_config_file(path).updated(learning_rate=0.5, epochs=None)
    assert (config.model, config.learning_rate, config.epochs) == ("alexnet", 0.5, TrainConfig().epochs)


def test_toml_config(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('model = "resnet34"\nbalance = 1.0\n')
    assert load_config_file(path).balance == 1.0


def test_round_trip(tmp_path):
    config = TrainConfig(model="alexnet", dropout=0.3)
    config.save(tmp_path / "config.json")
    assert load_config_file(tmp_path / "config.json") == config


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"optimizer": "rmsprop"}, "optimizer must be one of adam, adamw, sgd"),
        ({"val_fraction": 1.5}, "val_fraction"),
        ({"folds": 5, "fold": 5}, "fold must be in 0..folds-1"),
        ({"balance": 2.0}, "balance"),
        ({"seed": -1}, "seed and split_seed must be >= 0"),
        ({"split_seed": -2}, "seed and split_seed must be >= 0"),
        ({"aug_shift": 0.5}, r"aug_shift must be within \[0, 0.5\)"),
        ({"aug_rotate": 90}, r"aug_rotate must be within \[0, 45\] degrees"),
        ({"aug_scale": -0.1}, r"aug_scale must be within \[0, 0.5\)"),
        ({"drop_connect_rate": 1.0}, r"drop_connect_rate must be within \[0, 1\)"),
        ({"stem_lr_scale": 0.0}, r"stem_lr_scale must be within \(0, 1\]"),
        ({"pooling": "sum"}, "pooling must be one of avg, avgmax, gem"),
        ({"epochs": 0}, "epochs must be at least 1"),
        ({"precision": "float16"}, "precision must be one of auto, float32, bfloat16"),
        ({"strategy": "horovod"}, "strategy must be one of default, mirrored, multiworker"),
    ],
)
def test_invalid_values(changes, message):
    with pytest.raises(UserError, match=message):
        TrainConfig().updated(**changes).validate()


def test_unknown_keys_named(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"learning_rat": 0.1}')
    with pytest.raises(UserError, match="c.json: unknown config keys: learning_rat"):
        load_config_file(path)


@pytest.mark.parametrize("preset", sorted(PRESETS.glob("*.toml")), ids=lambda path: path.name)
def test_the_shipped_presets_load_and_validate(preset):
    config = load_config_file(preset).validate()
    assert config.model in {"efficientnet_lite0", "resnet18", "alexnet"}


def test_the_default_model_is_the_pretrained_recipe_and_the_reference_nets_keep_theirs():
    default = defaults_for(TrainConfig().model)
    assert (default.model, default.input_size, default.epochs, default.precision) == (
        "efficientnet_lite0",
        224,
        8,
        "float32",
    )
    assert (defaults_for("resnet18").epochs, defaults_for("resnet18").pretrained) == (30, None)
