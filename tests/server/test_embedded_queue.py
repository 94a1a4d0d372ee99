"""The embedded queue: kombu's SQLAlchemy transport on a SQLite file delivers a scoring task to a real
``pvdefects worker`` (Celery, ``--pool solo``) in a process of its own, which stores the outcome."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection
from factories import make_challenge, make_user, write_test_set

from pvdefects.server.submissions.models import State, Submission
from pvdefects.server.submissions.tasks import score_submission
from pvdefects.server.submissions.uploads import accept_upload
from pvdefects.server.tasks_app import app
from pvdefects.server.teams.models import Team


@pytest.mark.django_db(transaction=True)  # the worker must see committed rows
def test_a_solo_worker_takes_the_task_from_the_sqlite_broker(tmp_path):
    challenge = make_challenge(labels=write_test_set(tmp_path / "public"))
    user = make_user("a")
    submission = accept_upload(challenge, Team.create(challenge, "Cracks", user), user, [b"not a zip"])
    broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    with app.connection_for_write(broker) as broker_connection:
        score_submission.apply_async((submission.pk,), connection=broker_connection)
    environment = {
        **os.environ,
        "PVDEFECTS_DATA_DIR": str(settings.DATA_DIR),
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",  # the test database
        "CELERY_BROKER_URL": broker,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "pvdefects.cli.main", "worker", "--loglevel=warning"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and worker.poll() is None:
            submission.refresh_from_db()
            if submission.state == State.REJECTED:
                break
            time.sleep(0.5)
    finally:
        worker.terminate()
        _, errors = worker.communicate(timeout=30)
    submission.refresh_from_db()
    assert (submission.state, submission.attempts, submission.error_category) == (
        State.REJECTED,
        1,
        "archive",
    ), errors.decode()[-2000:]
    assert Submission.objects.count() == 1
