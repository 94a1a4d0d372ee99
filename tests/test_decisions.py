"""Logits -> scores -> decisions, checked against values worked out by hand."""

import numpy as np

from pvdefects.decisions import apply_thresholds, sigmoid


def test_sigmoid_of_known_logits():
    np.testing.assert_allclose(
        sigmoid(np.array([[0.0, np.log(3.0)], [-np.log(3.0), 50.0]])), [[0.5, 0.75], [0.25, 1.0]]
    )


def test_apply_thresholds_per_class():
    scores = np.array([[0.2, 0.9], [0.6, 0.3]])
    np.testing.assert_array_equal(apply_thresholds(scores, [0.5, 0.3]), [[0, 1], [1, 1]])
