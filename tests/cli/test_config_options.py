import json

from pvdefects.cli.config_options import resolve_config
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
