"""``pvdefects export``, ``predict`` and ``evaluate`` end to end, and their answers to bad input."""

import csv
import json
import zipfile

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from pvdefects.data.sources import load_dataset
from pvdefects.decisions import apply_thresholds, sigmoid
from pvdefects.evaluation.metrics import multilabel_metrics
from pvdefects.export.archive import zip_folder
from pvdefects.models.saving import load_classifier
from pvdefects.security import archive


def read_predictions(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def test_export_predict_evaluate_round_trip(pvdefects_cli, tiny_run, cells, tmp_path):
    status, out, _ = pvdefects_cli("export", tiny_run.root, "--out", tmp_path / "model.zip")
    assert status == 0 and "model.zip" in out

    unzipped = tmp_path / "fresh"
    with zipfile.ZipFile(tmp_path / "model.zip") as handle:
        handle.extractall(unzipped)
    serving = tf.saved_model.load(str(unzipped)).signatures["serving_default"]
    data = load_dataset(cells)
    outputs = serving(x=tf.constant(data.images, tf.float32))
    assert outputs["y"].shape == (len(data), 2) and set(np.unique(outputs["y"].numpy())) <= {0.0, 1.0}

    status, _, _ = pvdefects_cli(
        "predict", tmp_path / "model.zip", "--csv", cells, "--out", tmp_path / "predictions.csv"
    )
    assert status == 0
    rows = read_predictions(tmp_path / "predictions.csv")
    assert rows[0] == ["filename", "crack", "inactive", "crack_score", "inactive_score"]
    assert [row[0] for row in rows[1:]] == data.table.filenames
    np.testing.assert_array_equal(np.array([row[1:3] for row in rows[1:]], float), outputs["y"].numpy())
    np.testing.assert_allclose(
        np.array([row[3:] for row in rows[1:]], float), outputs["scores"].numpy(), atol=2e-6
    )

    status, out, _ = pvdefects_cli(
        "evaluate", tmp_path / "model.zip", "--labels", cells, "--out", tmp_path / "m.json"
    )
    assert status == 0 and "mean" in out
    model, metadata = load_classifier(tiny_run.model)
    scores = sigmoid(np.asarray(model(data.images.astype(np.float32), training=False)))
    expected = multilabel_metrics(
        data.labels, apply_thresholds(scores, metadata.thresholds), data.class_names
    )
    reported = json.loads((tmp_path / "m.json").read_text())
    assert reported["classes"] == expected["classes"] and reported["mean_f1"] == expected["mean_f1"]


def test_predict_on_files_and_folders_with_tta(pvdefects_cli, tiny_run, cells, tmp_path):
    files = sorted(cells.parent.glob("cell0*.png"))[:3]
    status, out, _ = pvdefects_cli("predict", tiny_run.model, *files, "--out", tmp_path / "files.csv")
    assert status == 0 and "3 images" in out
    assert [row[0] for row in read_predictions(tmp_path / "files.csv")[1:]] == [str(f) for f in files]

    status, _, _ = pvdefects_cli(
        "predict",
        tiny_run.root,
        "--dir",
        cells.parent,
        "--tta",
        "--batch-size",
        "5",
        "--out",
        tmp_path / "dir.csv",
    )
    assert status == 0
    rows = read_predictions(tmp_path / "dir.csv")
    assert len(rows) == 1 + 24 and rows[1][0] == "cell00.png"


def write_bad_zip(path, name):
    with zipfile.ZipFile(path, "w") as handle:
        handle.writestr("saved_model.pb", b"")
        handle.writestr(name, b"x")
    return path


def bad_inputs(tmp_path, cells, tiny_run):
    """name -> (arguments after 'predict MODEL', model) of every bad input the CLI must refuse."""
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    Image.new("LAB", (8, 8)).save(tmp_path / "three_channels.tiff")
    tf.saved_model.save(tf.Module(), str(tmp_path / "unsigned"))
    return {
        "escaping zip": ([cells.parent / "cell00.png"], write_bad_zip(tmp_path / "escape.zip", "../evil")),
        "absolute zip": (
            [cells.parent / "cell00.png"],
            write_bad_zip(tmp_path / "absolute.zip", "/tmp/evil"),
        ),
        "empty zip": ([cells.parent / "cell00.png"], write_bad_zip(tmp_path / "empty.zip", "readme.txt")),
        "no signature": (
            [cells.parent / "cell00.png"],
            zip_folder(tmp_path / "unsigned", tmp_path / "unsigned.zip"),
        ),
        "unreadable image": ([tmp_path / "broken.png"], tiny_run.export),
        "wrong rank image": ([tmp_path / "three_channels.tiff"], tiny_run.export),
        "missing image": ([tmp_path / "absent.png"], tiny_run.export),
        "no images": ([], tiny_run.export),
    }


@pytest.mark.parametrize(
    "case",
    [
        "escaping zip",
        "absolute zip",
        "empty zip",
        "no signature",
        "unreadable image",
        "wrong rank image",
        "missing image",
        "no images",
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_output(pvdefects_cli, tmp_path, cells, tiny_run, case):
    arguments, model = bad_inputs(tmp_path, cells, tiny_run)[case]
    status, _, err = pvdefects_cli("predict", model, *arguments, "--out", tmp_path / "out.csv")
    assert status == 2
    assert err.startswith("error: ") and err.count("\n") == 1
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "out.csv.partial").exists()


def test_oversized_zip_is_refused_by_predict_and_evaluate(
    pvdefects_cli, tmp_path, cells, tiny_run, monkeypatch
):
    monkeypatch.setattr(archive, "DEFAULT_LIMITS", archive.ArchiveLimits(max_total_bytes=1000))
    status, _, err = pvdefects_cli(
        "predict", tiny_run.export, cells.parent / "cell00.png", "--out", tmp_path / "out.csv"
    )
    assert status == 2 and "allowed" in err and not (tmp_path / "out.csv").exists()
    status, _, err = pvdefects_cli(
        "evaluate", tiny_run.export, "--labels", cells, "--out", tmp_path / "m.json"
    )
    assert status == 2 and "allowed" in err and not (tmp_path / "m.json").exists()


def test_export_of_a_non_model_exits_2(pvdefects_cli, tmp_path):
    status, _, err = pvdefects_cli("export", tmp_path)
    assert status == 2 and "not a model to export" in err
    assert list(tmp_path.iterdir()) == []


def test_train_writes_model_zip(pvdefects_cli, cells, tmp_path):
    status, out, _ = pvdefects_cli(
        "train",
        "--labels",
        cells,
        "--model",
        "simple_cnn",
        "--input-size",
        "32",
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--steps-per-epoch",
        "1",
        "--runs-dir",
        tmp_path,
        "--name",
        "run",
    )
    assert status == 0 and "model.zip" in out
    status, _, _ = pvdefects_cli(
        "predict", tmp_path / "run" / "model.zip", cells.parent / "cell00.png", "--out", tmp_path / "p.csv"
    )
    assert status == 0
