"""The one exception type users see: a clear, one-line message and exit status 2."""


class UserError(Exception):
    """Bad input from the user (a file, a row, an option); the CLI prints it without a traceback."""

    exit_code = 2
