"""``pvdefects explain`` as a user meets it: heatmaps and scores written, bad input in one line."""

from __future__ import annotations

import zipfile

import keras
import numpy as np
import pytest
from PIL import Image

from pvdefects.data.predictions import read_predictions
from pvdefects.models.saving import ModelMetadata, save_classifier


@pytest.fixture(scope="module")
def run(tmp_path_factory, untrained_run):
    return untrained_run(tmp_path_factory.mktemp("explain"), n=4, size=48)


def test_heatmaps_and_scores(run, tmp_path, pvdefects_cli):
    images = sorted((run.root.parent / "cells" / "images").glob("*.png"))[:3]
    out = tmp_path / "heatmaps"
    code, stdout, _ = pvdefects_cli("explain", run.root, *images, "--out", out, "--batch-size", 2)
    assert code == 0 and "wrote 6 heatmaps of 3 images" in stdout
    for image in images:
        for name in ("crack", "inactive"):
            heatmap = Image.open(out / f"{image.stem}.{name}.png")
            assert heatmap.mode == "RGB" and heatmap.size == (48, 48)  # over the cell, at its size
    filenames, names, decisions, scores = read_predictions(out / "scores.csv")
    assert filenames == [str(image) for image in images] and names == ["crack", "inactive"]
    np.testing.assert_array_equal(decisions, scores >= np.array([[0.5, 0.4]]))

    plain = np.asarray(Image.open(out / f"{images[0].stem}.crack.png"))
    code, stdout, _ = pvdefects_cli(
        "explain", run.model, images[0], "--out", out, "--class", "crack", "--method", "gradcam++"
    )
    assert code == 0 and "wrote 1 heatmap of 1 image (crack)" in stdout
    assert not np.array_equal(np.asarray(Image.open(out / f"{images[0].stem}.crack.png")), plain)


def dense_model(path):
    inputs = keras.Input((None, None, 1))
    outputs = keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(inputs))
    save_classifier(
        keras.Model(inputs, outputs), ModelMetadata(["crack", "inactive"], [0.5, 0.5], "dense", 32), path
    )
    return path


def savedmodel_zip(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model/saved_model.pb", b"")
    return path


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing image", "absent.png: image not found"),
        ("unknown class", "unknown class 'dirt'; the model's classes: crack, inactive (or all)"),
        ("unknown layer", "has no layer 'conv9'"),
        ("unknown method", "unknown --method 'lime'; choose one of: gradcam, gradcam++"),
        ("no convolution", "has no convolutional layer"),
        ("corrupt second image", "broken.png: unreadable or corrupt image"),
        (
            "model.zip",
            "a SavedModel has no Keras layers to explain; heatmaps need the run folder or its model.keras",
        ),
    ],
)
def test_bad_input_is_one_line(run, tmp_path, pvdefects_cli, case, message):
    image = next((run.root.parent / "cells" / "images").glob("*.png"))
    model, extra = run.root, []
    if case == "missing image":
        image = tmp_path / "absent.png"
    elif case == "unknown class":
        extra = ["--class", "dirt"]
    elif case == "unknown layer":
        extra = ["--layer", "conv9"]
    elif case == "unknown method":
        extra = ["--method", "lime"]
    elif case == "corrupt second image":
        (tmp_path / "broken.png").write_bytes(b"not a png")
        extra = [tmp_path / "broken.png", "--batch-size", 1]  # the first image's heatmaps are drawn
    elif case == "no convolution":
        model = dense_model(tmp_path / "dense.keras")
    else:
        model = savedmodel_zip(tmp_path / "model.zip")
    out = tmp_path / "out"
    code, _, stderr = pvdefects_cli("explain", model, image, "--out", out, *extra)
    assert code == 2 and message in stderr and stderr.count("\n") == 1, stderr
    assert not out.exists() and not list(tmp_path.glob(".out.partial-*"))  # nothing written
