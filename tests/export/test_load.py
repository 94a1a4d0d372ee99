"""Every model form behind one Predictor, and the submissions it refuses."""

import json
import shutil
import tempfile
import zipfile

import numpy as np
import pytest
import tensorflow as tf

from pvdefects.data.sources import load_dataset
from pvdefects.errors import UserError
from pvdefects.export.archive import zip_folder
from pvdefects.inference.predictor import load_predictor


def test_every_form_gives_the_same_predictions(tiny_run, unzipped, cells):
    images = load_dataset(cells).images
    forms = [tiny_run.root, tiny_run.model, tiny_run.export, unzipped]
    results = [load_predictor(form).predict(images, batch_size=7) for form in forms]
    for predictor_form in map(load_predictor, forms[1:]):
        assert predictor_form.class_names == ["crack", "inactive"]
    reference_decisions, reference_scores = results[0]
    assert reference_decisions.shape == (len(images), 2) and reference_decisions.dtype == np.uint8
    for decisions, scores in results[1:]:
        np.testing.assert_allclose(scores, reference_scores, atol=1e-5)
        np.testing.assert_array_equal(decisions, reference_decisions)


def test_a_zip_is_unpacked_to_a_temporary_folder_that_is_removed(tiny_run, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    predictor = load_predictor(tiny_run.export)
    assert list(tmp_path.iterdir()) == []
    assert predictor.scores(np.full((2, 48, 48, 1), 128, np.uint8)).shape == (2, 2)


def test_a_zipped_folder_is_accepted(unzipped, tmp_path):
    shutil.copytree(unzipped, tmp_path / "src" / "my_model")
    zip_folder(tmp_path / "src", tmp_path / "nested.zip")
    assert load_predictor(tmp_path / "nested.zip").class_names == ["crack", "inactive"]


def test_images_of_the_wrong_rank_are_refused(tiny_run):
    predictor = load_predictor(tiny_run.export)
    with pytest.raises(UserError, match=r"\[N, height, width, 1\]"):
        predictor.predict(np.zeros((2, 48, 48), np.uint8))
    with pytest.raises(UserError, match=r"\[N, height, width, 1\]"):
        predictor.predict(np.zeros((2, 48, 48, 3), np.uint8))


class Plain(tf.Module):
    """A SavedModel that breaks the contract in the way each test chooses."""

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32, name="image")])
    def wrong_input(self, image):
        return {"y": tf.zeros([tf.shape(image)[0], 2]), "scores": tf.zeros([tf.shape(image)[0], 2])}

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32, name="x")])
    def only_scores(self, x):
        return {"scores": tf.zeros([tf.shape(x)[0], 2])}

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32, name="x")])
    def not_binary(self, x):
        return {"y": tf.fill([tf.shape(x)[0], 2], 0.5), "scores": tf.zeros([tf.shape(x)[0], 2])}


def broken_submission(folder, signature_name, metadata=True):
    module = Plain()
    signatures = {"serving_default": getattr(module, signature_name)} if signature_name else None
    tf.saved_model.save(module, str(folder), signatures=signatures)
    if metadata:
        (folder / "assets").mkdir(exist_ok=True)
        (folder / "assets" / "metadata.json").write_text(
            json.dumps(
                {
                    "class_names": ["crack", "inactive"],
                    "thresholds": [0.5, 0.5],
                    "architecture": "plain",
                    "input_size": 32,
                }
            )
        )
    return folder


@pytest.mark.parametrize(
    "signature, message",
    [
        (None, "no 'serving_default' signature"),
        ("wrong_input", "one input 'x'"),
        ("only_scores", "it must return 'y'"),
    ],
)
def test_submissions_that_break_the_signature_are_refused(tmp_path, signature, message):
    folder = broken_submission(tmp_path / "model", signature)
    with pytest.raises(UserError, match=message):
        load_predictor(folder)
    zip_folder(folder, tmp_path / "model.zip")
    with pytest.raises(UserError, match=message):
        load_predictor(tmp_path / "model.zip")


def test_outputs_other_than_0_and_1_are_refused(tmp_path):
    predictor = load_predictor(broken_submission(tmp_path / "model", "not_binary"))
    with pytest.raises(UserError, match="only 0 and 1"):
        predictor.predict(np.zeros((1, 8, 8, 1), np.uint8))


def test_metadata_is_required(tmp_path):
    with pytest.raises(UserError, match="metadata.json"):
        load_predictor(broken_submission(tmp_path / "model", "not_binary", metadata=False))


def test_a_zip_without_a_savedmodel_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "model.zip", "w") as handle:
        handle.writestr("readme.txt", "no model here")
    with pytest.raises(UserError, match="no saved_model.pb"):
        load_predictor(tmp_path / "model.zip")


def test_a_corrupt_saved_model_pb_is_refused(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "saved_model.pb").write_bytes(b"\x00garbage")
    with pytest.raises(UserError, match="cannot load the SavedModel"):
        load_predictor(tmp_path / "model")


def test_an_unknown_form_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UserError, match="not a model"):
        load_predictor(tmp_path / "notes.txt")
