"""Repeated K-fold cross-validation and the paired comparison of two cross-validations."""

import json
import shutil

import numpy as np
import pytest
from rich.console import Console
from synthetic import write_dataset

from pvdefects.data.predictions import read_predictions, write_predictions
from pvdefects.data.sources import load_dataset
from pvdefects.errors import UserError
from pvdefects.layout import CrossValFolder
from pvdefects.training.comparison import compare_cross_validations
from pvdefects.training.config import TrainConfig
from pvdefects.training.repeated import repeat_config, repeated_cross_validate

REPEATS = 2
TINY = dict(
    model="simple_cnn", input_size=32, epochs=1, batch_size=8, steps_per_epoch=2, warmup_epochs=0, seed=3
)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A 40-cell data set and its 2 x 2-fold cross-validation, without TTA."""
    root = tmp_path_factory.mktemp("repeated")
    labels = write_dataset(root / "cells", n=40, size=32)
    folder = CrossValFolder(root / "cv")
    summary = repeated_cross_validate(
        TrainConfig(labels=str(labels), **TINY),
        folder,
        REPEATS,
        folds=2,
        tta=False,
        resamples=200,
        data=load_dataset(labels),
        verbose=0,
        console=Console(quiet=True),
    )
    return folder, summary


def repeat(folder: CrossValFolder, r: int) -> CrossValFolder:
    return CrossValFolder(folder.root / f"repeat-{r}")


def test_each_repeat_draws_its_folds_and_the_summary_averages_them(setup):
    folder, summary = setup
    validated = []
    for r in range(REPEATS):
        assert json.loads(repeat(folder, r).config.read_text())["seed"] == TINY["seed"] + r
        assert repeat(folder, r).export.exists()
        validated.append(json.loads(repeat(folder, r).fold(0).split.read_text())["validation"])
    assert validated[0] != validated[1]

    per_repeat = [
        json.loads(repeat(folder, r).metrics.read_text())["out_of_fold_cross_fitted_thresholds"]["mean_f1"]
        for r in range(REPEATS)
    ]
    assert summary["mean_f1_per_repeat"] == pytest.approx(per_repeat)
    assert summary["mean_f1"] == pytest.approx(np.mean(per_repeat))
    low, high = summary["mean_f1_95ci"]
    assert low <= high and summary["repeats"] == REPEATS and summary["rows"] == 40
    assert json.loads(folder.metrics.read_text()) == summary


def perfect_copy(folder: CrossValFolder, destination) -> CrossValFolder:
    """A copy of ``folder`` whose out-of-fold scores are the true labels."""
    shutil.copytree(folder.root, destination)
    copy = CrossValFolder(destination)
    for r in range(REPEATS):
        path = repeat(copy, r).predictions
        filenames, names, labels, _ = read_predictions(path)
        write_predictions(path, filenames, names, labels, labels.astype(np.float32))
    return copy


def test_comparison_pairs_the_cells_of_each_repeat(setup, tmp_path):
    folder, summary = setup
    better = perfect_copy(folder, tmp_path / "perfect")
    result = compare_cross_validations(folder.root, better.root, resamples=200)
    expected = [1 - value for value in summary["mean_f1_per_repeat"]]
    assert result["mean_f1_difference_per_repeat"] == pytest.approx(expected)
    assert result["mean_f1_difference"] == pytest.approx(np.mean(expected))
    low, high = result["mean_f1_difference_95ci"]
    assert (
        0 < low <= result["mean_f1_difference"] <= high and result["mean_f1_difference_b_better_share"] == 1
    )

    same = compare_cross_validations(folder.root, folder.root, resamples=200)
    assert same["mean_f1_difference"] == 0 and same["mean_f1_difference_95ci"] == [0, 0]


def test_comparison_refuses_other_folds(setup, tmp_path, pvdefects_cli):
    folder, _ = setup
    other = tmp_path / "other"
    shutil.copytree(folder.root, other)
    config_path = repeat(CrossValFolder(other), 1).config
    config_path.write_text(json.dumps(json.loads(config_path.read_text()) | {"seed": 99}))
    with pytest.raises(UserError, match="seed"):
        compare_cross_validations(folder.root, other)

    status, _, err = pvdefects_cli("compare", folder.root, other)
    assert status == 2 and "seed" in err and len(err.strip().splitlines()) == 1
    status, _, err = pvdefects_cli("compare", folder.root, tmp_path / "absent")
    assert status == 2 and "not a finished cross-validation" in err


def rewrite_configs(folder: CrossValFolder, change) -> None:
    """Each repeat's config.json replaced by ``change(config)``."""
    for r in range(REPEATS):
        config_path = repeat(folder, r).config
        config_path.write_text(json.dumps(change(json.loads(config_path.read_text()))))


def test_a_fixed_split_seed_pairs_runs_that_differ_in_seed_alone(setup, tmp_path):
    """The training's own noise: the same folds (split_seed), other initial weights and sampler (seed);
    A's configs lack split_seed, as those written before it existed."""
    folder, _ = setup
    old, reseeded = tmp_path / "old", tmp_path / "reseeded"
    shutil.copytree(folder.root, old)
    shutil.copytree(folder.root, reseeded)
    rewrite_configs(
        CrossValFolder(old), lambda config: {k: v for k, v in config.items() if k != "split_seed"}
    )
    rewrite_configs(
        CrossValFolder(reseeded), lambda config: config | {"seed": 99, "split_seed": config["seed"]}
    )
    assert compare_cross_validations(old, reseeded, resamples=100)["mean_f1_difference"] == 0

    rewrite_configs(CrossValFolder(reseeded), lambda config: config | {"split_seed": 99})
    with pytest.raises(UserError, match=r"split seed \(split_seed, else seed\)"):
        compare_cross_validations(old, reseeded)


def test_each_repeat_draws_its_folds_from_a_fixed_split_seed_moved_on(monkeypatch, tmp_path):
    """The configs that the repeats cross-validate (recorded instead of trained)."""
    drawn = []

    class Recorded(Exception):
        pass

    def record(config, *args):
        drawn.append(config)
        if len(drawn) == REPEATS:
            raise Recorded

    monkeypatch.setattr("pvdefects.training.repeated.cross_validate", record)
    labels = write_dataset(tmp_path / "cells", n=12, size=32)
    config = TrainConfig(labels=str(labels), split_seed=0, **TINY | {"seed": 5})
    with pytest.raises(Recorded):
        repeated_cross_validate(
            config,
            CrossValFolder(tmp_path / "cv"),
            REPEATS,
            data=load_dataset(labels),
            console=Console(quiet=True),
        )
    assert [(c.seed, c.split_seed, c.effective_split_seed) for c in drawn] == [(5, 0, 0), (6, 1, 1)]
    assert repeat_config(TrainConfig(seed=5), 1).split_seed is None


def test_comparison_reads_the_folds_from_the_cells_not_from_how_the_labels_path_is_spelled(setup, tmp_path):
    folder, _ = setup
    relative = tmp_path / "relative"
    shutil.copytree(folder.root, relative)
    for r in range(REPEATS):  # the same labels file, as a path relative to another working folder
        config_path = repeat(CrossValFolder(relative), r).config
        config = json.loads(config_path.read_text())
        config_path.write_text(json.dumps(config | {"labels": "../elsewhere/../" + config["labels"]}))
    assert compare_cross_validations(folder.root, relative, resamples=100)["mean_f1_difference"] == 0

    path = repeat(CrossValFolder(relative), 0).predictions  # one cell labelled otherwise: other folds
    filenames, names, labels, scores = read_predictions(path)
    labels[0, 0] = 1 - labels[0, 0]
    write_predictions(path, filenames, names, labels, scores)
    with pytest.raises(UserError, match="differ in labels"):
        compare_cross_validations(folder.root, relative)


def test_cli_prints_the_difference(setup, tmp_path, pvdefects_cli):
    folder, _ = setup
    better = perfect_copy(folder, tmp_path / "perfect")
    status, out, err = pvdefects_cli("compare", folder.root, better.root, "--bootstrap", 100, "--json")
    assert status == 0, err
    assert json.loads(out)["b"] == str(better.root)
    status, out, err = pvdefects_cli("compare", folder.root, better.root, "--bootstrap", 100)
    assert status == 0 and "B - A" in out and "mean" in out


def test_cli_refuses_zero_repeats(tmp_path, pvdefects_cli):
    status, _, err = pvdefects_cli("crossval", "--repeats", 0, "--runs-dir", tmp_path)
    assert status == 2 and "repeats" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
