"""The command-line options of the training settings, generated from :class:`TrainConfig`'s fields.

``train``, ``crossval`` and ``tune`` take every setting as an option of the same name
(``learning_rate`` -> ``--learning-rate``; booleans also as ``--no-...``), with the field's help
text and default, so a new setting is declared once, in ``training/config.py``. The options'
own default is None, so that only the settings typed override the config file;
:func:`resolve_config` applies them. :func:`training_options` hands the typed settings to the
command as one dict, ``settings``.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import MISSING, fields
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
PANEL = "Training settings (default < the model's recommended settings < --config < options typed)"
FIELD_TYPES = typing.get_type_hints(TrainConfig)


def option(help_text: str, key: str | None = None, **kwargs) -> typer.Option:
    """A CLI option whose help shows the built-in default of setting ``key`` and the architectures'
    own (the CLI's default is None, so that only options the user typed override the config file)."""
    per_model = "".join(
        f"; {model}: {values[key]}" for model, values in ARCHITECTURE_DEFAULTS.items() if key in values
    )
    default = getattr(DEFAULTS, key) if key else None
    shown = f" [default: {default}{per_model}]" if default is not None else ""
    return typer.Option(help=help_text + shown, show_default=False, **kwargs)


def _option_type(name: str) -> type:
    """The field's type without ``| None`` (every option may be left out)."""
    kinds = [t for t in typing.get_args(FIELD_TYPES[name]) if t is not type(None)] or [FIELD_TYPES[name]]
    return kinds[0]


def setting_parameters(exclude: frozenset[str] = frozenset()) -> list[inspect.Parameter]:
    """One keyword parameter per TrainConfig field (but ``exclude``), typed for Typer."""
    return [
        inspect.Parameter(
            field.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                _option_type(field.name) | None,
                option(field.metadata["help"], field.name, rich_help_panel=PANEL),
            ],
        )
        for field in fields(TrainConfig)
        if field.name not in exclude and field.default is not MISSING
    ]


def training_options(exclude: frozenset[str] = frozenset()) -> Callable[[Callable], Callable]:
    """Give a command an option per training setting (but ``exclude``); the command receives the
    settings typed (not None) as its parameter ``settings``."""

    def decorate(command: Callable) -> Callable:
        own = [p for p in inspect.signature(command).parameters.values() if p.name != "settings"]
        generated = setting_parameters(exclude)
        names = {p.name for p in generated}

        @functools.wraps(command)
        def wrapper(**arguments: Any):
            typed = {name: arguments.pop(name) for name in names}
            return command(**arguments, settings={k: v for k, v in typed.items() if v is not None})

        hints = typing.get_type_hints(command, include_extras=True)
        wrapper.__signature__ = inspect.Signature(
            [p.replace(annotation=hints[p.name], kind=inspect.Parameter.KEYWORD_ONLY) for p in own]
            + generated
        )
        wrapper.__annotations__ = {p.name: p.annotation for p in wrapper.__signature__.parameters.values()}
        return wrapper

    return decorate


ConfigFile = Annotated[
    Path | None, option("A .json or .toml file of settings; options typed here override it.")
]


def resolve_config(config_file: Path | None, settings: dict[str, Any]) -> TrainConfig:
    """The chosen model's defaults, then the config file, then the ``settings`` typed; checked."""
    file_settings = read_settings_file(config_file) if config_file else {}
    base = defaults_for(settings.get("model") or file_settings.get("model") or DEFAULTS.model)
    return apply_settings(file_settings, base, source=config_file).updated(**settings).validate()
