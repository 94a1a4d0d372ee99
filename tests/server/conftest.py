"""Fixtures for the challenge-server tests.

Django is configured by the root conftest, for a throwaway data folder (pytest-django then creates
the test database in it). Scoring tasks are recorded, not queued, unless a test asks for
``eager_scoring``; a real worker is exercised by the scaled-out test.
"""

from __future__ import annotations

import pytest
from services import postgres_url, redis_url  # noqa: E402, F401  (fixtures: throwaway PostgreSQL and Redis)
from story import story_test_sets, tiny_model_zip  # noqa: E402, F401  (fixtures: end-to-end stories)


@pytest.fixture(autouse=True)
def sent_tasks(monkeypatch) -> list[int]:
    """Ids of the scoring tasks sent, recorded, not queued (tests play the worker, or use eager_scoring)."""
    from pvdefects.server.submissions import lifecycle

    sent: list[int] = []
    monkeypatch.setattr(lifecycle, "send_scoring", sent.append)
    return sent


@pytest.fixture
def eager_scoring(monkeypatch, sent_tasks) -> None:
    """Scoring tasks run in the sending thread, as a worker would run them."""
    from pvdefects.server.submissions import lifecycle
    from pvdefects.server.submissions.tasks import score_submission

    def run(submission_id: int) -> None:
        sent_tasks.append(submission_id)
        score_submission(submission_id)

    monkeypatch.setattr(lifecycle, "send_scoring", run)


@pytest.fixture
def stored_zip():
    """``stored_zip(challenge, team, user, content=b"...")``: a submission made through the upload path."""
    from pvdefects.server.submissions.uploads import accept_upload

    counter = iter(range(10_000))

    def _store(challenge, team, user, content: bytes | None = None):
        return accept_upload(challenge, team, user, [content or f"zip {next(counter)}".encode()])

    return _store
