"""Every knob of a training run, as data: defaults here, overridden by a config file, then the CLI.

The resolved config is written into the run folder, so a run can be repeated or resumed exactly.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from pvdefects.atomic import write_json
from pvdefects.errors import UserError

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
}


@dataclass
class TrainConfig:
    # data
    labels: str | None = None  # labels CSV; None trains on the built-in ELPV cells
    images_root: str | None = None  # image folder; defaults to the CSV's folder
    val_fraction: float = 0.2
    folds: int = 0  # > 1: K-fold cross-validation, validating on fold number `fold`
    fold: int = 0
    seed: int = 0
    # model
    model: str = "resnet18"
    input_size: int = 224
    normalization: str = "per_image"
    dropout: float | None = None  # None keeps the architecture's default
    # optimisation
    epochs: int = 30
    patience: int = 10
    batch_size: int = 32
    optimizer: str = "adamw"
    learning_rate: float = 1e-3
    momentum: float = 0.9  # SGD only
    weight_decay: float = 1e-4
    schedule: str = "cosine"
    warmup_epochs: int = 1
    steps_per_epoch: int | None = None  # None: one pass over the training rows
    ema_momentum: float = 0.0  # > 0: validate and keep an exponential moving average of the weights
    # loss
    loss: str = "bce"
    pos_weight: str = "none"
    focal_gamma: float = 2.0
    label_smoothing: float = 0.0
    # sampling and augmentation
    balance: float = 0.5  # 0 = uniform sampling, 1 = fully class-balanced
    aug_flips: bool = True
    aug_rot90: bool = True
    aug_intensity: float = 0.1
    aug_shift: float = 0.0  # random translation by up to this share of the side (mirror-filled)
    mixup: float = 0.0  # > 0: mix pairs of images and labels with weights from Beta(mixup, mixup)

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
        if not 0 <= self.balance <= 1:
            raise UserError(f"balance must be within [0, 1]; got {self.balance}")
        if not 0 <= self.aug_shift < 0.5:
            raise UserError(f"aug_shift must be within [0, 0.5) (0 = off); got {self.aug_shift}")
        if self.mixup < 0:
            raise UserError(f"mixup must be >= 0 (0 = off); got {self.mixup}")
        if not 0 <= self.ema_momentum < 1:
            raise UserError(f"ema_momentum must be within [0, 1) (0 = off); got {self.ema_momentum}")
        for name in ("epochs", "batch_size", "input_size"):
            if getattr(self, name) < 1:
                raise UserError(f"{name} must be at least 1; got {getattr(self, name)}")
        if self.input_size < 32:
            raise UserError(f"input_size must be at least 32 pixels; got {self.input_size}")
        return self

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
