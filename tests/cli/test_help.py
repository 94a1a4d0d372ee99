"""Every command's --help ends with an example of its use, and the shared ideas are spelled alike."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from pvdefects.cli.main import app

ROOT = typer.main.get_command(app)


def commands(group=ROOT, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found += commands(command, (*path, name)) if hasattr(command, "commands") else [(*path, name)]
    return found


def command_at(path: tuple[str, ...]):
    command = ROOT
    for name in path:
        command = command.commands[name]
    return command


@pytest.mark.parametrize("path", commands(), ids=" ".join)
def test_help_shows_an_example(path):
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Example" in result.output
    assert f"pvdefects {' '.join(path)} " in result.output.split("Example", 1)[1]


@pytest.mark.parametrize("path", [(), ("server",)], ids=["pvdefects", "server"])
def test_the_groups_help_shows_an_example_too(path):
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Example" in result.output
    assert " ".join(("pvdefects", *path)) + " " in result.output.split("Example", 1)[1]


@pytest.mark.parametrize("path", commands(), ids=" ".join)
def test_one_spelling_per_idea(path):
    """A model to use is the MODEL argument (``--model`` is only ever the architecture); a file
    written is ``--out``; ``--json`` is a switch for JSON on stdout, never a file name; ``--timeout``
    is only ever the limit of a model's run (a wait has its own name)."""
    params = {param.name: param for param in command_at(path).params}
    options = [param for param in params.values() if param.param_type_name == "option"]
    for option in options:
        if "--json" in option.opts:
            assert option.is_flag, f"{' '.join(path)}: --json takes no file"
        if "--model" in option.opts:
            assert option.help.startswith("Architecture")
        if "--timeout" in option.opts:
            assert option.help.startswith("Wall-clock limit for the model's run"), " ".join(path)
        assert not {"--untrusted", "--output", "-o"} & set(option.opts)
    for argument in params.values():
        if argument.param_type_name == "argument" and "model" in (argument.help or "").lower():
            assert argument.name == "model" and argument.metavar == "MODEL", " ".join(path)
