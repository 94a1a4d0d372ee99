"""Loading labelled cells: the training and validation cells are one array, held once."""

import numpy as np

from pvdefects.data.sources import load_dataset, load_split, open_labels


def test_split_cells_are_views_of_one_array_equal_to_subsets(labels_csv):
    table, root = open_labels(labels_csv)
    train_rows, val_rows = np.array([5, 0, 3, 7]), np.array([1, 6])
    train_set, val_set = load_split(table, root, 32, train_rows, val_rows)
    assert train_set.images.base is not None and train_set.images.base is val_set.images.base  # one array
    assert train_set.images.shape == (4, 32, 32, 1) and val_set.images.shape == (2, 32, 32, 1)
    everything = load_dataset(labels_csv, size=32)
    for part, rows in ((train_set, train_rows), (val_set, val_rows)):
        np.testing.assert_array_equal(part.images, everything.images[rows])
        np.testing.assert_array_equal(part.labels, everything.labels[rows])
        assert part.table.filenames == [everything.table.filenames[i] for i in rows]
