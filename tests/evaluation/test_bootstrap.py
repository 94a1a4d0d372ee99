"""Bootstrap intervals of the per-class metrics."""

import numpy as np
import pytest

from pvdefects.evaluation.bootstrap import bootstrap_intervals
from pvdefects.evaluation.metrics import multilabel_metrics

CLASSES = ["crack", "inactive"]


def noisy_predictions(n=400, seed=1):
    rng = np.random.default_rng(seed)
    truth = (rng.random((n, 2)) < [0.3, 0.08]).astype(np.uint8)
    predicted = np.where(rng.random((n, 2)) < 0.15, 1 - truth, truth).astype(np.uint8)
    return truth, predicted


def test_intervals_contain_the_point_estimates():
    truth, predicted = noisy_predictions()
    point = multilabel_metrics(truth, predicted, CLASSES)
    intervals = bootstrap_intervals(truth, predicted, CLASSES, resamples=500)
    for name in CLASSES:
        for metric in ("precision", "recall", "specificity", "f1"):
            low, high = intervals["classes"][name][metric]
            assert low <= point["classes"][name][metric] <= high and low < high, (name, metric)
    assert intervals["mean_f1"][0] <= point["mean_f1"] <= intervals["mean_f1"][1]


def test_same_seed_same_intervals_and_rare_class_is_wider():
    truth, predicted = noisy_predictions()
    a = bootstrap_intervals(truth, predicted, CLASSES, resamples=300, seed=7)
    assert a == bootstrap_intervals(truth, predicted, CLASSES, resamples=300, seed=7)
    assert a != bootstrap_intervals(truth, predicted, CLASSES, resamples=300, seed=8)
    width = {name: np.diff(a["classes"][name]["f1"])[0] for name in CLASSES}
    assert width["inactive"] > width["crack"]  # fewer positives, less certainty


def test_perfect_predictions_give_a_point_interval():
    truth, _ = noisy_predictions()
    intervals = bootstrap_intervals(truth, truth, CLASSES, resamples=100)
    assert intervals["classes"]["crack"]["f1"] == [1.0, 1.0] and intervals["mean_f1"] == [1.0, 1.0]


def test_mismatched_shapes_are_refused():
    truth, predicted = noisy_predictions()
    with pytest.raises(ValueError):
        bootstrap_intervals(truth, predicted[:, :1], CLASSES)


def test_a_class_without_positives_follows_the_mean_rule_of_the_point_estimate():
    truth, predicted = noisy_predictions()
    truth[:, 1] = predicted[:, 1] = 0  # inactive: nothing to find, nothing found
    point = multilabel_metrics(truth, predicted, CLASSES)
    intervals = bootstrap_intervals(truth, predicted, CLASSES, resamples=300)
    assert intervals["classes"]["inactive"]["f1"] == [None, None]
    assert intervals["mean_f1"] == intervals["classes"]["crack"]["f1"]  # the mean is over crack alone
    assert intervals["mean_f1"][0] <= point["mean_f1"] <= intervals["mean_f1"][1]
