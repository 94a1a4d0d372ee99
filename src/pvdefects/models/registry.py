"""A registry of architectures by name, in the manner of timm's ``create_model``."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from inspect import signature

import keras

from pvdefects.errors import UserError
from pvdefects.models.alexnet import alexnet
from pvdefects.models.efficientnet_lite import efficientnet_lite0, efficientnet_lite1
from pvdefects.models.heads import POOLINGS
from pvdefects.models.preprocessing import preprocessing_block
from pvdefects.models.pretrained import (
    EFFICIENTNET_LITE0,
    EFFICIENTNET_LITE1,
    WeightsPackage,
    installed,
    load_efficientnet_lite,
)
from pvdefects.models.resnet import BLOCKS_PER_STAGE, resnet
from pvdefects.models.simple_cnn import simple_cnn

# name -> function(inputs, num_classes, dropout, pooling[, drop_connect_rate]) returning logits
ARCHITECTURES: dict[str, Callable] = {
    "alexnet": alexnet,
    "simple_cnn": simple_cnn,
    "efficientnet_lite0": efficientnet_lite0,
    "efficientnet_lite1": efficientnet_lite1,
    **{name: partial(resnet, blocks_per_stage=blocks) for name, blocks in BLOCKS_PER_STAGE.items()},
}

# name -> (weights package, function(model, package) setting the ImageNet weights of its backbone)
PRETRAINED: dict[str, tuple[WeightsPackage, Callable[[keras.Model, WeightsPackage], None]]] = {
    "efficientnet_lite0": (EFFICIENTNET_LITE0, load_efficientnet_lite),
    "efficientnet_lite1": (EFFICIENTNET_LITE1, load_efficientnet_lite),
}


def list_models() -> list[str]:
    return sorted(ARCHITECTURES)


def create_model(
    name: str,
    num_classes: int,
    input_size: int = 224,
    normalization: str = "per_image",
    dropout: float | None = None,
    pretrained: bool | None = None,
    pooling: str = "avg",
    drop_connect_rate: float = 0.0,
) -> keras.Model:
    """Build ``name`` as a model from raw grayscale pixels (any height/width, 0-255) to float32 logits,
    in the precision of Keras' dtype policy (:func:`pvdefects.precision.precision_policy`).

    ``dropout`` of None keeps the architecture's own default (0.5 for AlexNet, 0.2 for
    EfficientNet-Lite, none for ResNets). ``pretrained`` starts the backbone from ImageNet weights
    (the classifier stays freshly initialised); None means "where the architecture has them and
    their package is installed". ``pooling`` is the global pooling of the classifier head
    (:mod:`pvdefects.models.heads`: avg, avgmax or gem). ``drop_connect_rate`` is the stochastic depth
    of the residual blocks where the architecture has it (efficientnet_lite*); it acts in training only.
    Raises :class:`UserError` for an unknown name, ``pretrained=True`` without weights, a weights file
    missing or corrupt (saying what to install), a pooling that the architecture does not have (alexnet
    flattens its features) or a ``drop_connect_rate`` where it has no stochastic depth.
    """
    if name not in ARCHITECTURES:
        raise UserError(f"unknown model {name!r}; choose one of: {', '.join(list_models())}")
    if pretrained and name not in PRETRAINED:
        raise UserError(f"model {name!r} has no pretrained weights; those that do: {', '.join(PRETRAINED)}")
    if pooling not in POOLINGS:
        raise UserError(f"pooling must be one of {', '.join(POOLINGS)}; got {pooling!r}")
    has_drop_connect = "drop_connect_rate" in signature(ARCHITECTURES[name]).parameters
    if drop_connect_rate and not has_drop_connect:
        raise UserError(f"model {name!r} has no stochastic depth (drop_connect_rate); efficientnet_lite* do")
    if pretrained is None:
        pretrained = name in PRETRAINED and installed(PRETRAINED[name][0])
    inputs = keras.Input(shape=(None, None, 1), name="image")
    x = preprocessing_block(inputs, input_size, normalization)
    extra = {} if dropout is None else {"dropout": dropout}
    if drop_connect_rate:
        extra["drop_connect_rate"] = drop_connect_rate
    try:
        logits = ARCHITECTURES[name](x, num_classes, **extra, pooling=pooling)
    except ValueError as error:  # Keras: "Computed output size would be zero or negative"
        raise UserError(f"input_size {input_size} is too small for {name}") from error
    if logits.dtype != "float32":  # built in bfloat16 (pvdefects.precision): the loss and scores stay float32
        logits = keras.layers.Activation("linear", dtype="float32", name="logits_float32")(logits)
    model = keras.Model(inputs, logits, name=name)
    if pretrained:
        package, load = PRETRAINED[name]
        load(model, package)
    return model
