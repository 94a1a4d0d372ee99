"""Accepting uploads: content-addressed storage, daily and total limits, our failures not counted."""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime, timedelta, timezone

import pytest
from django.db import connection
from factories import make_challenge, make_user

from pvdefects.server.submissions.models import State, Submission
from pvdefects.server.submissions.storage import upload_path
from pvdefects.server.submissions.uploads import UploadRefused, accept_upload
from pvdefects.server.teams.models import Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_of_one():
    challenge = make_challenge(daily_upload_limit=2, daily_reset_hour_utc=6)
    user = make_user("a")
    return challenge, Team.create(challenge, "Cracks", user), user


def test_uploads_are_stored_once_under_their_sha256(team_of_one, stored_zip):
    first = stored_zip(*team_of_one, content=b"same bytes")
    second = stored_zip(*team_of_one, content=b"same bytes")
    assert first.sha256 == second.sha256 == hashlib.sha256(b"same bytes").hexdigest()
    assert upload_path(first.sha256).read_bytes() == b"same bytes"
    assert upload_path(first.sha256).parent.name == first.sha256[:2]
    assert first.size == 10


def test_the_daily_limit_restarts_at_the_stated_utc_hour(team_of_one, stored_zip):
    challenge, team, user = team_of_one
    stored_zip(*team_of_one)
    stored_zip(*team_of_one)
    with pytest.raises(UploadRefused, match="used its 2 uploads for today; the count restarts at 06:00 UTC"):
        stored_zip(*team_of_one)
    now = datetime(2026, 5, 4, 5, 59, tzinfo=timezone.utc)
    assert challenge.day_start(now) == datetime(2026, 5, 3, 6, tzinfo=timezone.utc)
    assert challenge.day_start(now + timedelta(minutes=1)) == datetime(2026, 5, 4, 6, tzinfo=timezone.utc)
    Submission.objects.update(created=challenge.day_start() - timedelta(seconds=1))  # yesterday's uploads
    assert stored_zip(*team_of_one).state == State.UPLOADED


def test_uploads_that_failed_on_our_side_do_not_count(team_of_one, stored_zip):
    stored_zip(*team_of_one)
    failed = stored_zip(*team_of_one)
    Submission.objects.filter(pk=failed.pk).update(state=State.FAILED)
    assert stored_zip(*team_of_one)  # the failed one gave its slot back
    with pytest.raises(UploadRefused):
        stored_zip(*team_of_one)


def test_the_total_limit_and_the_deadline(stored_zip):
    challenge = make_challenge(total_upload_limit=1)
    user = make_user("a")
    team = Team.create(challenge, "Cracks", user)
    stored_zip(challenge, team, user)
    with pytest.raises(UploadRefused, match="all 1 uploads"):
        stored_zip(challenge, team, user)
    closed = make_challenge(slug="closed", deadline=challenge.start + timedelta(hours=1))
    with pytest.raises(UploadRefused, match="deadline has passed"):
        stored_zip(closed, Team.create(closed, "Late", user), user)


def test_an_upload_is_queued_only_after_its_transaction_commits(
    team_of_one, stored_zip, sent_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submission = stored_zip(*team_of_one)
        assert sent_tasks == []  # not before the commit: a worker could not see the row
    assert len(callbacks) == 1 and sent_tasks == [submission.pk]
    submission.refresh_from_db()
    assert submission.state == State.QUEUED


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_with_one_slot_left_admit_exactly_one():
    challenge = make_challenge(daily_upload_limit=3)
    users = [make_user(f"member{i}") for i in range(2)]
    team = Team.create(challenge, "Cracks", users[0])
    Team.join(challenge, team.invite_code, users[1])
    for i in range(2):
        accept_upload(challenge, team, users[0], [f"earlier {i}".encode()])
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def upload(i: int) -> None:
        barrier.wait()
        try:
            accept_upload(challenge, team, users[i % 2], [f"racing {i}".encode()])
            outcomes.append("accepted")
        except UploadRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted"] + ["refused"] * 5
    assert Submission.objects.filter(team=team).count() == 3
