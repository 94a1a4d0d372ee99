"""``train --resume``: a finished run stays as it is unless given more epochs; the history never
holds an epoch twice (issue 14 item 11)."""

import json
import warnings

import pytest

from pvdefects.errors import InputWarning, UserError
from pvdefects.evaluation.plots import read_history
from pvdefects.layout import RunFolder
from pvdefects.training.config import TrainConfig
from pvdefects.training.resume import BACKUP_METADATA, RunFinished, check_resumable, trim_history
from pvdefects.training.trainer import train

TINY = dict(model="simple_cnn", input_size=32, batch_size=8, steps_per_epoch=2, epochs=2, warmup_epochs=0)


def snapshot(run: RunFolder) -> dict:
    files = (run.history, run.config, run.metrics, run.model, run.best_weights, run.predictions)
    return {path.name: path.read_bytes() for path in files}


def test_finished_run_changes_nothing_unless_given_more_epochs(labels_csv, tmp_path, pvdefects_cli):
    run = RunFolder(tmp_path / "run")
    train(TrainConfig(labels=str(labels_csv), **TINY), run, verbose=0)
    assert (run.backup / BACKUP_METADATA).is_file()  # kept, so that more epochs can follow
    before = snapshot(run)

    status, out, _ = pvdefects_cli("train", "--resume", run.root)
    assert status == 0 and f"{run.root}: finished, 2 of 2 epochs; nothing changed" in " ".join(out.split())
    assert snapshot(run) == before

    status, out, err = pvdefects_cli("train", "--resume", run.root, "--epochs", "3")
    assert status == 0, err
    history = read_history(run.history)
    assert history["epoch"] == [0, 1, 2]  # continued from the last epoch, each epoch once
    assert history["val_loss"][:2] == read_history_bytes(before["history.csv"])["val_loss"]
    assert json.loads(run.config.read_text())["epochs"] == 3
    assert json.loads(run.metrics.read_text())["epochs"] == 3


def read_history_bytes(content: bytes) -> dict:
    lines = content.decode().splitlines()
    header = lines[0].split(",")
    return {key: [float(line.split(",")[i]) for line in lines[1:]] for i, key in enumerate(header)}


def test_resume_may_change_only_how_long_training_goes_on(labels_csv, tmp_path, pvdefects_cli):
    run = tmp_path / "run"
    run.mkdir()
    TrainConfig(labels=str(labels_csv), **TINY).save(run / "config.json")
    status, _, err = pvdefects_cli("train", "--resume", run, "--learning-rate", "0.1")
    assert status == 2
    assert "only --epochs and --patience may change (got --learning-rate)" in " ".join(err.split())


def finished_run(tmp_path, val_losses, backed_up) -> RunFolder:
    run = RunFolder(tmp_path / "run")
    run.backup.mkdir(parents=True)
    rows = [f"{epoch},1.0,{loss}" for epoch, loss in enumerate(val_losses)]
    run.history.write_text("\n".join(["epoch,loss,val_loss", *rows]) + "\n")
    run.metrics.write_text("{}")
    if backed_up is not None:
        (run.backup / BACKUP_METADATA).write_text(json.dumps({"epoch": backed_up, "batch": 0}))
    return run


def test_an_early_stopped_run_needs_more_patience_to_go_on(tmp_path):
    run = finished_run(tmp_path, [0.5, 0.6, 0.7], backed_up=3)
    config = TrainConfig(epochs=10, patience=2)
    with pytest.raises(RunFinished, match="stopped early after 3 epochs"):
        check_resumable(run, config)
    check_resumable(run, TrainConfig(epochs=10, patience=4))  # would go on: no exception


def test_a_finished_run_without_backup_cannot_go_on(tmp_path):
    run = finished_run(tmp_path, [0.5, 0.4], backed_up=None)
    with pytest.raises(RunFinished, match="finished, 2 of 2 epochs"):
        check_resumable(run, TrainConfig(epochs=2))
    with pytest.raises(UserError, match="without a backup of its last epoch"):
        check_resumable(run, TrainConfig(epochs=4))


def test_trim_history_keeps_each_backed_up_epoch_once(tmp_path):
    history = tmp_path / "history.csv"
    history.write_text("epoch,loss\n0,1.0\n1,0.9\n2,0.8\n0,1.1\n1,0.95\n")
    trim_history(history, 2)
    assert history.read_text() == "epoch,loss\n0,1.0\n1,0.9\n"


def test_classes_without_positives_are_named_once_and_their_f1_is_undefined(labels_csv, tmp_path):
    lines = labels_csv.read_text().splitlines()
    labels_csv.write_text("\n".join([lines[0], *(line[:-1] + "0" for line in lines[1:])]) + "\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = train(TrainConfig(labels=str(labels_csv), **TINY), RunFolder(tmp_path / "run"), verbose=0)
    messages = [str(w.message) for w in caught if issubclass(w.category, InputWarning)]
    assert messages == [
        "no positive inactive cell in the labels: the model cannot learn it; "
        "its threshold stays 0.5 and its F1 is undefined"
    ]
    assert not [w for w in caught if "sklearn" in w.filename]  # no raw scikit-learn warnings
    assert result.metrics["classes"]["inactive"]["f1"] is None
    assert result.metrics["mean_f1"] == result.metrics["classes"]["crack"]["f1"]
    assert result.metrics["mean_f1_over"] == ["crack"]


def test_runs_never_resumed_drop_the_backup(labels_csv, tmp_path):
    run = RunFolder(tmp_path / "trial")
    train(TrainConfig(labels=str(labels_csv), **TINY), run, verbose=0, keep_backup=False)
    assert run.model.exists() and not run.backup.exists()
