"""End to end: honest exports score exactly as in-process evaluation; hostile ones get one line, exit 2."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from submissions import CLASS_NAMES, decisions_like, export_honest

import pvdefects.security.score as score_module
from pvdefects.data.sources import load_dataset
from pvdefects.decisions import apply_thresholds, sigmoid
from pvdefects.inference.evaluate import evaluate
from pvdefects.inference.predictor import Predictor
from pvdefects.models import create_model
from pvdefects.security.rejected import Rejected
from pvdefects.security.sandbox import SandboxLimits, SandboxUnavailable
from pvdefects.security.score import predict_untrusted, score_untrusted

SOURCE = Path(__file__).resolve().parents[2] / "src"
LIMITS = SandboxLimits(wall_seconds=60, memory_bytes=4 << 30)


@pytest.fixture(scope="module")
def honest(tmp_path_factory, cells):
    """An untrained simple_cnn, its in-process predictor and its export, with thresholds at the median
    score of the cells so that both decisions occur and no score lies near a threshold."""
    keras.utils.set_random_seed(0)
    model = create_model("simple_cnn", 2, input_size=32)

    def scores_of(batch):
        return sigmoid(np.asarray(model(batch, training=False)))

    scores = np.sort(scores_of(load_dataset(cells).images.astype(np.float32)), axis=0)
    middle = len(scores) // 2
    assert np.all(scores[middle] - scores[middle - 1] > 1e-5), "scores too close to place a robust threshold"
    thresholds = [float(t) for t in (scores[middle] + scores[middle - 1]) / 2]

    def run_batch(batch):
        batch_scores = scores_of(batch)
        return apply_thresholds(batch_scores, thresholds), batch_scores

    predictor = Predictor(CLASS_NAMES, thresholds, run_batch, "simple_cnn in process")
    return export_honest(model, thresholds, tmp_path_factory.mktemp("honest")), predictor


def test_an_honest_export_scores_exactly_as_in_process_evaluation(
    needs_bubblewrap, honest, cells, private_tmp
):
    zip_path, predictor = honest
    metrics = score_untrusted(zip_path, cells, sandbox_limits=LIMITS)
    assert metrics == evaluate(predictor, cells)
    assert (
        0 < metrics["classes"]["crack"]["tp"] + metrics["classes"]["crack"]["fp"] < len(load_dataset(cells))
    )
    assert not list(private_tmp.glob("pvdefects-score-*")), "scoring must remove its temporary folder"


@pytest.mark.parametrize(
    "value, expected",
    [
        (float("nan"), "contains NaN or infinite values"),
        (0.5, "holds values other than 0 and 1 (e.g. 0.5)"),
    ],
)
def test_outputs_that_are_not_decisions_are_rejected(
    needs_bubblewrap, build, images, private_tmp, value, expected
):
    zip_path = build(lambda x: {"y": decisions_like(x, value)})
    with pytest.raises(Rejected, match=re.escape(expected)):
        predict_untrusted(zip_path, images, CLASS_NAMES, sandbox_limits=LIMITS)
    assert not list(private_tmp.glob("pvdefects-score-*"))


def test_an_output_of_the_wrong_shape_is_rejected(needs_bubblewrap, build, images, private_tmp):
    zip_path = build(lambda x: {"y": x[:, 0, :3, 0]})
    with pytest.raises(Rejected, match=r"of shape \(3, 3\); expected shape \(3, 2\)"):
        predict_untrusted(zip_path, images, CLASS_NAMES, sandbox_limits=LIMITS)


def test_static_rejections_come_before_any_run_and_leave_nothing(build, images, private_tmp):
    import tensorflow as tf

    zip_path = build(
        lambda x: {
            "y": decisions_like(x, tf.cast(tf.strings.length(tf.io.read_file("/etc/hostname")), tf.float32))
        }
    )
    with pytest.raises(Rejected, match=r"^model\.zip: the model uses operations .*ReadFile"):
        predict_untrusted(zip_path, images, CLASS_NAMES, sandbox_limits=LIMITS)
    assert not list(private_tmp.glob("pvdefects-score-*"))


def test_no_images_give_no_decisions_after_the_same_checks(honest, build, images):
    import tensorflow as tf

    empty = images[:0]
    decisions = predict_untrusted(honest[0], empty, CLASS_NAMES, trust=True)
    assert decisions.shape == (0, 2) and decisions.dtype == np.uint8
    hostile = build(
        lambda x: {"y": decisions_like(x, tf.strings.to_number(tf.io.read_file("/etc/hostname")))}
    )
    with pytest.raises(Rejected, match="ReadFile"):
        predict_untrusted(hostile, empty, CLASS_NAMES, trust=True)


def test_class_names_must_match_the_labels(honest, images):
    with pytest.raises(
        Rejected, match=r"classes \['crack', 'inactive'\] differ from the labels' \['inactive', 'crack'\]"
    ):
        predict_untrusted(honest[0], images, ["inactive", "crack"], sandbox_limits=LIMITS)


def test_without_bubblewrap_only_a_trusted_model_runs(honest, images, monkeypatch):
    monkeypatch.setattr(score_module, "bubblewrap", lambda: None)
    with pytest.raises(SandboxUnavailable, match="--i-trust-this-model"):
        predict_untrusted(honest[0], images, CLASS_NAMES, sandbox_limits=LIMITS)
    decisions = predict_untrusted(honest[0], images, CLASS_NAMES, sandbox_limits=LIMITS, trust=True)
    assert decisions.shape == (3, 2) and decisions.dtype == np.uint8


def run_cli(*arguments: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(SOURCE), "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "pvdefects.cli.main", "score", *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )


def test_the_score_command_prints_the_evaluate_table_and_writes_json(
    needs_bubblewrap, honest, cells, tmp_path
):
    zip_path, predictor = honest
    result = run_cli(
        str(zip_path),
        "--labels",
        str(cells),
        "--out",
        str(tmp_path / "m.json"),
        "--timeout",
        "120",
    )
    assert result.returncode == 0, result.stderr
    assert all(word in result.stdout for word in ("crack", "inactive", "mean", "sandboxed"))
    report = json.loads((tmp_path / "m.json").read_text())
    assert report["sandboxed"] and report["mean_f1"] == evaluate(predictor, cells)["mean_f1"]


def test_the_score_command_rejects_in_one_line_with_exit_status_2(cells, tmp_path):
    (tmp_path / "model.zip").write_text("not a zip")
    result = run_cli(
        str(tmp_path / "model.zip"), "--labels", str(cells), "--out", str(tmp_path / "r.json"), "--json"
    )
    assert result.returncode == 2
    assert (
        result.stderr.startswith("error: model.zip: not a readable zip archive")
        and result.stderr.count("\n") == 1
    )
    assert json.loads((tmp_path / "r.json").read_text())["rejected"].startswith(
        "model.zip: not a readable zip"
    )
    assert json.loads(result.stdout) == json.loads((tmp_path / "r.json").read_text())  # --json: the same
