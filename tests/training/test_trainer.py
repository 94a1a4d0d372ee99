"""End-to-end training on the tiny synthetic cells: files, thresholds, interruption and resume."""

import json
from dataclasses import fields

import numpy as np
import pytest

from pvdefects.data.pipeline import Augmentation
from pvdefects.data.sources import load_dataset
from pvdefects.evaluation.metrics import multilabel_metrics
from pvdefects.evaluation.plots import read_history
from pvdefects.inference.predictor import load_predictor
from pvdefects.layout import RunFolder
from pvdefects.models.saving import load_classifier
from pvdefects.training.callbacks import ResumableEarlyStopping, ValidationPass
from pvdefects.training.config import TrainConfig
from pvdefects.training.trainer import TrainingInterrupted, augmentation, resume_state, split_indices, train

TINY = dict(model="simple_cnn", input_size=32, batch_size=8, steps_per_epoch=2, epochs=2, warmup_epochs=0)


def tiny_config(labels_csv, **changes) -> TrainConfig:
    return TrainConfig(labels=str(labels_csv), **(TINY | changes))


def test_training_writes_a_complete_run_folder(labels_csv, tmp_path):
    run = RunFolder(tmp_path / "run")
    result = train(tiny_config(labels_csv), run, verbose=0)
    for path in (
        run.config,
        run.split,
        run.history,
        run.curves,
        run.model,
        run.metrics,
        run.predictions,
        run.thresholds_plot,
        run.best_weights,
    ):
        assert path.exists(), path
    assert list(run.tensorboard.rglob("events.out.tfevents.*"))
    history = read_history(run.history)
    assert len(history["val_loss"]) == result.epochs == 2
    columns = {"loss", "val_mean_f1", "val_f1_crack", "val_f1_inactive", "train_images_per_s", "elapsed_s"}
    assert columns <= set(history)
    assert 0 < history["elapsed_s"][0] < history["elapsed_s"][1] < result.wall_seconds

    model, metadata = load_classifier(run.model)
    assert metadata.class_names == ["crack", "inactive"] and metadata.thresholds == result.thresholds
    assert metadata.architecture == "simple_cnn" and metadata.input_size == 32

    # the stored metrics are those of the saved model on the validation rows at the stored thresholds
    split = json.loads(run.split.read_text())
    data = load_dataset(labels_csv)
    val = data.subset(np.array([data.table.filenames.index(name) for name in split["validation"]]))
    predictor = load_predictor(run.root)
    recomputed = multilabel_metrics(val.labels, predictor.predict(val.images)[0], val.class_names)
    assert recomputed == json.loads(run.metrics.read_text())["validation"]


def test_same_seed_same_model(labels_csv, tmp_path):
    a = train(tiny_config(labels_csv), RunFolder(tmp_path / "a"), verbose=0)
    b = train(tiny_config(labels_csv), RunFolder(tmp_path / "b"), verbose=0)
    assert read_history(a.run.history)["loss"] == pytest.approx(read_history(b.run.history)["loss"], rel=1e-4)


def test_interrupted_run_resumes_where_it_stopped(labels_csv, tmp_path, monkeypatch):
    run = RunFolder(tmp_path / "run")
    config = tiny_config(labels_csv, epochs=3)
    original = ValidationPass.on_epoch_end

    def interrupt_in_second_epoch(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt
        original(self, epoch, logs)

    monkeypatch.setattr(ValidationPass, "on_epoch_end", interrupt_in_second_epoch)
    with pytest.raises(TrainingInterrupted):
        train(config, run, verbose=0)
    assert len(read_history(run.history)["val_loss"]) == 1
    assert not run.model.exists()

    monkeypatch.setattr(ValidationPass, "on_epoch_end", original)
    result = train(config, run, resume=True, verbose=0)
    assert read_history(run.history)["epoch"] == [0, 1, 2]
    assert result.epochs == 3 and run.model.exists()


def test_resume_state_from_history(tmp_path):
    history = tmp_path / "history.csv"
    history.write_text("epoch,loss,val_loss\n0,1,0.9\n1,1,0.5\n2,1,0.7\n3,1,0.6\n")
    assert resume_state(history, patience=8) == (0.5, 2)
    assert resume_state(tmp_path / "absent.csv", patience=8) == (None, 0)


class FakeModel:
    stop_training = False


@pytest.mark.parametrize(("resumed_wait", "stops_after"), [(0, 2), (1, 1)])
def test_early_stopping_counts_from_resumed_state(resumed_wait, stops_after):
    stopper = ResumableEarlyStopping(best=0.5, wait=resumed_wait, monitor="val_loss", patience=2)
    stopper.set_model(FakeModel())
    stopper.on_train_begin()
    for epoch in range(5, 5 + stops_after):  # a resumed run starts at a later epoch
        assert not stopper.model.stop_training
        stopper.on_epoch_end(epoch, {"val_loss": 0.6})
    assert stopper.model.stop_training


def test_augmentation_is_the_aug_settings_by_name():
    """Each ``aug_<name>`` setting is Augmentation's ``<name>``, with the same default: a new
    augmentation needs its setting and its use, nothing that maps one onto the other."""
    settings = {
        f.name.removeprefix("aug_"): f.default for f in fields(TrainConfig) if f.name.startswith("aug_")
    }
    assert {f.name: f.default for f in fields(Augmentation)} == settings
    config = TrainConfig(aug_flips=False, aug_rot90=True, aug_intensity=0.25, aug_shift=0.1)
    assert augmentation(config) == Augmentation(flips=False, rot90=True, intensity=0.25, shift=0.1)


@pytest.mark.parametrize("folds", [0, 5])
def test_split_seed_fixes_the_validation_cells_whatever_the_seed(folds):
    labels = np.random.default_rng(0).integers(0, 2, size=(60, 2))

    def validated(**seeds):
        return split_indices(labels, TrainConfig(folds=folds, fold=1 if folds else 0, **seeds))[1].tolist()

    assert validated(seed=7, split_seed=0) == validated(seed=0) == validated(seed=3, split_seed=0)
    assert validated(seed=0, split_seed=1) == validated(seed=1) != validated(seed=0)


@pytest.mark.parametrize("pretrained", [None, False])
def test_the_pretrained_setting_reaches_the_model(labels_csv, tmp_path, monkeypatch, pretrained):
    import pvdefects.training.trainer as trainer

    asked = []
    original = trainer.create_model

    def recording_create_model(*args, **kwargs):
        asked.append(args[5] if len(args) > 5 else kwargs.get("pretrained"))
        return original(*args, **kwargs)

    monkeypatch.setattr(trainer, "create_model", recording_create_model)
    train(tiny_config(labels_csv, epochs=1, pretrained=pretrained), RunFolder(tmp_path / "run"), verbose=0)
    assert asked == [pretrained]
