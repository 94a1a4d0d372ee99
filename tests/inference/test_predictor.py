"""Predictor's batching, test-time augmentation and file scoring, with a stand-in model."""

import numpy as np
import pytest
from PIL import Image

from pvdefects.data.predictions import write_predictions
from pvdefects.errors import UserError
from pvdefects.inference.predict_files import predict_files
from pvdefects.inference.predictor import Predictor
from pvdefects.inference.tta import dihedral_views


def mean_and_corner(batch):
    """Scores: the image mean / 255 and its top-left pixel / 255 (orientation-dependent); decisions at 0.5."""
    scores = np.stack([batch.mean(axis=(1, 2, 3)), batch[:, 0, 0, 0]], axis=1) / 255.0
    return (scores >= 0.5).astype(np.float32), scores.astype(np.float32)


def make_predictor(calls=None):
    def run_batch(batch):
        if calls is not None:
            calls.append(batch.shape)
        return mean_and_corner(batch)

    return Predictor(["mean", "corner"], [0.5, 0.3], run_batch, "stand-in")


def test_predict_batches_in_order():
    calls = []
    images = np.arange(5 * 4 * 4, dtype=np.uint8).reshape(5, 4, 4, 1)
    decisions, scores = make_predictor(calls).predict(images, batch_size=2)
    assert [shape[0] for shape in calls] == [2, 2, 1]
    np.testing.assert_allclose(scores, mean_and_corner(images.astype(np.float32))[1], rtol=1e-6)
    assert decisions.dtype == np.uint8 and decisions.shape == (5, 2)


def test_dihedral_views():
    square = np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1)
    views = [view[0, :, :, 0] for view in dihedral_views(square)]
    assert len({view.tobytes() for view in views}) == 8
    assert len(list(dihedral_views(np.zeros((1, 2, 3, 1))))) == 4


def test_tta_averages_scores_and_applies_the_thresholds():
    image = np.zeros((1, 4, 4, 1), np.uint8)
    image[0, 0, 0] = 255  # one bright corner of four: the corner score averages to 1/4
    decisions, scores = make_predictor().predict(image, tta=True)
    np.testing.assert_allclose(scores[0], [255 / 16 / 255, 0.25], rtol=1e-6)
    np.testing.assert_array_equal(decisions[0], [0, 0])  # 0.25 < threshold 0.3 (the stand-in's own y said 1)


def test_predict_files_scores_mixed_sizes_in_order(tmp_path):
    sizes = [(4, 4), (4, 4), (6, 5), (4, 4)]
    paths = []
    for i, size in enumerate(sizes):
        paths.append(tmp_path / f"{i}.png")
        Image.fromarray(np.full(size, 50 * i, np.uint8)).save(paths[-1])
    calls, done = [], []
    result = predict_files(make_predictor(calls), paths, batch_size=3, on_batch=done.append)
    np.testing.assert_allclose(result.scores[:, 0], [0, 50 / 255, 100 / 255, 150 / 255], rtol=1e-6)
    assert [shape[:3] for shape in calls] == [(2, 4, 4), (1, 6, 5), (1, 4, 4)]
    assert done == [3, 1] and result.scored == [0, 1, 2, 3] and result.unreadable == []


def test_predict_files_skips_unreadable_files_only_when_asked(tmp_path):
    paths = [tmp_path / "a.png", tmp_path / "broken.png", tmp_path / "deep.tif"]
    Image.fromarray(np.full((4, 4), 51, np.uint8)).save(paths[0])
    paths[1].write_bytes(b"not an image")
    Image.fromarray(np.full((4, 4), 2048, np.uint16)).save(paths[2])  # 12-bit data: 2048 -> 127.53
    with pytest.raises(UserError, match="broken.png: unreadable or corrupt image"):
        predict_files(make_predictor(), paths)
    result = predict_files(make_predictor(), paths, skip_unreadable=True)
    assert result.scored == [0, 2] and len(result.unreadable) == 1 and "broken.png" in result.unreadable[0]
    np.testing.assert_allclose(result.scores[:, 0], [0.2, 2048 * 255 / 4095 / 255], rtol=1e-6)


def test_write_predictions(tmp_path):
    path = write_predictions(
        tmp_path / "p.csv", ["a.png"], ["crack", "inactive"], np.array([[1, 0]]), np.array([[0.9, 0.1]])
    )
    assert (
        path.read_text()
        == "filename;crack;inactive;crack_score;inactive_score\na.png;1;0;0.900000;0.100000\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["p.csv"]
