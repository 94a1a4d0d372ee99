"""The scoring state machine: claims, fencing tokens, leases, retries, the reaper."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from factories import make_challenge, make_user

from pvdefects.server.submissions import lifecycle
from pvdefects.server.submissions.models import State, Submission
from pvdefects.server.teams.models import Team

pytestmark = pytest.mark.django_db
SEND_SCORING = lifecycle.send_scoring  # as imported, before the sent_tasks fixture records sends instead


@pytest.fixture
def submission() -> Submission:
    """A recorded upload whose task was never sent (the tests play the worker's part)."""
    challenge = make_challenge()
    user = make_user("a")
    team = Team.create(challenge, "Cracks", user)
    return Submission.objects.create(challenge=challenge, team=team, uploader=user, sha256="0" * 64, size=1)


def test_a_claim_is_exclusive_while_its_lease_lasts(submission):
    token = lifecycle.claim(submission.pk)
    assert token == 1
    assert lifecycle.claim(submission.pk) is None  # a duplicate message finds nothing to do
    submission.refresh_from_db()
    assert (submission.state, submission.attempts) == (State.RUNNING, 1)


def test_a_late_result_of_an_expired_attempt_is_discarded(submission, settings):
    first = lifecycle.claim(submission.pk)
    Submission.objects.filter(pk=submission.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    second = lifecycle.claim(submission.pk)  # another worker takes the expired lease
    assert second == first + 1
    assert not lifecycle.finish(submission.pk, first, State.SCORED, public_mean_f1=0.9)
    assert not lifecycle.heartbeat(submission.pk, first)
    assert lifecycle.heartbeat(submission.pk, second)
    assert lifecycle.finish(submission.pk, second, State.REJECTED, error_category="output")
    submission.refresh_from_db()
    assert (submission.state, submission.attempts, submission.public_mean_f1) == (State.REJECTED, 2, None)


def test_infrastructure_failures_are_retried_then_fail_for_good(submission, settings):
    settings.MAX_ATTEMPTS = 2
    token = lifecycle.claim(submission.pk)
    lifecycle.release(submission.pk, token, "OSError: disk full")
    submission.refresh_from_db()
    assert submission.state == State.QUEUED
    token = lifecycle.claim(submission.pk)
    lifecycle.release(submission.pk, token, "OSError: disk full")
    submission.refresh_from_db()
    assert (submission.state, submission.error_category, submission.attempts) == (
        State.FAILED,
        "infrastructure",
        2,
    )
    assert "disk full" not in submission.error_reason  # our internals stay internal
    assert lifecycle.claim(submission.pk) is None


def test_the_reaper_requeues_expired_leases_and_resends_forgotten_rows(submission, settings, sent_tasks):
    lifecycle.claim(submission.pk)
    past = timezone.now() - timedelta(seconds=1)
    Submission.objects.filter(pk=submission.pk).update(lease_expires_at=past)
    assert lifecycle.reap()["requeued"] == 1
    submission.refresh_from_db()
    assert submission.state == State.QUEUED and submission.enqueued_at is not None
    assert sent_tasks == [submission.pk]
    assert lifecycle.reap() == {"requeued": 0, "failed": 0, "resent": 0}  # freshly queued: left alone
    later = timezone.now() + timedelta(seconds=settings.REQUEUE_AFTER_SECONDS + 1)
    assert lifecycle.reap(now=later)["resent"] == 1  # queued for too long: its message was lost
    assert sent_tasks == [submission.pk, submission.pk]


def test_a_failed_send_is_sent_again_at_the_reapers_next_run(submission, monkeypatch, sent_tasks):
    def broken_broker(submission_id: int) -> None:
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(lifecycle, "send_scoring", broken_broker)
    lifecycle.enqueue(submission.pk)
    submission.refresh_from_db()
    assert (submission.state, submission.enqueued_at) == (State.QUEUED, None)

    monkeypatch.setattr(lifecycle, "send_scoring", sent_tasks.append)
    assert lifecycle.reap()["resent"] == 1  # not REQUEUE_AFTER_SECONDS later
    assert sent_tasks == [submission.pk]
    submission.refresh_from_db()
    assert submission.enqueued_at is not None and lifecycle.reap()["resent"] == 0


def test_the_reaper_fails_a_row_whose_last_attempt_expired(submission, settings):
    settings.MAX_ATTEMPTS = 1
    lifecycle.claim(submission.pk)
    assert lifecycle.reap(now=timezone.now() + timedelta(seconds=settings.LEASE_SECONDS + 1))["failed"] == 1
    submission.refresh_from_db()
    assert submission.state == State.FAILED and submission.error_category == "infrastructure"


@pytest.mark.django_db(transaction=True)  # the heartbeat thread writes through its own connection
def test_the_heartbeat_extends_the_lease_while_work_goes_on(submission, settings):
    settings.LEASE_SECONDS = 2
    token = lifecycle.claim(submission.pk)
    with lifecycle.Heartbeat(submission.pk, token):
        first = Submission.objects.get(pk=submission.pk).lease_expires_at
        time.sleep(1.2)
    assert Submission.objects.get(pk=submission.pk).lease_expires_at > first


def test_an_organisers_rescore_invalidates_a_running_attempt(submission):
    token = lifecycle.claim(submission.pk)
    lifecycle.rescore(submission)
    assert not lifecycle.finish(submission.pk, token, State.SCORED)
    submission.refresh_from_db()
    assert (submission.state, submission.attempts) == (State.QUEUED, 0)


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_stops_once_every_limit_has_passed(submission, settings):
    """A worker stuck in our own code must not hold its row for ever: the lease then runs out."""
    settings.LEASE_SECONDS, settings.SANDBOX_WALL_SECONDS = 2, 0
    token = lifecycle.claim(submission.pk)
    with lifecycle.Heartbeat(submission.pk, token):
        time.sleep(3.5)  # beats at 0.5 s, 1 s, 1.5 s, 2 s; then it gives up
        last = Submission.objects.get(pk=submission.pk).lease_expires_at
        time.sleep(1.5)
        assert Submission.objects.get(pk=submission.pk).lease_expires_at == last
    assert lifecycle.reap(now=last + timedelta(seconds=1))["requeued"] == 1


def test_the_scoring_task_is_sent_by_the_name_its_worker_registers(monkeypatch):
    """lifecycle sends the task by name (the tasks import lifecycle, not the other way round)."""
    from pvdefects.server.submissions.tasks import score_submission
    from pvdefects.server.tasks_app import app

    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args=None, kwargs=None, **_: sent.append((name, args)))
    SEND_SCORING(7)
    assert sent == [(score_submission.name, (7,))]
