"""K-fold cross-validation: out-of-fold scores, OOF thresholds, the exported ensemble, reruns, the CLI."""

import json
import shutil

import numpy as np
import pytest
from rich.console import Console
from synthetic import write_dataset

from pvdefects.data.sources import load_dataset
from pvdefects.decisions import sigmoid
from pvdefects.evaluation.thresholds import tune_thresholds
from pvdefects.export.savedmodel import export_classifier
from pvdefects.inference.savedmodel import load_submission
from pvdefects.inference.tta import dihedral_views
from pvdefects.layout import CrossValFolder
from pvdefects.models.saving import ModelMetadata, load_classifier
from pvdefects.training import crossval as crossval_module
from pvdefects.training.config import load_config_file
from pvdefects.training.crossval import cross_validate

FOLDS = 2
TINY_TOML = (
    'model = "simple_cnn"\ninput_size = 32\nepochs = 1\nbatch_size = 8\nsteps_per_epoch = 2\n'
    "warmup_epochs = 0\n"
)


def run_quietly(toml, folder, data):
    """The 2-fold cross-validation of the tests, with TTA and 200 bootstrap resamples, printing nothing."""
    return cross_validate(
        load_config_file(toml),
        folder,
        FOLDS,
        tta=True,
        resamples=200,
        data=data,
        verbose=0,
        console=Console(quiet=True),
    )


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A 40-cell 32x32 data set, a tiny config file, and one 2-fold cross-validation with TTA."""
    root = tmp_path_factory.mktemp("crossval")
    labels = write_dataset(root / "cells", n=40, size=32)
    toml = root / "tiny.toml"
    toml.write_text(TINY_TOML + f'labels = "{labels}"\n')
    data = load_dataset(labels)
    folder = CrossValFolder(root / "runs" / "cv")
    result = run_quietly(toml, folder, data)
    return toml, data, folder, result


def fold_scores(folder, images, tta):
    """Each fold model's sigmoid scores, computed directly with Keras (and NumPy's views)."""
    models = [load_classifier(folder.fold(k).model)[0] for k in range(FOLDS)]
    views = list(dihedral_views(images)) if tta else [images]
    return [
        np.mean([sigmoid(np.asarray(m(np.ascontiguousarray(v), training=False))) for v in views], axis=0)
        for m in models
    ]


def test_every_row_is_scored_once_out_of_fold(setup):
    _, data, folder, result = setup
    validated = [json.loads(folder.fold(k).split.read_text())["validation"] for k in range(FOLDS)]
    assert sorted(sum(validated, [])) == sorted(
        data.table.filenames
    )  # each row validated by exactly one fold
    lines = folder.predictions.read_text().splitlines()
    assert lines[0] == "filename;crack;inactive;crack_score;inactive_score" and len(lines) == len(data) + 1
    assert [line.split(";")[0] for line in lines[1:]] == data.table.filenames
    # each row's OOF score is the TTA score of the fold model that validated it
    images = data.images.astype(np.float32)
    per_fold = fold_scores(folder, images, tta=True)
    for k, names in enumerate(validated):
        rows = [data.table.filenames.index(name) for name in names]
        np.testing.assert_allclose(result.scores[rows], per_fold[k][rows], atol=1e-5)


def test_thresholds_are_tuned_on_the_oof_scores_and_reported(setup):
    _, data, folder, result = setup
    assert result.thresholds == tune_thresholds(data.labels, result.scores)
    summary = json.loads(folder.metrics.read_text())
    assert summary["thresholds"] == dict(zip(data.class_names, result.thresholds))
    assert summary["out_of_fold"] == result.metrics and summary["folds"] == FOLDS and summary["rows"] == 40
    for name in data.class_names:
        for metric in ("precision", "recall", "specificity", "f1"):
            low, high = summary["out_of_fold_95ci"]["classes"][name][metric]
            assert low <= result.metrics["classes"][name][metric] <= high
    assert len(summary["fold_validation"]) == FOLDS


def test_the_export_averages_the_fold_models_over_the_eight_views(setup):
    _, data, folder, result = setup
    served = load_submission(folder.export)
    assert served.metadata.thresholds == result.thresholds
    assert served.metadata.architecture == "2-fold simple_cnn ensemble with 8-view TTA"
    assert served.metadata.input_size == 32
    images = np.random.default_rng(1).uniform(0, 255, (3, 40, 40, 1)).astype(np.float32)
    y, scores = served(images)
    np.testing.assert_allclose(scores, np.mean(fold_scores(folder, images, tta=True), axis=0), atol=1e-5)
    np.testing.assert_array_equal(y, (scores >= np.asarray(result.thresholds)).astype(np.float32))


def test_an_ensemble_without_tta_averages_plain_scores(setup, tmp_path):
    _, data, folder, _ = setup
    models = [load_classifier(folder.fold(k).model)[0] for k in range(FOLDS)]
    zip_path = export_classifier(
        models, ModelMetadata(data.class_names, [0.5, 0.5], "ensemble", 32), tmp_path / "m.zip"
    )
    images = np.random.default_rng(2).uniform(0, 255, (3, 32, 32, 1)).astype(np.float32)
    _, scores = load_submission(zip_path)(images)
    expected = np.mean(fold_scores(folder, images, tta=False), axis=0)
    np.testing.assert_allclose(scores, expected, atol=1e-5)
    assert np.abs(scores - np.mean(fold_scores(folder, images, tta=True), axis=0)).max() > 1e-4  # TTA matters


def test_rerun_skips_finished_folds_and_refuses_other_settings(setup, tmp_path, monkeypatch):
    toml, data, folder, result = setup
    copy = CrossValFolder(tmp_path / "cv")
    shutil.copytree(folder.root, copy.root)
    monkeypatch.setattr(
        crossval_module, "train", lambda *a, **k: pytest.fail("a finished fold was trained again")
    )
    again = run_quietly(toml, copy, data)
    np.testing.assert_allclose(again.scores, result.scores, atol=1e-6)
    with pytest.raises(crossval_module.UserError, match="trained with other settings .*epochs"):
        cross_validate(
            load_config_file(toml).updated(epochs=2), copy, FOLDS, data=data, console=Console(quiet=True)
        )


def test_cli_reports_intervals_and_resumes(setup, tmp_path, monkeypatch, pvdefects_cli):
    toml, _, folder, _ = setup
    shutil.copytree(folder.root, tmp_path / "cv")
    monkeypatch.setattr(
        crossval_module, "train", lambda *a, **k: pytest.fail("a finished fold was trained again")
    )
    status, out, err = pvdefects_cli(
        "crossval",
        "--config",
        toml,
        "--folds",
        FOLDS,
        "--bootstrap",
        50,
        "--name",
        "cv",
        "--runs-dir",
        tmp_path,
    )
    assert status == 0, err
    assert "out of fold" in out and "mean F1" in out and "model.zip" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--folds", "1"], "fold"),
        (["--bootstrap", "0"], "--bootstrap"),
        (["--config", "absent.toml"], "not found"),
        (["--mixup", "-1"], "mixup"),
    ],
)
def test_cli_bad_input_is_a_one_line_error(args, message, tmp_path, pvdefects_cli):
    status, _, err = pvdefects_cli("crossval", *args, "--runs-dir", tmp_path)
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_benchmark_section_shows_intervals(setup, benchmark_script):
    benchmark = benchmark_script("challenge")
    _, _, folder, result = setup
    markdown = benchmark.section(json.loads(folder.metrics.read_text()), "python benchmarks/challenge.py")
    crack = result.metrics["classes"]["crack"]
    low, high = result.intervals["classes"]["crack"]["f1"]
    assert (
        f"| crack | {crack['precision']:.3f} [" in markdown
        and f"{crack['f1']:.3f} [{low:.3f}, {high:.3f}]" in markdown
    )
    assert (
        f"Out-of-fold mean F1: {result.metrics['mean_f1']:.3f}" in markdown
        and "`python benchmarks/challenge.py`" in markdown
    )
