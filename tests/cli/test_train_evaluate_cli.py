"""The command line as a user meets it: exit codes, one-line errors, nothing half-written."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pvdefects.inference.evaluate import evaluate
from pvdefects.inference.predictor import load_predictor


def pvdefects(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [sys.executable, "-m", "pvdefects.cli.main", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_help_explains_the_commands(tmp_path):
    result = pvdefects("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("train", "evaluate", "models"):
        assert command in result.stdout
    assert "--patience" in pvdefects("train", "--help", cwd=tmp_path).stdout


def test_train_then_evaluate(labels_csv, tmp_path):
    tiny = ["--model", "simple_cnn", "--input-size", "32", "--batch-size", "8", "--steps-per-epoch", "2"]
    result = pvdefects(
        "train", "--labels", str(labels_csv), "--epochs", "1", "--name", "tiny", *tiny, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    run = tmp_path / "runs" / "tiny"
    config = json.loads((run / "config.json").read_text())
    assert (run / "report.html").is_file() and "report: runs/tiny/report.html" in result.stdout
    assert config["model"] == "simple_cnn" and config["epochs"] == 1 and config["labels"] == str(labels_csv)
    assert "mean F1" in result.stdout and "exported as runs/tiny/model.zip" in result.stdout
    assert (run / "model.zip").is_file()  # train concludes like crossval: export, then the report

    out = tmp_path / "metrics.json"
    result = pvdefects("evaluate", str(run), "--labels", str(labels_csv), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = json.loads(out.read_text())
    expected = evaluate(load_predictor(run), labels_csv)
    assert written["mean_f1"] == pytest.approx(expected["mean_f1"])
    for name, values in expected["classes"].items():
        assert written["classes"][name] == pytest.approx(values)

    # 0.5 stays available beside the tuned thresholds; the JSON goes to evaluation.json by default
    result = pvdefects("evaluate", str(run), "--labels", str(labels_csv), "--threshold", "0.5", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    at_half = json.loads((tmp_path / "evaluation.json").read_text())
    assert at_half["thresholds"] == [0.5, 0.5]
    expected = evaluate(load_predictor(run), labels_csv, threshold=0.5)
    for name, values in expected["classes"].items():
        assert at_half["classes"][name] == pytest.approx(values)


def bad_inputs(good_csv: Path) -> dict[str, tuple[Path, str]]:
    """name -> (labels CSV beside ``good_csv``, the text the one-line error must contain).

    A bad image is one row added to the good ones, so that it is the file's only fault (a one-row
    file would also be too small to split)."""
    folder = good_csv.parent
    good = good_csv.read_text()
    (folder / "images" / "broken.png").write_bytes(b"not a png")
    cases = {
        "missing image": (good + "images/absent.png;1;0\n", "absent.png: image not found"),
        "corrupt image": (good + "images/broken.png;1;0\n", "broken.png: unreadable or corrupt"),
        "bad label": ("filename;crack;inactive\nimages/broken.png;1;x\n", "row 2: label 'inactive'"),
        "bad header": ("file;crack\nimages/broken.png;1\n", "row 1: header"),
        "empty": ("", "empty"),
    }
    paths = {}
    for i, (name, (text, message)) in enumerate(cases.items()):
        path = folder / f"case{i}.csv"
        path.write_text(text)
        paths[name] = (path, message)
    return paths


def test_bad_input_one_line_exit_2_nothing_written(tmp_path, labels_csv):
    for name, (csv, message) in bad_inputs(labels_csv).items():
        result = pvdefects("train", "--labels", str(csv), "--name", "never", cwd=tmp_path)
        assert result.returncode == 2, name
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and message in errors[0], (name, result.stderr)
        assert "Traceback" not in result.stderr, name
        assert not (tmp_path / "runs" / "never").exists(), name


def test_bad_option_value_is_a_one_line_error(tmp_path, labels_csv):
    result = pvdefects("train", "--labels", str(labels_csv), "--optimizer", "rmsprop", cwd=tmp_path)
    assert result.returncode == 2 and "optimizer must be one of" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_evaluate_rejects_what_is_not_a_model(tmp_path, labels_csv):
    result = pvdefects("evaluate", str(tmp_path), "--labels", str(labels_csv), cwd=tmp_path)
    assert result.returncode == 2 and "not a model" in result.stderr and "Traceback" not in result.stderr
