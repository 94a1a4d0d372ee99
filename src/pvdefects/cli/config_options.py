"""The options of ``TrainConfig`` settings, shared by ``train`` and ``crossval``.

Each is an ``Annotated`` type to give a command parameter of the same name as the config field.
Their CLI default is None, so that only the options the user typed override the config file;
:func:`resolve_config` applies them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pvdefects.training.config import (
    ARCHITECTURE_DEFAULTS,
    TrainConfig,
    apply_settings,
    defaults_for,
    read_settings_file,
)

DEFAULTS = TrainConfig()


def option(help_text: str, key: str | None = None, **kwargs) -> typer.Option:
    """A CLI option whose help shows the built-in default (the CLI's own default is None, so that
    only options the user typed override the config file)."""
    per_model = "".join(
        f"; {model}: {values[key]}" for model, values in ARCHITECTURE_DEFAULTS.items() if key in values
    )
    default = f" [default: {getattr(DEFAULTS, key)}{per_model}]" if key else ""
    return typer.Option(help=help_text + default, show_default=False, **kwargs)


Labels = Annotated[
    str | None, option("Labels CSV (filename;<class>;...). Default: the built-in ELPV cells ('elpv').")
]
ImagesRoot = Annotated[
    Path | None, option("Folder the CSV's filenames are relative to. Default: the CSV's folder.")
]
Model = Annotated[str | None, option("Architecture (see `pvdefects models`).", "model")]
ConfigFile = Annotated[
    Path | None, option("A .json or .toml file of settings; options typed here override it.")
]
Epochs = Annotated[int | None, option("Maximum number of epochs.", "epochs")]
Patience = Annotated[
    int | None, option("Stop after this many epochs without a better validation loss.", "patience")
]
BatchSize = Annotated[int | None, option("Images per training step.", "batch_size")]
InputSize = Annotated[int | None, option("Side in pixels the model resizes cells to.", "input_size")]
Optimizer = Annotated[str | None, option("adam, adamw or sgd (Nesterov momentum).", "optimizer")]
LearningRate = Annotated[float | None, option("Peak learning rate.", "learning_rate")]
WeightDecay = Annotated[float | None, option("Weight decay (0 for none).", "weight_decay")]
Momentum = Annotated[float | None, option("SGD momentum.", "momentum")]
Schedule = Annotated[str | None, option("constant, cosine (with warm-up) or plateau.", "schedule")]
WarmupEpochs = Annotated[int | None, option("Linear warm-up epochs of the cosine schedule.", "warmup_epochs")]
Loss = Annotated[str | None, option("bce (sigmoid cross-entropy) or focal.", "loss")]
PosWeight = Annotated[
    str | None, option("Weight of positives per class: none, sqrt or balanced (neg/pos).", "pos_weight")
]
FocalGamma = Annotated[float | None, option("Focusing parameter of the focal loss.", "focal_gamma")]
LabelSmoothing = Annotated[float | None, option("Pull targets towards 0.5 by this much.", "label_smoothing")]
Balance = Annotated[
    float | None, option("Class-balanced sampling: 0 uniform ... 1 each stratum equally often.", "balance")
]
AugFlips = Annotated[bool | None, option("Random horizontal/vertical flips.", "aug_flips")]
AugRot90 = Annotated[bool | None, option("Random quarter turns.", "aug_rot90")]
AugIntensity = Annotated[
    float | None, option("Gamma/brightness/contrast jitter strength (0 = off).", "aug_intensity")
]
AugShift = Annotated[
    float | None,
    option("Random translation by up to this share of the side, mirror-filled (0 = off).", "aug_shift"),
]
Mixup = Annotated[
    float | None,
    option("Mixup of image pairs and their labels, weights from Beta(a, a) (0 = off).", "mixup"),
]
Normalization = Annotated[
    str | None, option("per_image (zero mean, unit variance) or scale (x/255).", "normalization")
]
Dropout = Annotated[float | None, option("Dropout rate before the classifier. Default: the architecture's.")]
ValFraction = Annotated[float | None, option("Share of cells held out for validation.", "val_fraction")]
Folds = Annotated[
    int | None, option("K-fold cross-validation: number of folds (0 = a single split).", "folds")
]
Fold = Annotated[int | None, option("Which fold validates, 0..folds-1.", "fold")]
Seed = Annotated[
    int | None, option("Seed of the split, the sampler, augmentation and initial weights.", "seed")
]
StepsPerEpoch = Annotated[
    int | None, option("Training steps per epoch. Default: one pass over the training cells.")
]
EmaMomentum = Annotated[
    float | None,
    option(
        "Validate and save a moving average of the weights with this momentum, e.g. 0.99 (0 = off).",
        "ema_momentum",
    ),
]


def resolve_config(config_file: Path | None, values: dict[str, Any]) -> TrainConfig:
    """The chosen model's defaults, then the config file, then the settings among ``values`` (a
    command's parameters) that were typed on the command line; checked."""
    overrides = {key: value for key, value in values.items() if key in TrainConfig.__dataclass_fields__}
    if overrides.get("images_root") is not None:
        overrides["images_root"] = str(overrides["images_root"])
    settings = read_settings_file(config_file) if config_file else {}
    base = defaults_for(overrides.get("model") or settings.get("model") or DEFAULTS.model)
    return apply_settings(settings, base, source=config_file).updated(**overrides).validate()
