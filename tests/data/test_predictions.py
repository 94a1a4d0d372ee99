"""The predictions CSV reads back as it was written; another layout is one line naming the file and row."""

from __future__ import annotations

import numpy as np
import pytest

from pvdefects.data.predictions import read_predictions, write_predictions
from pvdefects.errors import UserError


def test_predictions_read_back(tmp_path):
    scores = np.array([[0.25, 0.875], [0.5, 0.0625]], np.float32)
    path = write_predictions(
        tmp_path / "p.csv", ["a.png", "b/c.png"], ["crack", "inactive"], np.eye(2), scores
    )
    filenames, names, values, read_scores = read_predictions(path)
    assert filenames == ["a.png", "b/c.png"] and names == ["crack", "inactive"]
    np.testing.assert_array_equal(values, np.eye(2, dtype=np.uint8))
    np.testing.assert_array_equal(read_scores, scores)


@pytest.mark.parametrize(
    "text, message",
    [
        ("filename;crack;inactive\na.png;1;0\n", "row 1: header"),
        ("filename;crack;crack_score\na.png;1\n", "row 2: 2 columns, expected 3"),
        ("filename;crack;crack_score\na.png;1;high\n", "not a predictions file"),
    ],
)
def test_another_layout_is_one_line(tmp_path, text, message):
    (tmp_path / "p.csv").write_text(text)
    with pytest.raises(UserError, match=message):
        read_predictions(tmp_path / "p.csv")
