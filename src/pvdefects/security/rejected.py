"""The one error an untrusted submission gets: a single readable line, exit status 2."""

from __future__ import annotations

from pvdefects.errors import UserError


class Rejected(UserError):
    """The submission was refused or failed safely: what was wrong, and what to fix.

    Raised by every layer of untrusted scoring (archive, graph check, sandbox, output check); the
    CLI prints it as ``error: <message>`` and exits with status 2, and the server stores the same
    line for the submitter.
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))  # always one line, whatever went in
