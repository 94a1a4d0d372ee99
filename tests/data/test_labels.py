from pathlib import Path

import numpy as np
import pytest

from pvdefects.data.labels import read_labels_csv
from pvdefects.errors import UserError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "labels.csv"
    path.write_text(text)
    return path


def test_reads_classes_from_header_and_labels(tmp_path):
    table = read_labels_csv(write(tmp_path, "filename;crack;inactive\na.png;1;0\nb.png;0;1\nc.png;0;0\n"))
    assert table.class_names == ["crack", "inactive"]
    assert table.filenames == ["a.png", "b.png", "c.png"]
    np.testing.assert_array_equal(table.labels, [[1, 0], [0, 1], [0, 0]])


def test_any_number_of_classes(tmp_path):
    table = read_labels_csv(write(tmp_path, "filename;a;b;c\nx.png;1;0;1\n"))
    assert table.class_names == ["a", "b", "c"] and table.labels.shape == (1, 3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("filename,crack,inactive\na.png,1,0\n", "row 1: header"),
        ("name;crack\na.png;1\n", "row 1: header"),
        ("filename;crack;inactive\n", "no rows"),
        ("filename;crack;inactive\na.png;1;2\n", "row 2: label 'inactive' must be 0 or 1, got '2'"),
        ("filename;crack;inactive\na.png;1;0\nb.png;yes;0\n", "row 3: label 'crack'"),
        (
            "filename;crack;inactive\na.png;1;0\na.png;0;0\n",
            "row 3: duplicate filename 'a.png' (first on row 2)",
        ),
        ("filename;crack;inactive\na.png;1\n", "row 2: expected 3"),
        ("filename;crack;crack\na.png;1;0\n", "class names repeat"),
    ],
)
def test_bad_files_name_the_row(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(UserError, match=None) as error:
        read_labels_csv(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="not found"):
        read_labels_csv(tmp_path / "nope.csv")
