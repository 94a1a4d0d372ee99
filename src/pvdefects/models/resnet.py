"""Residual networks (He et al., 2016) for grayscale cells, built from small blocks.

``resnet18`` is the reference architecture of the task: one residual block per stage.

    Conv2D(64, 7, 2) BN ReLU MaxPool(3, 2)
    ResBlock(64, 1) ResBlock(128, 2) ResBlock(256, 2) ResBlock(512, 2)
    GlobalPool FC(num_classes)       (average pooling by default; pvdefects.models.heads)

A ResBlock(c, s) is Conv2D(c, 3, s) BN ReLU, Conv2D(c, 3, 1) BN, added to its input (through a
1x1 Conv2D(c, 1, s) and BN where size or channels change), then ReLU. The canonical ResNet-18 and
ResNet-34 of the paper stack more of the same blocks per stage (table 1 of the paper).
"""

from __future__ import annotations

from keras import layers

from pvdefects.models.blocks import conv_bn
from pvdefects.models.heads import classifier_head

STAGE_CHANNELS = (64, 128, 256, 512)
# blocks per stage: the paper's table 1, plus the task's one-block "resnet18"
BLOCKS_PER_STAGE = {
    "resnet18": (1, 1, 1, 1),
    "resnet18_canonical": (2, 2, 2, 2),
    "resnet34": (3, 4, 6, 3),
}


def res_block(x, filters: int, stride: int, name: str):
    """ResBlock(c, s): two 3x3 convolutions and a shortcut, projected where the shape changes."""
    y = conv_bn(x, filters, 3, stride, name=f"{name}_1")
    y = layers.ReLU(name=f"{name}_1_relu")(y)
    y = conv_bn(y, filters, 3, 1, name=f"{name}_2")
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = conv_bn(x, filters, 1, stride, name=f"{name}_shortcut")
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.ReLU(name=f"{name}_out")(y)


def resnet(
    inputs, num_classes: int, blocks_per_stage: tuple[int, ...], dropout: float = 0.0, pooling: str = "avg"
):
    """Return the logits of a ResNet with ``blocks_per_stage`` blocks in each of the four stages."""
    x = conv_bn(inputs, 64, 7, 2, name="stem")
    x = layers.ReLU(name="stem_relu")(x)
    x = layers.MaxPooling2D(3, 2, padding="same", name="stem_pool")(x)
    for stage, (filters, blocks) in enumerate(zip(STAGE_CHANNELS, blocks_per_stage), start=1):
        for block in range(1, blocks + 1):
            stride = 2 if stage > 1 and block == 1 else 1
            x = res_block(x, filters, stride, name=f"stage{stage}_block{block}")
    return classifier_head(x, num_classes, dropout, pooling)
