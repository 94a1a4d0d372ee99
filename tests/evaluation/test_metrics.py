import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_score, recall_score

from pvdefects.evaluation.metrics import class_metrics, multilabel_metrics, undefined_f1_note
from pvdefects.evaluation.report import print_metrics
from pvdefects.evaluation.thresholds import best_f1_threshold, tune_thresholds

rng = np.random.default_rng(0)


@pytest.mark.parametrize("seed", range(5))
def test_class_metrics_agree_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    truth = rng.random(60) < 0.3
    predicted = rng.random(60) < 0.4
    m = class_metrics(truth, predicted)
    tn, fp, fn, tp = confusion_matrix(truth, predicted, labels=[0, 1]).ravel()
    assert (m["tp"], m["fp"], m["tn"], m["fn"]) == (tp, fp, tn, fn)
    assert m["precision"] == pytest.approx(precision_score(truth, predicted, zero_division=0))
    assert m["recall"] == pytest.approx(recall_score(truth, predicted, zero_division=0))
    assert m["specificity"] == pytest.approx(recall_score(~truth, ~predicted, zero_division=0))
    assert m["f1"] == pytest.approx(f1_score(truth, predicted, zero_division=0))
    assert m["accuracy"] == pytest.approx(accuracy_score(truth, predicted))


def test_undefined_ratios_are_zero_but_f1_is_undefined():
    m = class_metrics(np.zeros(5), np.zeros(5))
    assert m["precision"] == m["recall"] == 0.0 and m["specificity"] == 1.0 and m["f1"] is None
    assert class_metrics(np.zeros(5), np.array([0, 1, 0, 0, 0]))["f1"] == 0.0  # a false alarm is defined


def test_a_flawless_column_without_positives_does_not_halve_the_mean():
    truth = np.zeros((48, 2), np.uint8)
    truth[:12, 0] = 1
    predicted = truth.copy()
    predicted[:3, 0] = 0  # crack: 9 of 12 found, F1 = 18 / 21; inactive: 48 true negatives
    metrics = multilabel_metrics(truth, predicted, ["crack", "inactive"])
    assert metrics["classes"]["inactive"]["f1"] is None
    assert metrics["mean_f1"] == pytest.approx(18 / 21) and metrics["mean_f1_over"] == ["crack"]
    expected = f1_score(truth, predicted, average="macro", zero_division=np.nan)  # scikit-learn's rule
    assert metrics["mean_f1"] == pytest.approx(expected)
    assert undefined_f1_note(metrics) == (
        "F1 of inactive undefined (no positives, none predicted); the mean F1 is over crack"
    )


def test_table_shows_undefined_f1_and_the_means_rule():
    from rich.console import Console

    truth = np.zeros((4, 2), np.uint8)
    truth[:2, 0] = 1
    console = Console(width=120, record=True)
    print_metrics(multilabel_metrics(truth, truth, ["crack", "inactive"]), console=console)
    text = " ".join(console.export_text().split())  # the caption wraps at the table's width
    assert "n/a" in text and "mean*" in text
    assert "* F1 of inactive undefined (no positives, none predicted); the mean F1 is over crack" in text


def test_mean_f1_over_classes():
    truth = rng.random((50, 2)) < 0.3
    predicted = rng.random((50, 2)) < 0.3
    metrics = multilabel_metrics(truth, predicted, ["crack", "inactive"])
    assert metrics["mean_f1"] == pytest.approx(f1_score(truth, predicted, average="macro", zero_division=0))
    assert list(metrics["classes"]) == ["crack", "inactive"]


def test_tuned_threshold_maximises_f1():
    truth = rng.random(200) < 0.2
    scores = np.clip(truth * 0.3 + rng.random(200) * 0.7, 0, 1)
    threshold = best_f1_threshold(truth, scores)
    tuned = f1_score(truth, scores >= threshold)
    grid = max(f1_score(truth, scores >= t) for t in np.unique(scores))
    assert tuned == pytest.approx(grid)
    assert tuned >= f1_score(truth, scores >= 0.5)


def test_thresholds_default_without_positives():
    truth = np.zeros((10, 2))
    truth[:3, 0] = 1
    thresholds = tune_thresholds(truth, rng.random((10, 2)))
    assert thresholds[1] == 0.5
