"""Every knob of a training run, as data: defaults here, overridden by a config file, then the CLI.

The resolved config is written into the run folder, so a run can be repeated or resumed exactly.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from pvdefects.atomic import write_json
from pvdefects.errors import UserError
from pvdefects.precision import PRECISIONS

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

CHOICES = {
    "optimizer": ("adam", "adamw", "sgd"),
    "schedule": ("constant", "cosine", "plateau"),
    "loss": ("bce", "focal"),
    "pos_weight": ("none", "sqrt", "balanced"),
    "normalization": ("per_image", "scale"),
    "pooling": ("avg", "avgmax", "gem"),  # pvdefects.models.heads.POOLINGS
    "precision": PRECISIONS,
    "strategy": ("default", "mirrored", "multiworker"),
}


def setting(default, help: str):
    """A field of :class:`TrainConfig` with the help text that its command-line option shows: the
    options of ``train``, ``crossval`` and ``tune`` are generated from these fields
    (:mod:`pvdefects.cli.training_options`), so a new setting is declared here once."""
    return field(default=default, metadata={"help": help})


@dataclass
class TrainConfig:
    # data
    labels: str | None = setting(
        None, "Labels CSV (filename;<class>;...). Default: the built-in ELPV cells ('elpv')."
    )
    images_root: str | None = setting(
        None, "Folder the CSV's filenames are relative to. Default: the CSV's folder."
    )
    val_fraction: float = setting(0.2, "Share of cells held out for validation.")
    folds: int = setting(0, "K-fold cross-validation: number of folds (0 = a single split; crossval: 5).")
    fold: int = setting(0, "Which fold validates, 0..folds-1.")
    seed: int = setting(0, "Seed of the sampler, augmentation, initial weights and (by default) the split.")
    split_seed: int | None = setting(
        None, "Seed of the split alone (which cells validate). Default: seed. Fixed, it keeps the folds."
    )
    # model
    model: str = setting(
        "efficientnet_lite0",
        "Architecture (see `pvdefects models`); the default fine-tunes ImageNet weights (docs/pretrained.md)",
    )
    input_size: int = setting(224, "Side in pixels the model resizes cells to.")
    normalization: str = setting("per_image", "per_image (zero mean, unit variance) or scale (x/255).")
    dropout: float | None = setting(None, "Dropout rate before the classifier. Default: the architecture's.")
    pooling: str = setting(
        "avg",
        "Global pooling before the classifier: avg, avgmax (average and max side by side) or gem "
        "(generalised mean, learnable p from 3). Not for alexnet, which flattens its features.",
    )
    drop_connect_rate: float = setting(
        0.0,
        "Stochastic depth: drop a residual block's branch per sample at a rate rising over the blocks to "
        "this one (efficientnet_lite0/1, whose ImageNet training used 0.2; 0 = off).",
    )
    pretrained: bool | None = setting(
        None,
        "Start the backbone from ImageNet weights (efficientnet_lite0/1; docs/pretrained.md). "
        "Default: when the architecture has them and their package is installed.",
    )
    # fine-tuning (training/finetuning.py)
    head_epochs: int = setting(0, "Train only the classifier during this many first epochs, then all layers.")
    freeze_bn: bool = setting(
        False, "Keep every batch-norm layer in inference mode with its statistics fixed (pretrained nets)."
    )
    stem_lr_scale: float = setting(
        1.0,
        "Layer-wise learning-rate decay: the first layer learns at this share of the rate, the layers "
        "after it at shares rising geometrically to 1 before the classifier, which learns at the full "
        "rate (1 = off).",
    )
    precision: str = setting(
        "auto",
        "float32, or bfloat16 (Keras mixed_bfloat16: float32 weights, float32 logits and loss). auto: "
        "bfloat16 where the CPU has AVX-512 BF16 or AMX or the GPU is Ampere or later, else float32.",
    )
    strategy: str = setting(
        "default",
        "default (one device), mirrored (every GPU of this machine) or multiworker (the machines of "
        "TF_CONFIG; docs/scaling.md). batch_size is per device.",
    )
    # optimisation
    epochs: int = setting(30, "Maximum number of epochs.")
    patience: int = setting(10, "Stop after this many epochs without a better validation loss.")
    batch_size: int = setting(32, "Images per training step.")
    optimizer: str = setting("adamw", "adam, adamw or sgd (Nesterov momentum).")
    learning_rate: float = setting(1e-3, "Peak learning rate.")
    momentum: float = setting(0.9, "SGD momentum.")
    weight_decay: float = setting(1e-4, "Weight decay (0 for none).")
    schedule: str = setting("cosine", "constant, cosine (with warm-up) or plateau.")
    warmup_epochs: int = setting(1, "Linear warm-up epochs of the cosine schedule.")
    steps_per_epoch: int | None = setting(
        None, "Training steps per epoch. Default: one pass over the training cells."
    )
    ema_momentum: float = setting(
        0.0, "Validate and save a moving average of the weights with this momentum, e.g. 0.99 (0 = off)."
    )
    # loss
    loss: str = setting("bce", "bce (sigmoid cross-entropy) or focal.")
    pos_weight: str = setting("none", "Weight of positives per class: none, sqrt or balanced (neg/pos).")
    focal_gamma: float = setting(2.0, "Focusing parameter of the focal loss.")
    label_smoothing: float = setting(0.0, "Pull targets towards 0.5 by this much.")
    # sampling and augmentation (the aug_<name> settings are data.pipeline.Augmentation's <name>)
    balance: float = setting(0.5, "Class-balanced sampling: 0 uniform ... 1 each stratum equally often.")
    aug_flips: bool = setting(True, "Random horizontal/vertical flips.")
    aug_rot90: bool = setting(True, "Random quarter turns.")
    aug_intensity: float = setting(0.1, "Gamma/brightness/contrast jitter strength (0 = off).")
    aug_shift: float = setting(
        0.0, "Random translation by up to this share of the side, mirror-filled (0 = off)."
    )
    aug_rotate: float = setting(0.0, "Random rotation by up to this many degrees, mirror-filled (0 = off).")
    aug_scale: float = setting(
        0.0, "Random zoom in or out by up to this fraction, e.g. 0.02 for +-2 %, mirror-filled (0 = off)."
    )
    mixup: float = setting(0.0, "Mixup of image pairs and their labels, weights from Beta(a, a) (0 = off).")

    def validate(self) -> TrainConfig:
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise UserError(f"{name} must be one of {', '.join(allowed)}; got {getattr(self, name)!r}")
        if not 0 < self.val_fraction < 1:
            raise UserError(f"val_fraction must be between 0 and 1; got {self.val_fraction}")
        if self.folds == 1 or self.folds < 0 or (self.folds > 1 and not 0 <= self.fold < self.folds):
            raise UserError(
                f"fold must be in 0..folds-1 with folds >= 2 (or folds 0); got fold {self.fold} of "
                f"{self.folds}"
            )
        if self.seed < 0 or (self.split_seed is not None and self.split_seed < 0):
            raise UserError(f"seed and split_seed must be >= 0; got {self.seed} and {self.split_seed}")
        if not 0 <= self.balance <= 1:
            raise UserError(f"balance must be within [0, 1]; got {self.balance}")
        if not 0 <= self.aug_shift < 0.5:
            raise UserError(f"aug_shift must be within [0, 0.5) (0 = off); got {self.aug_shift}")
        if not 0 <= self.aug_rotate <= 45:
            raise UserError(f"aug_rotate must be within [0, 45] degrees (0 = off); got {self.aug_rotate}")
        if not 0 <= self.aug_scale < 0.5:
            raise UserError(f"aug_scale must be within [0, 0.5) (0 = off); got {self.aug_scale}")
        if self.mixup < 0:
            raise UserError(f"mixup must be >= 0 (0 = off); got {self.mixup}")
        if not 0 <= self.drop_connect_rate < 1:
            raise UserError(
                f"drop_connect_rate must be within [0, 1) (0 = off); got {self.drop_connect_rate}"
            )
        if not 0 < self.stem_lr_scale <= 1:
            raise UserError(f"stem_lr_scale must be within (0, 1] (1 = off); got {self.stem_lr_scale}")
        if not 0 <= self.ema_momentum < 1:
            raise UserError(f"ema_momentum must be within [0, 1) (0 = off); got {self.ema_momentum}")
        for name in ("epochs", "batch_size", "input_size"):
            if getattr(self, name) < 1:
                raise UserError(f"{name} must be at least 1; got {getattr(self, name)}")
        if self.input_size < 32:
            raise UserError(f"input_size must be at least 32 pixels; got {self.input_size}")
        if not 0 <= self.head_epochs < self.epochs:
            raise UserError(
                f"head_epochs must be within [0, epochs); got {self.head_epochs} of {self.epochs}"
            )
        return self

    @property
    def effective_split_seed(self) -> int:
        """The seed that assigns the cells to the split or the folds: ``split_seed``, else ``seed``. Two
        runs that differ only in ``seed`` then measure the training's own noise on the same cells."""
        return self.seed if self.split_seed is None else self.split_seed

    def updated(self, **changes) -> TrainConfig:
        """A copy with ``changes`` applied (None values ignored); unknown keys are an error."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise UserError(f"unknown config keys: {', '.join(unknown)}")
        values = asdict(self) | {k: v for k, v in changes.items() if v is not None}
        return TrainConfig(**values)

    def save(self, path: Path) -> None:
        write_json(path, asdict(self))


# Settings recommended per architecture (docs/hyperparameters.md, "Recommended settings"). They
# replace TrainConfig's defaults when that model is chosen; config files and options still win.
ARCHITECTURE_DEFAULTS: dict[str, dict] = {
    "resnet18": {"balance": 1.0},  # fully class-balanced sampling won on 3 of 3 seeds (+0.018 mean F1)
    "alexnet": {"learning_rate": 5e-4},  # the setting of the AlexNet benchmark (0.771 at 224 px)
    # The default model. Fine-tuned from ImageNet it needs few epochs: 5-fold out of fold, mean F1 0.814 at
    # 160 px and 8 epochs, 0.836 at 224 px (docs/challenge.md), against the from-scratch resnet18
    # preset's 0.746. bfloat16 slows its depthwise convolutions down on CPUs without AMX (a Zen 4 at 224 px,
    # fused batch norm: 21.4 vs 33.3 training images/s; docs/notes/2026-12-06-throughput.md), so "auto"
    # would pick the slower one.
    "efficientnet_lite0": {"precision": "float32", "input_size": 224, "epochs": 8},
    # Lite1: 21 blocks to Lite0's 16, trained with Lite0's settings (not tuned apart)
    "efficientnet_lite1": {"precision": "float32", "input_size": 224, "epochs": 8},
}


def defaults_for(model: str) -> TrainConfig:
    """TrainConfig's defaults with ``model``'s recommended settings applied."""
    return TrainConfig(model=model).updated(**ARCHITECTURE_DEFAULTS.get(model, {}))


def read_settings_file(path: str | Path) -> dict:
    """The table of settings in a ``.json`` or ``.toml`` file, as written (not yet checked)."""
    path = Path(path)
    try:
        text = path.read_text()
        values = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except FileNotFoundError:
        raise UserError(f"{path}: config file not found") from None
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise UserError(f"{path}: invalid config file ({error})") from None
    if not isinstance(values, dict):
        raise UserError(f"{path}: a config file holds a table of settings")
    return values


def load_config_file(path: str | Path, base: TrainConfig | None = None) -> TrainConfig:
    """Read a ``.json`` or ``.toml`` config file over ``base`` (the defaults)."""
    return apply_settings(read_settings_file(path), base or TrainConfig(), source=path)


def apply_settings(values: dict, base: TrainConfig, source: str | Path) -> TrainConfig:
    """``base`` updated with the settings ``values`` read from ``source`` (named in errors)."""
    try:
        return base.updated(**values)
    except UserError as error:
        raise UserError(f"{source}: {error}") from None
