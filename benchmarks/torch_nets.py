"""The registered pvdefects nets written again in PyTorch, layer for layer, for benchmarks/throughput.py.

Each twin takes what the Keras model takes (raw 0-255 grayscale cells, ``[batch, 1, height, width]``)
and does the same work: an antialiased bilinear resize to the input size and per-image
standardisation (pvdefects.models.preprocessing), then the architecture of the module named below,
with the same layers, channels, kernels, strides, biases and batch-norm epsilon. Keras' "same"
padding of a strided convolution pads one pixel more after than before; the twins pad
symmetrically (``kernel // 2``), which gives the same output sizes here (even inputs), so the same
work. Only the speed matters to the benchmark: the weights are PyTorch's default initialisation.

PyTorch is a benchmark-only dependency: ``pip install -e ".[bench]"`` (a CPU build).
"""

from __future__ import annotations

from functools import partial

import torch
from torch import nn
from torch.nn import functional as F

KERAS_BN_EPSILON = 1e-3  # keras.layers.BatchNormalization's default (PyTorch's is 1e-5)


class Preprocessing(nn.Module):
    """pvdefects.models.preprocessing.preprocessing_block: resize (antialiased bilinear) and
    PerImageStandardization (zero mean, unit variance per image, std at least 1/sqrt(pixels))."""

    def __init__(self, input_size: int):
        super().__init__()
        self.input_size = input_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(
            x, size=(self.input_size,) * 2, mode="bilinear", antialias=True, align_corners=False
        )
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        std = x.std(dim=(1, 2, 3), keepdim=True, correction=0)
        return (x - mean) / std.clamp_min(x[0].numel() ** -0.5)


def conv_bn(cin: int, cout: int, kernel: int, stride: int, padding: int | None = None) -> list[nn.Module]:
    """pvdefects.models.blocks.conv_bn: Conv2D without bias, then batch norm."""
    padding = kernel // 2 if padding is None else padding
    return [nn.Conv2d(cin, cout, kernel, stride, padding, bias=False), batch_norm(cout)]


def batch_norm(channels: int) -> nn.BatchNorm2d:
    """Keras' epsilon; momentum 0.1 is pvdefects' BN_MOMENTUM 0.9 in PyTorch's convention."""
    return nn.BatchNorm2d(channels, eps=KERAS_BN_EPSILON, momentum=0.1)


class ResBlock(nn.Module):
    """pvdefects.models.resnet.res_block: ResBlock(c, s) with its projected shortcut."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(*conv_bn(cin, cout, 3, stride), nn.ReLU(), *conv_bn(cout, cout, 3, 1))
        projected = stride != 1 or cin != cout
        self.shortcut = nn.Sequential(*conv_bn(cin, cout, 1, stride)) if projected else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.shortcut(x))


def resnet(num_classes: int, blocks_per_stage: tuple[int, ...]) -> nn.Sequential:
    """pvdefects.models.resnet.resnet (no dropout, its default)."""
    from pvdefects.models.resnet import STAGE_CHANNELS

    layers: list[nn.Module] = [*conv_bn(1, 64, 7, 2), nn.ReLU(), nn.MaxPool2d(3, 2, padding=1)]
    cin = 64
    for stage, (cout, blocks) in enumerate(zip(STAGE_CHANNELS, blocks_per_stage), start=1):
        for block in range(1, blocks + 1):
            layers.append(ResBlock(cin, cout, 2 if stage > 1 and block == 1 else 1))
            cin = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, num_classes))


def alexnet(num_classes: int, input_size: int, dropout: float = 0.5) -> nn.Sequential:
    """pvdefects.models.alexnet.alexnet: five conv-BN-ReLU layers, three poolings, three dense layers."""
    from pvdefects.models.alexnet import FEATURES, HIDDEN_UNITS

    layers: list[nn.Module] = []
    cin = 1
    for filters, kernel, stride, padding, pool in FEATURES:
        layers += [*conv_bn(cin, filters, kernel, stride, 0 if padding == "valid" else None), nn.ReLU()]
        if pool:
            layers.append(nn.MaxPool2d(3, 2))
        cin = filters
    features = nn.Sequential(*layers)
    with torch.no_grad():
        flat = features(torch.zeros(1, 1, input_size, input_size)).numel()
    return nn.Sequential(
        features,
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(flat, HIDDEN_UNITS),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(HIDDEN_UNITS, HIDDEN_UNITS),
        nn.ReLU(),
        nn.Linear(HIDDEN_UNITS, num_classes),
    )


def simple_cnn(num_classes: int) -> nn.Sequential:
    """pvdefects.models.simple_cnn.simple_cnn (no dropout, its default)."""
    from pvdefects.models.simple_cnn import CHANNELS

    layers: list[nn.Module] = []
    cin = 1
    for filters in CHANNELS:
        layers += [*conv_bn(cin, filters, 3, 1), nn.ReLU(), nn.MaxPool2d(2)]
        cin = filters
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, num_classes))


class MBConv(nn.Module):
    """pvdefects.models.efficientnet_lite.mbconv: expand (1x1), depthwise, project (1x1), ReLU6."""

    def __init__(self, cin: int, expand: int, kernel: int, stride: int, cout: int):
        super().__init__()
        mid = cin * expand
        expansion = [*conv_bn(cin, mid, 1, 1), nn.ReLU6()] if expand != 1 else []
        depthwise = nn.Conv2d(mid, mid, kernel, stride, kernel // 2, groups=mid, bias=False)
        self.body = nn.Sequential(
            *expansion,
            depthwise,
            batch_norm(mid),
            nn.ReLU6(),
            *conv_bn(mid, cout, 1, 1),
        )
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return y + x if self.residual else y


def efficientnet_lite0(num_classes: int) -> nn.Sequential:
    """pvdefects.models.efficientnet_lite.efficientnet_lite0 (dropout 0.2)."""
    from pvdefects.models.efficientnet_lite import DROPOUT, HEAD_CHANNELS, STEM_CHANNELS, block_plan

    layers: list[nn.Module] = [*conv_bn(1, STEM_CHANNELS, 3, 2), nn.ReLU6()]
    cin = STEM_CHANNELS
    for block in block_plan():
        layers.append(MBConv(cin, block.expand, block.kernel, block.stride, block.channels))
        cin = block.channels
    return nn.Sequential(
        *layers,
        *conv_bn(cin, HEAD_CHANNELS, 1, 1),
        nn.ReLU6(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(DROPOUT),
        nn.Linear(HEAD_CHANNELS, num_classes),
    )


def create_torch_model(name: str, num_classes: int, input_size: int) -> nn.Module:
    """The twin of ``pvdefects.models.create_model(name, num_classes, input_size)`` (per-image
    standardisation), in channels-last memory format; KeyError for a net without a twin."""
    from pvdefects.models.resnet import BLOCKS_PER_STAGE

    builders = {
        "alexnet": lambda: alexnet(num_classes, input_size),
        "simple_cnn": lambda: simple_cnn(num_classes),
        "efficientnet_lite0": lambda: efficientnet_lite0(num_classes),
        **{net: partial(resnet, num_classes, blocks) for net, blocks in BLOCKS_PER_STAGE.items()},
    }
    model = nn.Sequential(Preprocessing(input_size), builders[name]())
    return model.to(memory_format=torch.channels_last)
