"""What a team is told about a refused model: a fixed category and a short, sanitised reason.

Static findings (the zip, the SavedModel's signature, its operations, its class names) describe the
team's own file and are shown as the scorer wrote them. Anything from the run itself (the model's
error text, the values it returned, how long it ran, the number of test images) could carry
information about the hidden test images out, so those categories get a fixed sentence instead.
"""

from __future__ import annotations

import re

from pvdefects.contract import DECISIONS, METADATA_ASSET

MAX_REASON = 300

# (category, pattern in the scorer's message, fixed reason or None to show the message); first match wins,
# and the run's categories come first so that text a model wrote can never select a shown category
CATEGORIES: tuple[tuple[str, str, str | None], ...] = (
    ("time_limit", r"ran longer than the", "The model ran longer than the time allowed and was stopped."),
    (
        "runtime",
        r"inside the sandbox|could not be read back",
        "The model failed while scoring (an error, or more memory or CPU time than allowed). It must run on "
        "float32 [batch, height, width, 1] pixels 0-255 alone.",
    ),
    (
        "output",
        rf"the model's output '{DECISIONS}'",
        f"The model's output '{DECISIONS}' is not one 0/1 decision per image and class.",
    ),
    (
        "archive",
        r"zip|member|unpack|submission not found|folders hold",
        None,
    ),
    (
        "model",
        "SavedModel|signature|operations that scoring does not allow|"
        rf"{re.escape(METADATA_ASSET)}|the model's classes",
        None,
    ),
)
OTHER = ("invalid", "The submission was refused.")


def describe_rejection(message: str, archive_name: str) -> tuple[str, str]:
    """(category, reason) for a :class:`~pvdefects.security.Rejected` message about ``archive_name``."""
    text = re.sub(rf"^{re.escape(archive_name)}:\s*", "", message.strip())
    for category, pattern, fixed in CATEGORIES:
        if re.search(pattern, text):
            reason = fixed or text
            return category, reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"
    return OTHER
