import json

import optuna
import pytest

from pvdefects.errors import UserError
from pvdefects.training.config import TrainConfig
from pvdefects.tuning.search_space import (
    DEFAULT_SPACE,
    Choice,
    Fixed,
    Range,
    SearchSpace,
    build_space,
    load_space_file,
    parse_cli_spec,
    parse_dimension,
)


def test_data_forms():
    assert parse_dimension("model", "simple_cnn") == Fixed("simple_cnn")
    assert parse_dimension("model", {"value": "alexnet"}) == Fixed("alexnet")
    assert parse_dimension("batch_size", [16, 32, 16]) == Choice((16, 32))
    assert parse_dimension("batch_size", {"choices": [8]}) == Fixed(8)
    assert parse_dimension("learning_rate", {"low": 1e-4, "high": 1e-2, "log": True}) == Range(
        1e-4, 1e-2, log=True
    )
    assert parse_dimension("balance", {"low": 0, "high": 1}) == Range(0.0, 1.0)  # ints are fine for floats
    assert parse_dimension("epochs", {"low": 2, "high": 10, "step": 2}) == Range(2, 10, step=2, integer=True)


def test_command_line_forms():
    assert parse_cli_spec("learning-rate=1e-4..1e-2:log") == ("learning_rate", Range(1e-4, 1e-2, log=True))
    assert parse_cli_spec("batch_size=16,32") == ("batch_size", Choice((16, 32)))
    assert parse_cli_spec("optimizer=adam,sgd") == ("optimizer", Choice(("adam", "sgd")))
    assert parse_cli_spec("model=simple_cnn") == ("model", Fixed("simple_cnn"))
    assert parse_cli_spec("aug_flips=false") == ("aug_flips", Fixed(False))
    assert parse_cli_spec("input_size=32..64") == ("input_size", Range(32, 64, integer=True))


@pytest.mark.parametrize(
    "spec",
    [
        "colour=red",  # unknown field
        "batch_size=big",  # wrong type
        "batch_size=16.5",
        "aug_flips=1",
        "learning_rate=1e-2..1e-4",  # low >= high
        "weight_decay=0..1e-2:log",  # log scale needs low > 0
        "learning_rate=1e-4..1e-2:sqrt",
        "optimizer=adam..sgd",  # a range of strings
        "model",  # no value
        "=3",
    ],
)
def test_bad_command_line_specs(spec):
    with pytest.raises(UserError):
        parse_cli_spec(spec)


@pytest.mark.parametrize(
    "spec",
    [
        [],
        {"low": 1},
        {"choices": 3},
        {"min": 0, "max": 1},
        {"low": 0.0, "high": 1.0, "log": "yes"},
        {"low": 0.0, "high": 1.0, "step": -0.1},
    ],
)
def test_bad_data_specs(spec):
    with pytest.raises(UserError):
        parse_dimension("dropout", spec)


@pytest.mark.parametrize(
    "dimensions, message",
    [
        ({"optimizer": Choice(("adam", "rmsprop"))}, "optimizer must be one of"),
        ({"balance": Range(0.0, 2.0)}, "balance must be within"),
        ({"input_size": Choice((16, 32))}, "input_size must be at least 32"),
        ({"model": Choice(("simple_cnn", "vgg"))}, "unknown architecture 'vgg'"),
        ({"val_fraction": Range(0.1, 0.3)}, "val_fraction cannot be searched"),
        ({"model": Fixed("simple_cnn")}, "no dimension left to search"),
    ],
)
def test_check_rejects_what_train_would_reject(dimensions, message):
    with pytest.raises(UserError, match=message):
        SearchSpace(dimensions).check(TrainConfig())


def test_fixing_what_cannot_be_searched_is_fine():
    SearchSpace({"seed": Fixed(3), "learning_rate": Range(1e-4, 1e-2, log=True)}).check(TrainConfig())


def test_layers_default_minus_config_then_file_then_command_line(tmp_path):
    space_file = tmp_path / "space.toml"
    space_file.write_text("batch_size = [8, 16]\nlearning_rate = {low = 1e-3, high = 1e-1, log = true}\n")
    space = build_space({"model", "dropout"}, space_file, ["batch_size=4"]).dimensions
    assert "model" not in space and "dropout" not in space  # the base config sets them
    assert space["batch_size"] == Fixed(4)  # the command line wins over the file
    assert space["learning_rate"] == Range(1e-3, 1e-1, log=True)  # the file wins over the defaults
    assert space["optimizer"] == DEFAULT_SPACE["optimizer"]
    assert build_space(set(), None, ["balance=0..1"], use_defaults=False).dimensions == {
        "balance": Range(0.0, 1.0)
    }


def test_space_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "space.toml"
    bad.write_text("optimizer = {choices = 'adam'}\n")
    with pytest.raises(UserError, match="space.toml: optimizer"):
        load_space_file(bad)
    bad.write_text("optimizer = [adam\n")
    with pytest.raises(UserError, match="invalid config file"):
        load_space_file(bad)


def test_round_trip_through_json(tmp_path):
    space = build_space(set())
    path = tmp_path / "space.json"
    path.write_text(json.dumps(space.to_data()))
    assert load_space_file(path) == space.dimensions


def test_conditional_dimensions_are_sampled_only_when_they_matter():
    space = SearchSpace(
        {"loss": Choice(("bce", "focal")), "focal_gamma": Range(0.5, 4.0), "batch_size": Fixed(8)}
    )
    # FixedTrial fails on any parameter it was not given: focal_gamma must not be asked for with bce
    config = space.sample(optuna.trial.FixedTrial({"loss": "bce"}), TrainConfig())
    assert (config.loss, config.focal_gamma, config.batch_size) == ("bce", TrainConfig().focal_gamma, 8)
    config = space.sample(optuna.trial.FixedTrial({"loss": "focal", "focal_gamma": 3.0}), TrainConfig())
    assert (config.loss, config.focal_gamma) == ("focal", 3.0)


def test_a_conditional_dimension_whose_condition_cannot_hold_is_not_searched():
    space = SearchSpace({"loss": Fixed("bce"), "focal_gamma": Range(0.5, 4.0), "momentum": Range(0.8, 0.99)})
    assert space.searched(TrainConfig(optimizer="adam")) == []
    assert space.searched(TrainConfig(optimizer="sgd")) == ["momentum"]
    with pytest.raises(UserError, match="no dimension left"):
        space.check(TrainConfig(optimizer="adam"))
