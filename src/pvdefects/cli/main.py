"""``pvdefects``: the entry point. Each sub-command lives in its own module of this package.

User errors (bad files, bad options) print one line and exit with status 2, without a traceback.
"""

from __future__ import annotations

import sys
import warnings
from typing import Annotated

import typer

from pvdefects.cli import (
    compare_command,
    crossval_command,
    evaluate_command,
    explain_command,
    export_command,
    models_command,
    predict_command,
    report_command,
    score_command,
    serve_command,
    server_command,
    submit_command,
    train_command,
    tune_command,
    worker_command,
)
from pvdefects.cli.arguments import help_text
from pvdefects.cli.quiet import import_tensorflow_quietly
from pvdefects.errors import InputWarning, UserError

app = typer.Typer(
    help="Find cracks and inactive regions in electroluminescence (EL) images of solar cells.\n\n"
    "Example:\n\n    pvdefects train --labels labels.csv\n\n    pvdefects train --help",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
HEAVY_COMMANDS = {
    "train",
    "crossval",
    "compare",  # reads cross-validations with the trainer's split code
    "evaluate",
    "export",
    "predict",
    "score",
    "tune",
    "models",  # the registry builds Keras models
    "explain",
    "report",
}  # the commands that load TensorFlow
COMMANDS = {
    "train": train_command.train,
    "evaluate": evaluate_command.evaluate,
    "export": export_command.export,
    "predict": predict_command.predict,
    "score": score_command.score,
    "tune": tune_command.tune,
    "crossval": crossval_command.crossval,
    "compare": compare_command.compare,
    "explain": explain_command.explain,
    "report": report_command.report,
    "models": models_command.models,
    "serve": serve_command.serve,  # the challenge server (docs/server.md); Django loads lazily
    "worker": worker_command.worker,
    "submit": submit_command.submit,
}
for name, command in COMMANDS.items():
    app.command(name, help=help_text(command))(command)
app.add_typer(server_command.app, name="server")


def show_input_warnings_as_lines() -> None:
    """Print each :class:`InputWarning` as one ``warning: ...`` line on stderr (no source line);
    other warnings keep Python's format."""
    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, InputWarning):
            typer.secho(f"warning: {message}", err=True, fg="yellow")
        else:
            default(message, category, filename, lineno, file, line)

    warnings.showwarning = show


@app.callback()
def options(
    context: typer.Context,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", help="Show TensorFlow's own start-up and C++ log lines (hidden by default)."
        ),
    ] = False,
) -> None:
    """Options of every command; imports TensorFlow quietly for the commands that need it."""
    if context.invoked_subcommand in HEAVY_COMMANDS and "--help" not in sys.argv and not verbose:
        import_tensorflow_quietly()


def main() -> None:
    show_input_warnings_as_lines()
    try:
        app()
    except UserError as error:
        typer.secho(f"error: {error}", err=True, fg="red")
        sys.exit(error.exit_code)


if __name__ == "__main__":
    main()
