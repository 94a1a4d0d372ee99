"""Training settings on the command line: one option per TrainConfig field, resolved in order."""

import dataclasses
import json

import pytest
import typer
from typer.testing import CliRunner

from pvdefects.cli.crossval_command import SET_BY_CROSSVAL
from pvdefects.cli.main import app
from pvdefects.cli.training_options import PANEL, ConfigFile, resolve_config, training_options
from pvdefects.training.config import ARCHITECTURE_DEFAULTS, TrainConfig

ALEXNET_LR = ARCHITECTURE_DEFAULTS["alexnet"]["learning_rate"]


def test_architecture_defaults_apply_when_that_model_is_chosen():
    assert ALEXNET_LR != TrainConfig().learning_rate
    assert resolve_config(None, {"model": "alexnet"}).learning_rate == ALEXNET_LR
    assert resolve_config(None, {}).learning_rate == TrainConfig().learning_rate


def test_options_and_config_files_beat_architecture_defaults(tmp_path):
    assert resolve_config(None, {"model": "alexnet", "learning_rate": 0.01}).learning_rate == 0.01
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"model": "alexnet", "learning_rate": 0.02}))
    assert resolve_config(path, {}).learning_rate == 0.02
    path.write_text(json.dumps({"model": "alexnet"}))
    assert resolve_config(path, {}).learning_rate == ALEXNET_LR


def command_options(command: str) -> dict:
    return {param.name: param for param in typer.main.get_command(app).commands[command].params}


@pytest.mark.parametrize("command", ["train", "crossval", "tune"])
def test_every_setting_is_an_option_and_every_setting_option_a_field(command):
    """A TrainConfig field without its option, or an option among the settings without a field,
    fails here (crossval sets ``fold`` itself, per fold)."""
    fields = {field.name: field for field in dataclasses.fields(TrainConfig)}
    expected = set(fields) - (SET_BY_CROSSVAL if command == "crossval" else set())
    options = command_options(command)
    settings = {name for name, param in options.items() if getattr(param, "rich_help_panel", None) == PANEL}
    assert settings == expected
    for name in settings:
        assert options[name].opts[0] == "--" + name.replace("_", "-")
        assert options[name].help.startswith(fields[name].metadata["help"])


def test_the_command_receives_exactly_the_settings_typed():
    received = {}

    @training_options()
    def command(config: ConfigFile = None, settings: dict | None = None) -> None:
        received.update(config=config, **settings)

    single = typer.Typer()
    single.command()(command)
    arguments = ["--learning-rate", "0.01", "--no-aug-rot90", "--model", "alexnet", "--images-root", "cells"]
    result = CliRunner().invoke(single, arguments)
    assert result.exit_code == 0, result.output
    assert received == {
        "config": None,
        "learning_rate": 0.01,
        "aug_rot90": False,
        "model": "alexnet",
        "images_root": "cells",
    }
