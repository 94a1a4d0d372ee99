"""``pvdefects tune`` end to end on 40 synthetic 32x32 cells: two tiny trials, then one more."""

import csv
import json

import optuna
import pytest
from typer.testing import CliRunner

from pvdefects.cli.main import app
from pvdefects.errors import UserError
from pvdefects.training.config import load_config_file

BASE = """
model = "simple_cnn"
input_size = 32
batch_size = 8
epochs = 2
patience = 2
steps_per_epoch = 2
"""


@pytest.fixture
def study_options(tiny_labels, tmp_path):
    base = tmp_path / "base.toml"
    base.write_text(BASE)
    return [
        "tune",
        "--labels",
        str(tiny_labels),
        "--config",
        str(base),
        "--study-name",
        "tiny",
        "--studies-dir",
        str(tmp_path / "studies"),
        "--sampler-seed",
        "0",
    ]


def invoke(args):
    result = CliRunner().invoke(app, args)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.output


def test_study_writes_trials_report_and_resumes(study_options, tmp_path):
    folder = tmp_path / "studies" / "tiny"
    output = invoke([*study_options, "--n-trials", "2"])
    assert "trial 0:" in output and "trial 1:" in output

    for number in (0, 1):  # every trial is an ordinary run folder with the base settings it did not search
        config = json.loads((folder / "trials" / f"trial-{number:04d}" / "config.json").read_text())
        assert (config["model"], config["input_size"], config["batch_size"]) == ("simple_cnn", 32, 8)
        assert (folder / "trials" / f"trial-{number:04d}" / "model.keras").is_file()
    with open(folder / "trials.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["state"] for row in rows] == ["COMPLETE", "COMPLETE"]
    assert "learning_rate" in rows[0] and "model" not in rows[0]  # searched vs fixed by the base config
    for plot in ("optimization_history", "param_importances", "slices", "intermediate_values"):
        assert (folder / f"{plot}.png").stat().st_size > 1000
    best = load_config_file(folder / "best_config.json")
    study = optuna.load_study(study_name="tiny", storage=f"sqlite:///{folder / 'study.db'}")
    assert best.learning_rate == study.best_trial.params["learning_rate"]
    assert all(
        set(trial.intermediate_values) == {1, 2} for trial in study.trials
    )  # the pruner saw each epoch

    invoke([*study_options, "--n-trials", "1"])  # the same command adds to the same study
    study = optuna.load_study(study_name="tiny", storage=f"sqlite:///{folder / 'study.db'}")
    assert [trial.number for trial in study.trials] == [0, 1, 2]
    assert (folder / "trials" / "trial-0002" / "config.json").is_file()

    with pytest.raises(UserError, match="optimises mean_f1"):
        invoke(
            [
                *study_options,
                "--n-trials",
                "0",
                "--objective",
                "val_loss",
                "-p",
                "loss=bce",
                "-p",
                "pos_weight=none",
            ]
        )


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--param", "optimizer=adam,rmsprop"], "optimizer must be one of"),
        (["--objective", "accuracy"], "--objective must be one of"),
        (["--param", "seed=0..3"], "seed cannot be searched"),
        (["--objective", "val_loss"], "val_loss cannot compare trials that search loss, .*pos_weight"),
    ],
)
def test_bad_options_fail_before_any_trial(study_options, tmp_path, extra, message):
    with pytest.raises(UserError, match=message):
        invoke([*study_options, *extra])
    assert not (tmp_path / "studies" / "tiny").exists()
