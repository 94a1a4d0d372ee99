"""What a team is told about a refused model: the scorer's line for static findings, fixed ones for runs."""

from __future__ import annotations

import pytest

from pvdefects.server.submissions.feedback import describe_rejection

NAME = "ab" * 32 + ".zip"


@pytest.mark.parametrize(
    "message, category, shown",
    [
        (
            f"{NAME}: not a readable zip archive (File is not a zip file); zip it",
            "archive",
            "not a readable zip",
        ),
        (f"{NAME}: member '../x' has '..' in its path; zip it", "archive", "member '../x'"),
        (f"{NAME}: the model uses operations that scoring does not allow: ReadFile", "model", "ReadFile"),
        (f"{NAME}: the model's classes ['a'] differ from the labels' ['crack']", "model", "differ"),
    ],
)
def test_static_findings_are_shown_as_the_scorer_wrote_them(message, category, shown):
    got_category, reason = describe_rejection(message, NAME)
    assert got_category == category and shown in reason and not reason.startswith(NAME)


@pytest.mark.parametrize(
    "message, category",
    [
        (
            f"{NAME}: the model failed inside the sandbox: InvalidArgumentError: input (400, 300, 300, 1) x",
            "runtime",
        ),
        (
            f"{NAME}: the model crashed inside the sandbox (killed by SIGKILL); it must run within 8 GiB",
            "runtime",
        ),
        (f"{NAME}: the model ran longer than the 900 s allowed and was stopped", "time_limit"),
        (f"{NAME}: the model's output 'y' is float32 of shape (400, 3); expected shape (400, 2)", "output"),
        (f"{NAME}: the model's output 'y' holds values other than 0 and 1 (e.g. 0.1234)", "output"),
        # a model's own error text cannot pick a category whose reason is shown
        (
            f"{NAME}: the model failed inside the sandbox: operations that scoring does not allow 0.42",
            "runtime",
        ),
    ],
)
def test_anything_from_the_run_gets_a_fixed_sentence(message, category):
    got_category, reason = describe_rejection(message, NAME)
    assert got_category == category
    for leak in ("400", "300", "0.1234", "0.42", "SIGKILL", "InvalidArgument"):
        assert leak not in reason


def test_an_unknown_message_is_not_repeated():
    assert describe_rejection("something new: secret 123", NAME) == ("invalid", "The submission was refused.")
