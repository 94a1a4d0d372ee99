"""The submission contract, checked on a tiny trained model through TensorFlow's own API."""

import json
import zipfile

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from pvdefects.decisions import apply_thresholds, sigmoid
from pvdefects.errors import UserError
from pvdefects.export import savedmodel
from pvdefects.export.savedmodel import ExportCheckFailed, export_model
from pvdefects.models.saving import load_classifier

FORBIDDEN_OPS = {
    "PrintV2",
    "ReadFile",
    "WriteFile",
    "SaveV2",
    "RestoreV2",
    "PyFunc",
    "EagerPyFunc",
    "MatchingFiles",
}


@pytest.fixture(scope="module")
def serving(unzipped):
    return tf.saved_model.load(str(unzipped)).signatures["serving_default"]


def test_zip_holds_the_savedmodel_files_at_its_root(tiny_run):
    names = zipfile.ZipFile(tiny_run.export).namelist()
    assert "saved_model.pb" in names and "assets/metadata.json" in names
    assert any(name.startswith("variables/variables.data") for name in names)


def test_signature_is_x_to_y_and_scores(serving):
    inputs = serving.structured_input_signature[1]
    assert list(inputs) == ["x"]
    assert inputs["x"].dtype == tf.float32 and inputs["x"].shape.as_list() == [None, None, None, 1]
    outputs = serving.structured_outputs
    assert sorted(outputs) == ["scores", "y"]
    for spec in outputs.values():
        assert spec.dtype == tf.float32 and spec.shape.as_list() == [None, 2]


def test_metadata_travels_inside(unzipped, tiny_run):
    metadata = json.loads((unzipped / "assets" / "metadata.json").read_text())
    _, expected = load_classifier(tiny_run.model)
    assert metadata["class_names"] == ["crack", "inactive"]
    assert metadata["thresholds"] == expected.thresholds
    assert metadata["architecture"] == "simple_cnn" and metadata["input_size"] == 32
    assert "package_version" in metadata


@pytest.mark.parametrize("size", [(48, 48), (300, 300), (40, 56)])
def test_outputs_match_the_keras_model_at_any_image_size(serving, tiny_run, size):
    model, metadata = load_classifier(tiny_run.model)
    x = np.random.default_rng(1).uniform(0, 255, (5, *size, 1)).astype(np.float32)
    outputs = serving(x=tf.constant(x))
    y, scores = outputs["y"].numpy(), outputs["scores"].numpy()
    assert y.shape == scores.shape == (5, 2)
    assert set(np.unique(y)) <= {0.0, 1.0}
    np.testing.assert_allclose(scores, sigmoid(np.asarray(model(x, training=False))), atol=1e-5)
    np.testing.assert_array_equal(y, apply_thresholds(scores, metadata.thresholds))


def test_batch_of_one_equals_batch_of_256(serving):
    x = np.random.default_rng(2).uniform(0, 255, (256, 40, 40, 1)).astype(np.float32)
    together = serving(x=tf.constant(x))["scores"].numpy()
    alone = np.concatenate(
        [serving(x=tf.constant(x[i : i + 1]))["scores"].numpy() for i in range(0, 256, 51)]
    )
    np.testing.assert_allclose(alone, together[::51], atol=1e-5)


def serving_ops(folder) -> set[str]:
    """The ops that the serving_default signature can run, following nested function calls."""
    saved = saved_model_pb2.SavedModel()
    saved.ParseFromString((folder / "saved_model.pb").read_bytes())
    graph = saved.meta_graphs[0].graph_def
    functions = {f.signature.name: f for f in graph.library.function}
    nodes = {node.name: node for node in graph.node}
    outputs = saved.meta_graphs[0].signature_def["serving_default"].outputs.values()
    pending = [nodes[info.name.split(":")[0]] for info in outputs]
    ops, seen = set(), set()
    while pending:
        node = pending.pop()
        ops.add(node.op)
        called = [value.func.name for value in node.attr.values() if value.func.name]
        for name in called:
            if name not in seen:
                seen.add(name)
                pending.extend(functions[name].node_def)
    return ops


def test_serving_graph_is_plain_inference(unzipped):
    ops = serving_ops(unzipped)
    assert {"Conv2D", "Sigmoid", "GreaterEqual"} <= ops
    assert not ops & FORBIDDEN_OPS


def test_a_mismatching_export_fails_and_leaves_no_file(tiny_run, tmp_path, monkeypatch):
    monkeypatch.setattr(savedmodel, "CHECK_TOLERANCE", -1.0)  # any difference, even 0, is too much
    with pytest.raises(ExportCheckFailed, match="differ"):
        export_model(tiny_run.model, tmp_path / "model.zip")
    assert list(tmp_path.iterdir()) == []


def test_export_of_something_else_is_a_user_error(tiny_run, tmp_path):
    with pytest.raises(UserError, match="not a model to export"):
        export_model(tmp_path)
    with pytest.raises(UserError, match="not a model to export"):
        export_model(tmp_path / "nowhere.keras")
    with pytest.raises(UserError, match="folder not found"):
        export_model(tiny_run.model, tmp_path / "nowhere" / "model.zip")
