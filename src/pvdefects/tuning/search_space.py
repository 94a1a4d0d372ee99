"""The hyperparameter search space, as data: which TrainConfig fields a study varies, and how.

A dimension is one of

* fixed:  ``model = "resnet18"``                  (or ``{value = "resnet18"}``)
* choices: ``batch_size = [16, 32, 64]``            (or ``{choices = [16, 32, 64]}``)
* a range: ``learning_rate = {low = 1e-4, high = 1e-2, log = true}`` (optional ``step``);
  integer fields get integer ranges.

The same specs come from the command line as ``NAME=VALUE``, ``NAME=A,B,C`` or ``NAME=LOW..HIGH``
(``LOW..HIGH:log`` for a log scale). Every candidate value is checked against TrainConfig's own
rules before the study starts, so a typo fails in a second rather than after hours of trials.
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import optuna

from pvdefects.errors import UserError
from pvdefects.models import list_models
from pvdefects.training.config import TrainConfig, read_settings_file

# Fields that define the validation data: fixing them is fine, searching them would make the
# trials' scores incomparable.
NOT_SEARCHABLE = {
    "labels": "it selects the data",
    "images_root": "it selects the data",
    "val_fraction": "it changes the validation set",
    "folds": "it changes the validation set",
    "fold": "it changes the validation set",
    "seed": "it changes the validation split (unless split_seed is fixed) or only picks the luckiest start",
    "split_seed": "it changes the validation split",
}

# A dimension that only matters for one value of another; it is sampled only then, so that it
# neither wastes the sampler's effort nor shows up as (un)important in the plots.
CONDITIONS = {
    "focal_gamma": ("loss", "focal"),
    "momentum": ("optimizer", "sgd"),
    "warmup_epochs": ("schedule", "cosine"),
}


@dataclass(frozen=True)
class Fixed:
    value: Any

    def suggest(self, trial: optuna.Trial, name: str) -> Any:
        return self.value

    def candidates(self) -> list:
        return [self.value]

    def to_data(self) -> dict:
        return {"value": self.value}

    def describe(self) -> str:
        return f"fixed {self.value!r}"


@dataclass(frozen=True)
class Choice:
    choices: tuple

    def suggest(self, trial: optuna.Trial, name: str) -> Any:
        return trial.suggest_categorical(name, self.choices)

    def candidates(self) -> list:
        return list(self.choices)

    def to_data(self) -> dict:
        return {"choices": list(self.choices)}

    def describe(self) -> str:
        return "one of " + ", ".join(map(str, self.choices))


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    log: bool = False
    step: float | None = None
    integer: bool = False

    def suggest(self, trial: optuna.Trial, name: str) -> float | int:
        if self.integer:
            return trial.suggest_int(name, self.low, self.high, step=self.step or 1, log=self.log)
        return trial.suggest_float(name, self.low, self.high, step=self.step, log=self.log)

    def candidates(self) -> list:
        return [self.low, self.high]

    def to_data(self) -> dict:
        data = {"low": self.low, "high": self.high, "log": self.log}
        return data | ({"step": self.step} if self.step is not None else {})

    def describe(self) -> str:
        scale = "log scale" if self.log else f"step {self.step}" if self.step else "uniform"
        return f"{self.low} .. {self.high} ({scale})"


Dimension = Fixed | Choice | Range

DEFAULT_SPACE: dict[str, Dimension] = {
    "model": Choice(("alexnet", "resnet18", "resnet34")),
    "input_size": Choice((160, 224, 300)),
    "batch_size": Choice((16, 32, 64)),
    "optimizer": Choice(("adam", "adamw", "sgd")),
    "learning_rate": Range(1e-4, 1e-2, log=True),
    "weight_decay": Range(1e-6, 1e-2, log=True),
    "dropout": Range(0.0, 0.5),
    "loss": Choice(("bce", "focal")),
    "focal_gamma": Range(0.5, 4.0),
    "pos_weight": Choice(("none", "sqrt", "balanced")),
    "balance": Range(0.0, 1.0),
    "aug_intensity": Range(0.0, 0.3),
}

FIELD_TYPES = typing.get_type_hints(TrainConfig)


def field_type(name: str) -> type:
    """The type of a TrainConfig field, without its ``| None``."""
    if name not in FIELD_TYPES:
        known = ", ".join(f.name for f in fields(TrainConfig))
        raise UserError(f"unknown hyperparameter {name!r}; known: {known}")
    kinds = [t for t in typing.get_args(FIELD_TYPES[name]) if t is not type(None)] or [FIELD_TYPES[name]]
    return kinds[0]


def coerce(name: str, value: Any) -> Any:
    """``value`` as the type of field ``name`` (ints are fine for floats), or a UserError."""
    kind = field_type(name)
    if value is None and type(None) in typing.get_args(FIELD_TYPES[name]):
        return None
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    raise UserError(f"{name} takes {kind.__name__} values; got {value!r}")


def parse_dimension(name: str, spec: Any) -> Dimension:
    """A dimension from its data form (see the module docstring)."""
    field_type(name)
    if isinstance(spec, dict):
        keys = set(spec)
        if keys == {"value"}:
            return Fixed(coerce(name, spec["value"]))
        if keys == {"choices"} and isinstance(spec["choices"], list):
            return parse_dimension(name, spec["choices"])
        if {"low", "high"} <= keys <= {"low", "high", "log", "step"}:
            return parse_range(name, spec["low"], spec["high"], spec.get("log", False), spec.get("step"))
        raise UserError(
            f"{name}: cannot read {spec!r}; give a value, a list of choices, {{choices = [...]}}, "
            "{value = ...} or {low = ..., high = ..., log = true|false, step = ...}"
        )
    if isinstance(spec, list):
        if not spec:
            raise UserError(f"{name}: the list of choices is empty")
        choices = tuple(dict.fromkeys(coerce(name, value) for value in spec))
        return Fixed(choices[0]) if len(choices) == 1 else Choice(choices)
    return Fixed(coerce(name, spec))


def parse_range(name: str, low: Any, high: Any, log: Any = False, step: Any = None) -> Range:
    kind = field_type(name)
    if kind not in (int, float):
        raise UserError(
            f"{name} takes {kind.__name__} values, so it cannot be a range; list the choices instead"
        )
    low, high = coerce(name, low), coerce(name, high)
    step = None if step is None else coerce(name, step)
    if not isinstance(log, bool):
        raise UserError(f"{name}: log must be true or false; got {log!r}")
    if not low < high:
        raise UserError(f"{name}: the range needs low < high; got {low} .. {high}")
    if log and low <= 0:
        raise UserError(f"{name}: a log-scale range needs low > 0; got {low}")
    if step is not None and (step <= 0 or log):
        raise UserError(f"{name}: step must be > 0 and cannot be combined with a log scale; got {step}")
    return Range(low, high, log, step, integer=kind is int)


def parse_cli_value(text: str) -> Any:
    """``32`` -> 32, ``1e-3`` -> 0.001, ``true`` -> True, ``null`` -> None, anything else a string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text.strip()


def parse_cli_spec(text: str) -> tuple[str, Dimension]:
    """``NAME=VALUE``, ``NAME=A,B,C``, ``NAME=LOW..HIGH`` or ``NAME=LOW..HIGH:log``."""
    name, sep, spec = text.partition("=")
    name, spec = name.strip().replace("-", "_"), spec.strip()
    if not sep or not name or not spec:
        raise UserError(f"--param {text!r}: expected NAME=VALUE, NAME=A,B,C or NAME=LOW..HIGH[:log]")
    if ".." in spec:
        bounds, _, scale = spec.partition(":")
        if scale not in ("", "log"):
            raise UserError(f"--param {text!r}: the only scale after ':' is 'log'")
        low, _, high = bounds.partition("..")
        return name, parse_range(name, parse_cli_value(low), parse_cli_value(high), log=scale == "log")
    if "," in spec:
        return name, parse_dimension(name, [parse_cli_value(part) for part in spec.split(",")])
    return name, parse_dimension(name, parse_cli_value(spec))


@dataclass(frozen=True)
class SearchSpace:
    dimensions: dict[str, Dimension]

    def searched(self, base: TrainConfig) -> list[str]:
        """The dimensions that can differ between trials: not fixed, and (for a conditional one)
        with a condition that can hold."""

        def can_apply(name: str) -> bool:
            other, needed = CONDITIONS.get(name, (None, None))
            return (
                other is None
                or needed in self.dimensions.get(other, Fixed(getattr(base, other))).candidates()
            )

        return [n for n, dim in self.dimensions.items() if not isinstance(dim, Fixed) and can_apply(n)]

    def check(self, base: TrainConfig) -> SearchSpace:
        """Reject what TrainConfig would reject, before any trial runs."""
        for name, dim in self.dimensions.items():
            if name in NOT_SEARCHABLE and not isinstance(dim, Fixed):
                raise UserError(f"{name} cannot be searched ({NOT_SEARCHABLE[name]}); fix it instead")
            for value in dim.candidates():
                if name == "model" and value not in list_models():
                    raise UserError(
                        f"model: unknown architecture {value!r}; choose from {', '.join(list_models())}"
                    )
                try:
                    replace(base, **{name: value}).validate()
                except UserError as error:
                    raise UserError(f"search space, {name}: {error}") from None
        if not self.searched(base):
            raise UserError("the search space has no dimension left to search (every one is fixed)")
        return self

    def sample(self, trial: optuna.Trial, base: TrainConfig) -> TrainConfig:
        """The trial's config: ``base`` with each dimension suggested (conditional ones only when
        their condition holds)."""
        values: dict[str, Any] = {}
        for name in sorted(self.dimensions, key=lambda n: n in CONDITIONS):  # conditions' subjects first
            if name in CONDITIONS:
                other, needed = CONDITIONS[name]
                if values.get(other, getattr(base, other)) != needed:
                    continue
            values[name] = self.dimensions[name].suggest(trial, name)
        return replace(base, **values).validate()

    def to_data(self) -> dict:
        return {name: dim.to_data() for name, dim in self.dimensions.items()}


def load_space_file(path: str | Path) -> dict[str, Dimension]:
    """Dimensions from a ``.toml`` or ``.json`` file: a table of NAME = spec."""
    try:
        return {name: parse_dimension(name, spec) for name, spec in read_settings_file(path).items()}
    except UserError as error:
        raise UserError(f"{path}: {error}") from None


def build_space(
    fixed: set[str],
    space_file: str | Path | None = None,
    cli_specs: list[str] = (),
    use_defaults: bool = True,
) -> SearchSpace:
    """The default space without the ``fixed`` fields (those the base config file sets or the
    options typed), then the space file's dimensions, then ``--param``'s, each replacing a
    dimension of the same name."""
    dimensions = {k: v for k, v in DEFAULT_SPACE.items() if k not in fixed} if use_defaults else {}
    if space_file is not None:
        dimensions |= load_space_file(space_file)
    dimensions |= dict(parse_cli_spec(spec) for spec in cli_specs)
    return SearchSpace(dimensions)
