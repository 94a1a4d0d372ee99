"""A model trained in bfloat16 keeps float32 at its edges: the saved ``.keras`` reloads in bfloat16
and scores in float32, its ``model.zip`` takes ``x`` and returns ``y`` and ``scores`` as float32 and
passes the untrusted scorer's op check and sandbox, and ``--precision float32`` rebuilds it in float32."""

from __future__ import annotations

import json
import zipfile

import numpy as np

from pvdefects.contract import DECISIONS, INPUT, SCORES, SIGNATURE
from pvdefects.export.savedmodel import BFLOAT16_CHECK_TOLERANCE
from pvdefects.inference.predictor import load_predictor
from pvdefects.layout import RunFolder
from pvdefects.models.saving import load_classifier
from pvdefects.precision import model_precision


def test_a_bfloat16_run_exports_float32_edges_and_scores_in_the_sandbox(
    needs_bubblewrap, labels_csv, tmp_path, pvdefects_cli
):
    import tensorflow as tf

    code, _, err = pvdefects_cli(
        "train", "--labels", labels_csv, "--model", "simple_cnn", "--input-size", "32", "--epochs", "1",
        "--steps-per-epoch", "2", "--batch-size", "8", "--precision", "bfloat16",
        "--runs-dir", tmp_path, "--name", "bf16",
    )  # fmt: skip
    assert code == 0, err
    run = RunFolder(tmp_path / "bf16")
    assert json.loads(run.config.read_text())["precision"] == "bfloat16"

    model, _ = load_classifier(run.model)
    assert model_precision(model) == "bfloat16"
    assert {layer.variable_dtype for layer in model.layers if layer.weights} == {"float32"}
    assert model.outputs[0].dtype == "float32"
    images = np.random.default_rng(0).uniform(0, 255, (3, 48, 48, 1)).astype(np.float32)
    decisions, scores = load_predictor(run.root).predict(images)
    assert scores.dtype == np.float32 and np.all((scores > 0) & (scores < 1))

    with zipfile.ZipFile(run.export) as archive:
        archive.extractall(tmp_path / "unzipped")
    signature = tf.saved_model.load(str(tmp_path / "unzipped")).signatures[SIGNATURE]
    assert signature.structured_input_signature[1][INPUT].dtype == tf.float32
    assert {name: spec.dtype for name, spec in signature.structured_outputs.items()} == {
        DECISIONS: tf.float32,
        SCORES: tf.float32,
    }
    served = signature(x=tf.constant(images))
    np.testing.assert_allclose(served[SCORES].numpy(), scores, atol=BFLOAT16_CHECK_TOLERANCE)

    code, out, err = pvdefects_cli("score", run.export, "--labels", labels_csv, "--json")
    assert code == 0, err
    assert json.loads(out)["sandboxed"] is True

    code, _, err = pvdefects_cli("export", run.root, "--out", tmp_path / "f32.zip", "--precision", "float32")
    assert code == 0, err
    float32_scores = load_predictor(tmp_path / "f32.zip").scores(images)
    np.testing.assert_allclose(float32_scores, scores, atol=0.02)  # bfloat16 keeps ~3 significant digits
    assert model_precision(load_classifier(run.model, "float32")[0]) == "float32"
