"""The static check: file, print and checkpoint ops are found wherever they hide; honest exports pass."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from submissions import CLASS_NAMES, decisions_like, export_honest, zip_like_windows

from pvdefects.export.savedmodel import export_classifier
from pvdefects.models import create_model, list_models
from pvdefects.models.saving import ModelMetadata
from pvdefects.security.graph_check import (
    ALLOWED_OPS,
    check_saved_model,
    disallowed_ops,
    op_inventory,
    read_saved_model,
    saver_functions,
)
from pvdefects.security.rejected import Rejected

INPUT_SIZES = {"alexnet": 96}  # AlexNet's unpadded strides need more than 32 pixels


def rejected(model_dir) -> str:
    with pytest.raises(Rejected) as caught:
        check_saved_model(model_dir, "model.zip")
    assert "\n" not in str(caught.value)
    return str(caught.value)


def meta_graph(model_dir):
    return read_saved_model(model_dir / "saved_model.pb", "model.zip").meta_graphs[0]


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """An honest export of every architecture in the registry (slowish: one module-wide build)."""
    folder = tmp_path_factory.mktemp("exports")
    return {
        name: export_honest(
            create_model(name, 2, input_size=INPUT_SIZES.get(name, 32)), [0.5, 0.5], folder / name
        )
        for name in list_models()
    }


def test_every_architecture_in_the_registry_passes(exports, unpacked):
    assert set(exports) == {
        "alexnet",
        "efficientnet_lite0",
        "efficientnet_lite1",
        "resnet18",
        "resnet18_canonical",
        "resnet34",
        "simple_cnn",
    }
    for name, zip_path in exports.items():
        model_dir = unpacked(zip_path)
        check_saved_model(model_dir, name)  # no Rejected
        used = set().union(*map(set, op_inventory(meta_graph(model_dir)).values()))
        assert {"Conv2D", "SaveV2", "RestoreV2"} <= used
        if name.startswith("efficientnet_lite"):
            assert {"DepthwiseConv2dNative", "Relu6"} <= used


def test_an_ensemble_with_test_time_augmentation_passes(tmp_path, unpacked):
    """What ``pvdefects crossval`` exports: several models' scores averaged over 8 flipped/turned views."""
    models = [create_model("simple_cnn", 2, input_size=32) for _ in range(2)]
    metadata = ModelMetadata(CLASS_NAMES, [0.5, 0.5], "2-fold simple_cnn ensemble", 32)
    model_dir = unpacked(export_classifier(models, metadata, tmp_path / "model.zip", tta=True))
    check_saved_model(model_dir, "ensemble")  # no Rejected
    used = set().union(*map(set, op_inventory(meta_graph(model_dir)).values()))
    assert {"ReverseV2", "Transpose"} <= used


def test_avgmax_and_gem_pooling_heads_pass(tmp_path, unpacked):
    """GeM's powers (Pow) and avgmax's global max and concatenation are on the allowlist."""
    expected = {"avgmax": {"Max", "ConcatV2"}, "gem": {"Pow", "Max"}}
    for pooling, ops in expected.items():
        model = create_model("simple_cnn", 2, input_size=32, pooling=pooling)
        metadata = ModelMetadata(CLASS_NAMES, [0.5, 0.5], "simple_cnn", 32, pooling=pooling)
        model_dir = unpacked(export_classifier(model, metadata, tmp_path / f"{pooling}.zip"))
        check_saved_model(model_dir, pooling)  # no Rejected
        assert ops <= set().union(*map(set, op_inventory(meta_graph(model_dir)).values()))


def test_checkpoint_ops_are_allowed_only_in_the_saver_functions(exports, unpacked):
    graph = meta_graph(unpacked(exports["simple_cnn"]))
    savers = saver_functions(graph)
    assert len(savers) == 2 and all("_traced_save_" in name or "_traced_restore_" in name for name in savers)
    assert not disallowed_ops(graph)

    # A saver_def that names the serving node does not make the serving functions savers:
    # they stay reachable from the signature and the object graph.
    serving_node = next(node.name for node in graph.graph_def.node if node.name == "StatefulPartitionedCall")
    graph.saver_def.save_tensor_name = serving_node + ":0"
    graph.saver_def.restore_op_name = serving_node
    assert not any("serve" in name for name in saver_functions(graph))
    assert {op for ops in disallowed_ops(graph).values() for op in ops} == {
        "SaveV2",
        "RestoreV2",
        "MergeV2Checkpoints",
        "ShardedFilename",
        "StringJoin",
        "StaticRegexFullMatch",
        "DisableCopyOnRead",
    }


def secret_length(path):
    return tf.cast(tf.strings.length(tf.io.read_file(path)), tf.float32)


def read_body(x):
    return {"y": decisions_like(x, secret_length("/etc/passwd"))}


def listing_body(x):
    return {"y": decisions_like(x, tf.cast(tf.size(tf.io.matching_files("/*")), tf.float32))}


def write_body(x):
    tf.io.write_file("/tmp/pwned", "pwned")
    return {"y": decisions_like(x, 0.0)}


def checkpoint_body(x):
    tf.raw_ops.SaveV2(prefix="/tmp/stolen", tensor_names=["x"], shape_and_slices=[""], tensors=[x])
    return {"y": decisions_like(x, 0.0)}


def python_body(x):
    leaked = tf.py_function(lambda: float(len(open("/etc/passwd").read())), [], tf.float32)
    return {"y": decisions_like(x, leaked)}


def print_body(x):
    tf.print("pixels", tf.reduce_sum(x))  # to stderr, which the scorer relays
    return {"y": decisions_like(x, 0.0)}


def dataset_body(x):
    lines = tf.data.TextLineDataset("/etc/passwd").reduce(0.0, lambda total, line: total + 1.0)
    return {"y": decisions_like(x, lines)}


def mapped_file_body(x):
    mapped = tf.raw_ops.ImmutableConst(dtype=tf.float32, shape=[2], memory_region_name="/etc/passwd")
    return {"y": decisions_like(x, tf.reduce_sum(mapped))}


def debug_body(x):
    tapped = tf.raw_ops.DebugIdentityV2(
        input=x, tfdbg_context_id="id", op_name="x", debug_urls=["file:///tmp/d"]
    )
    return {"y": decisions_like(tapped, 0.0)}


HOSTILE = {
    "file read": (read_body, {"ReadFile"}),
    "directory listing": (listing_body, {"MatchingFiles"}),
    "file write": (write_body, {"WriteFile"}),
    "checkpoint write in the serving function": (checkpoint_body, {"SaveV2"}),
    "Python callback": (python_body, {"EagerPyFunc"}),
    "print to stderr": (print_body, {"PrintV2"}),
    "dataset reading a file": (dataset_body, {"TextLineDataset"}),
    "memory-mapped file": (mapped_file_body, {"ImmutableConst"}),
    "debug tap": (debug_body, {"DebugIdentityV2"}),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_file_print_python_dataset_and_debug_ops_are_rejected_naming_op_and_function(build, unpacked, name):
    body, ops = HOSTILE[name]
    message = rejected(unpacked(build(body)))
    assert all(op in message for op in ops), message
    assert "in function __inference_" in message and "docs/security.md" in message


def test_print_to_a_file_is_rejected(build, unpacked):
    def body(x):
        tf.print("leak", tf.reduce_sum(x), output_stream="file:///tmp/leak.txt")
        return {"y": decisions_like(x, 0.0)}

    assert "PrintV2" in rejected(unpacked(build(body)))


def test_a_file_read_hidden_in_a_cond_branch_is_found(build, unpacked):
    def body(x):
        leaked = tf.cond(
            tf.reduce_mean(x) >= 1e9, lambda: secret_length("/etc/passwd"), lambda: tf.constant(0.0)
        )
        return {"y": decisions_like(x, leaked)}

    model_dir = unpacked(build(body))
    found = disallowed_ops(meta_graph(model_dir))
    # only the branch function holds ReadFile: the scan must have entered it
    assert [ops for ops in found.values()] == [{"ReadFile", "StringLength"}]
    (location,) = found
    assert "cond_true" in location
    assert "ReadFile, StringLength in function cond_true_" in rejected(model_dir)


def test_a_file_read_in_a_function_no_signature_calls_is_found(build, unpacked):
    hidden = tf.function(lambda: secret_length("/etc/passwd"), input_signature=[])
    hidden.get_concrete_function()
    model_dir = unpacked(build(lambda x: {"y": decisions_like(x, 0.0)}, hidden=hidden))
    assert "ReadFile" in rejected(model_dir)


@pytest.mark.parametrize(
    "options, body, expected",
    [
        ({"input_name": "image"}, lambda image: {"y": decisions_like(image, 0.0)}, "takes ['image']"),
        ({}, lambda x: {"scores": decisions_like(x, 0.0)}, "it must return 'y'"),
        ({}, lambda x: {"y": tf.cast(decisions_like(x, 0.0), tf.int32)}, "it must return 'y'"),
    ],
)
def test_the_signature_must_keep_to_the_contract(build, unpacked, options, body, expected):
    assert expected in rejected(unpacked(build(body, **options)))


def test_control_flow_and_arithmetic_of_the_dynamic_hostile_models_are_allowed(build, unpacked):
    """Endless loops and huge allocations use allowed ops: the sandbox has to catch them."""

    def body(x):
        i = tf.while_loop(lambda i: tf.reduce_mean(x) + i >= 0.0, lambda i: i + 1.0, [0.0])[0]
        return {"y": decisions_like(x, i)}

    check_saved_model(unpacked(build(body)), "model.zip")
    assert {"While", "StatelessWhile", "If", "StatelessIf"} <= ALLOWED_OPS


def test_a_corrupt_saved_model_pb_is_rejected(tmp_path):
    (tmp_path / "saved_model.pb").write_bytes(b"\xff\xff\xff not a protobuf")
    assert "not a valid SavedModel" in rejected(tmp_path)


def test_an_export_zipped_on_windows_passes_and_runs_alike(exports, unpacked, tmp_path):
    """The same export, re-zipped as PowerShell's Compress-Archive would (``model\\variables\\...``)."""
    original = unpacked(exports["simple_cnn"])
    members = {
        f"model/{path.relative_to(original).as_posix()}": path.read_bytes()
        for path in original.rglob("*")
        if path.is_file()
    }
    model_dir = unpacked(zip_like_windows(tmp_path / "model.zip", members))
    check_saved_model(model_dir, "model.zip")  # no Rejected
    x = tf.random.uniform([2, 48, 48, 1], 0, 255, seed=1)
    scores = [
        tf.saved_model.load(str(d)).signatures["serving_default"](x=x)["scores"]
        for d in (original, model_dir)
    ]
    np.testing.assert_array_equal(scores[0].numpy(), scores[1].numpy())
