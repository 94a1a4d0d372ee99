"""Fixtures for the challenge-server tests.

Django is configured here, at collection, for a throwaway data folder (pytest-django then creates
the test database in it); scoring tasks run eagerly in the test process unless a test says otherwise.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("PVDEFECTS_DATA_DIR", tempfile.mkdtemp(prefix="pvdefects-server-tests-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pvdefects.server.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "security"))  # submissions.py: test models

import django  # noqa: E402
import pytest  # noqa: E402

django.setup()

from services import postgres_url, redis_url  # noqa: E402, F401  (fixtures: throwaway PostgreSQL and Redis)


@pytest.fixture(autouse=True)
def _eager_scoring():
    """Scoring tasks run in the calling thread (a real worker is exercised by the scaled-out test)."""
    from pvdefects.server.tasks_app import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def stored_zip():
    """``stored_zip(challenge, team, user, content=b"...")``: a submission made through the upload path."""
    from pvdefects.server.submissions.uploads import accept_upload

    counter = iter(range(10_000))

    def _store(challenge, team, user, content: bytes | None = None):
        return accept_upload(challenge, team, user, [content or f"zip {next(counter)}".encode()])

    return _store
