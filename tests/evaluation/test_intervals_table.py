"""The cross-validation table with a class whose F1 is undefined (issue 14 item 6b)."""

import numpy as np
from rich.console import Console

from pvdefects.evaluation.bootstrap import bootstrap_intervals
from pvdefects.evaluation.metrics import multilabel_metrics
from pvdefects.evaluation.report import intervals_table


def test_undefined_f1_shows_as_na_and_the_means_rule_is_stated():
    truth = np.zeros((20, 2), np.uint8)
    truth[:8, 0] = 1
    predicted = truth.copy()
    predicted[0, 0] = 0  # crack: 7 of 8 found; inactive: nothing to find, nothing found
    metrics = multilabel_metrics(truth, predicted, ["crack", "inactive"])
    intervals = bootstrap_intervals(truth, predicted, ["crack", "inactive"], resamples=50)
    console = Console(width=200, record=True)
    console.print(intervals_table(metrics, intervals, "out of fold"))
    lines = console.export_text().splitlines()
    inactive = next(line for line in lines if "inactive" in line and "│" in line)
    assert "n/a" in inactive and "0.000 [0.000, 0.000]" in inactive  # precision defined as 0, F1 n/a
    assert any(line.startswith("│ mean F1*") and "0.933" in line for line in lines)  # 14 / 15: crack's F1
    assert any("the mean F1 is over crack" in line for line in lines)
