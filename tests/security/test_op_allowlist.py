"""The op allowlist by kind: ordinary participant models pass, file/print/debug/Python/dataset ops never do.

Participant models are built the way a participant would: a ``keras.applications`` architecture
(weights=None, 32 px) or a hand-written ``tf.function``, wrapped in a ``tf.Module`` whose
``serving_default`` takes ``x`` (float32 [batch, H, W, 1], 0-255) and returns ``y`` (0/1) and
``scores``, saved with ``tf.saved_model.save`` and zipped. Every one passes the static check; two
of them also run through the whole untrusted path (archive, static check, bubblewrap sandbox),
which takes a TensorFlow start-up each. The hostile models of test_graph_check.py stay refused
under this allowlist (they run in the same suite).
"""

from __future__ import annotations

import importlib

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers
from submissions import CLASS_NAMES, zip_folder
from tensorflow.core.framework import types_pb2
from tensorflow.python.framework import op_def_registry

from pvdefects.security.graph_check import check_saved_model
from pvdefects.security.op_allowlist import ALLOWED_OPS, CHECKPOINT_OPS, OP_GROUPS
from pvdefects.security.sandbox import SandboxLimits
from pvdefects.security.score import predict_untrusted

SIZE = 32  # pixels the participant models resize to
LIMITS = SandboxLimits(wall_seconds=120, memory_bytes=4 << 30)


def vit_block(inputs):
    """A small vision transformer: patches, layer norm, multi-head attention, GELU MLP, softmax."""
    x = layers.Reshape((-1, 32))(layers.Conv2D(32, 8, 8)(inputs))
    y = layers.LayerNormalization()(x)
    x = layers.Add()([x, layers.MultiHeadAttention(2, 16)(y, y)])
    y = layers.Dense(32)(layers.Dense(64, activation="gelu")(layers.LayerNormalization()(x)))
    x = layers.GlobalAveragePooling1D()(layers.Add()([x, y]))
    return layers.Dense(8, activation="softmax")(x)


def application(name: str, **options):
    def backbone(inputs):
        return getattr(keras.applications, name)(
            input_tensor=inputs, include_top=False, weights=None, pooling="avg", **options
        ).output

    return backbone


ARCHITECTURES = {
    "MobileNetV2 (depthwise, ReLU6, padding)": application("MobileNetV2", alpha=0.35),
    "MobileNetV3Small (hard-swish, squeeze-excite)": application(
        "MobileNetV3Small", input_shape=(SIZE, SIZE, 3)
    ),
    "EfficientNetB0 (swish, normalisation layer)": application("EfficientNetB0"),
    "DenseNet121 (concatenation, average pooling)": application("DenseNet121"),
    "vision transformer block (layer norm, attention, GELU, softmax)": vit_block,
}


class KerasSubmission(tf.Module):
    """How a participant wraps a Keras classifier of 3-channel images in the contract."""

    def __init__(self, backbone):
        super().__init__()
        inputs = keras.Input((SIZE, SIZE, 3))
        self.model = keras.Model(inputs, layers.Dense(len(CLASS_NAMES))(backbone(inputs)))

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32, name="x")])
    def serve(self, x):
        rgb = tf.image.grayscale_to_rgb(tf.image.resize(x, [SIZE, SIZE]))
        scores = tf.sigmoid(self.model(rgb, training=False))
        return {"y": tf.cast(scores >= 0.5, tf.float32), "scores": scores}


class HandWrittenSubmission(tf.Module):
    """A ``tf.function`` with ``tf.concat`` and a tf.keras-2-style fused batch norm (FusedBatchNormV3)."""

    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(0)
        self.kernel = tf.Variable(rng.normal(0, 0.1, (3, 3, 2, 4)).astype(np.float32))
        self.dense = tf.Variable(rng.normal(0, 0.1, (8, 2)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32, name="x")])
    def serve(self, x):
        x = tf.image.resize(x, [SIZE, SIZE]) / 255.0
        x = tf.concat([x, 1.0 - x], axis=-1)
        x = tf.nn.conv2d(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), self.kernel, 1, "VALID")
        x, _, _ = tf.compat.v1.nn.fused_batch_norm(
            x, tf.ones([4]), tf.zeros([4]), tf.zeros([4]), tf.ones([4]), is_training=False
        )
        x = tf.nn.avg_pool2d(tf.nn.relu6(x), 2, 2, "VALID")
        pooled = tf.concat([tf.reduce_mean(x, [1, 2]), tf.reduce_max(x, [1, 2])], axis=-1)
        scores = tf.nn.softmax(pooled @ self.dense)
        return {"y": tf.cast(scores >= 0.5, tf.float32), "scores": scores}


def save(module: tf.Module, folder) -> tuple:
    tf.saved_model.save(module, str(folder / "saved_model"), signatures={"serving_default": module.serve})
    return zip_folder(folder / "saved_model", folder / "model.zip"), folder / "saved_model"


@pytest.fixture(scope="module")
def participants(tmp_path_factory) -> dict:
    """``{name: (model.zip, SavedModel folder)}``: each architecture saved once (the slow part)."""
    keras.utils.set_random_seed(0)
    submissions = {"hand-written tf.function (concat, fused batch norm)": HandWrittenSubmission()}
    submissions.update({name: KerasSubmission(backbone) for name, backbone in ARCHITECTURES.items()})
    return {
        name: save(module, tmp_path_factory.mktemp("participant")) for name, module in submissions.items()
    }


def test_ordinary_participant_models_pass_the_static_check(participants):
    for name, (_, folder) in participants.items():
        check_saved_model(folder, name)  # no Rejected


@pytest.mark.parametrize(
    "name",
    ["hand-written tf.function (concat, fused batch norm)", "MobileNetV3Small (hard-swish, squeeze-excite)"],
)
def test_participant_models_score_through_the_sandbox(needs_bubblewrap, participants, images, name):
    zip_path, folder = participants[name]
    decisions = predict_untrusted(zip_path, images, CLASS_NAMES, sandbox_limits=LIMITS)
    serve = tf.saved_model.load(str(folder)).signatures["serving_default"]
    np.testing.assert_array_equal(decisions, serve(x=tf.constant(images, tf.float32))["y"].numpy())


def op_def(name: str):
    return op_def_registry.get(name)


def test_every_allowed_op_is_a_tensorflow_op():
    assert not {name for name in ALLOWED_OPS | CHECKPOINT_OPS if op_def(name) is None}


def test_no_allowed_op_takes_or_returns_strings():
    """File names, addresses, print formats and encoded images are strings: no allowed op has one."""
    with_strings = {
        name
        for name in ALLOWED_OPS
        for arg in [*op_def(name).input_arg, *op_def(name).output_arg]
        if arg.type == types_pb2.DT_STRING
    }
    assert not with_strings


def test_the_only_stateful_allowed_ops_are_variables_calls_and_checks():
    reviewed = (
        OP_GROUPS["resource variables (in memory only)"]
        | OP_GROUPS["function calls and control flow (their functions are checked too)"]
        | OP_GROUPS["checks (stop the call with an error, write nothing)"]
        | {"StatelessRandomGetAlg"}  # stateful only because its answer depends on the device
    )
    assert {name for name in ALLOWED_OPS if op_def(name).is_stateful} <= reviewed


# TensorFlow's own op families (its gen_*_ops modules) that are refused, but for the few pure ops
# filed among them: Assert with the logging ops, the partition/stitch array ops with the queues
REFUSED_FAMILIES = {
    "io": (),
    "dataset": (),
    "experimental_dataset": (),
    "logging": ("Assert",),
    "script": (),
    "debug": (),
    "lookup": (),
    "string": (),
    "summary": (),
    "parsing": (),
    "collective": (),
    "data_flow": ("DynamicPartition", "DynamicStitch", "ParallelDynamicStitch"),
    "random": (),
    "state": (),
    "checkpoint": (),
}


@pytest.mark.parametrize("family", sorted(REFUSED_FAMILIES))
def test_file_network_print_debug_python_and_dataset_ops_are_refused(family):
    module = importlib.import_module(f"tensorflow.python.ops.gen_{family}_ops")
    ops = {
        name
        for name, value in vars(module).items()
        if name[:1].isupper() and getattr(value, "__module__", None) == module.__name__ and op_def(name)
    }
    assert ops, f"no ops found in gen_{family}_ops"
    assert ops & ALLOWED_OPS == set(REFUSED_FAMILIES[family])


def test_named_dangerous_ops_are_refused():
    dangerous = set(
        """
        ReadFile WriteFile MatchingFiles ImmutableConst PrintV2 Print PyFunc EagerPyFunc DebugIdentityV2
        DebugNumericSummaryV2 TFRecordDataset FixedLengthRecordDataset CSVDatasetV2 Timestamp Abort
        InitializeTableFromTextFileV2 LookupTableExportV2 SaveV2 RestoreV2 Empty DecodePng EncodePng
        RandomUniform Fingerprint
        """.split()
    )
    assert not dangerous & ALLOWED_OPS
