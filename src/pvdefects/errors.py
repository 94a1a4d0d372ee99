"""What users see of problems: one clear line each, without a traceback.

:class:`UserError` stops a command (exit status 2); :class:`InputWarning` lets it go on and is
printed by the CLI as one ``warning:`` line.
"""


class UserError(Exception):
    """Bad input from the user (a file, a row, an option); the CLI prints it without a traceback."""

    exit_code = 2


class InputWarning(UserWarning):
    """Something about the user's input that the command worked around (converted colour images,
    a label combination too rare to stratify, a class without positives)."""
