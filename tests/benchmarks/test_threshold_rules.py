"""benchmarks/threshold_rules.py: threshold rules scored at thresholds chosen on the other folds."""

import numpy as np
import pytest

from pvdefects.data.predictions import write_predictions
from pvdefects.layout import CrossValFolder
from pvdefects.training.config import TrainConfig
from pvdefects.training.crossval import cross_fitted_decisions, fold_configs
from pvdefects.training.trainer import split_indices

NAMES = ["crack", "inactive"]


@pytest.fixture(scope="module")
def rules(benchmark_script):
    return benchmark_script("threshold_rules")


def finished_cv(root) -> CrossValFolder:
    """A finished 5-fold cross-validation of 300 cells whose scores are the labels plus noise."""
    rng = np.random.default_rng(1)
    labels = (rng.uniform(size=(300, 2)) < [0.25, 0.1]).astype(np.uint8)
    scores = np.clip(0.4 * labels + rng.normal(0.3, 0.2, labels.shape), 0, 1).astype(np.float32)
    folder = CrossValFolder(root)
    folder.root.mkdir(parents=True)
    TrainConfig(labels="labels.csv", folds=5).save(folder.config)
    write_predictions(folder.predictions, [f"cell{i:03d}.png" for i in range(300)], NAMES, labels, scores)
    return folder


def test_each_fold_is_decided_at_thresholds_tuned_on_the_other_folds_only():
    rng = np.random.default_rng(0)
    labels = (rng.uniform(size=(100, 2)) < 0.3).astype(np.uint8)
    scores = rng.uniform(size=(100, 2)).astype(np.float32)
    configs = fold_configs(TrainConfig(labels="labels.csv"), 5)
    tuned_on = []

    def tune(truth, tuning):
        tuned_on.append(len(truth))
        return [float(np.median(tuning[:, c])) for c in range(truth.shape[1])]

    decisions = cross_fitted_decisions(labels, scores, configs, NAMES, tune)
    for config in configs:
        train_idx, val_idx = split_indices(labels, config, NAMES)
        expected = scores[val_idx] >= np.median(scores[train_idx], axis=0)
        np.testing.assert_array_equal(decisions[val_idx], expected)
    assert tuned_on == [100 - len(split_indices(labels, c, NAMES)[1]) for c in configs]


def test_the_resampling_rules_pick_thresholds_near_the_f1_peak(rules):
    rng = np.random.default_rng(2)
    truth = (rng.uniform(size=400) < 0.2).astype(np.uint8)
    scores = np.clip(0.5 * truth + rng.normal(0.25, 0.15, 400), 0, 1)
    peak = rules.rules()["F1 peak"](truth, scores, rng)
    for name in ("bagged", "expected F1"):
        threshold = rules.rules()[name](truth, scores, np.random.default_rng(0))
        assert abs(threshold - peak) < 0.1, name
        assert 0.2 < threshold < 0.7, name  # between the two classes' score means (0.25, 0.75)


def test_every_rule_is_tabled_for_every_cross_validation(rules, tmp_path):
    folder = finished_cv(tmp_path / "cv")
    results = rules.measure([folder.root])
    figures = results[str(folder.root)]
    assert list(figures) == ["F1 peak", "bagged", "expected F1"]
    for mean, classes in figures.values():
        assert 0.5 < mean < 1 and mean == pytest.approx(np.mean(list(classes.values())))
    markdown = rules.section(results, "python benchmarks/threshold_rules.py cv")
    mean, classes = figures["bagged"]
    assert f"{mean:.3f} ({classes['inactive']:.3f})" in markdown and "(`inactive` F1 in brackets)" in markdown
    difference = figures["bagged"][0] - figures["F1 peak"][0]
    assert f"bagged − F1 peak: {difference:+.4f} mean F1 on average over 1 cross-validations" in markdown
