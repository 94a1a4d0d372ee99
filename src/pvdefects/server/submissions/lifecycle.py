"""The scoring state machine on the submission row: claim, heartbeat, finish, release, reap.

Every transition is one conditional UPDATE, so two workers, a late worker and the reaper can race
without harm: a worker *claims* a row (state queued, or running with an expired lease) and gets a
new fencing token; it stores its result only if the row still carries that token; the reaper
re-queues rows whose lease expired and rows that waited queued so long that their message must
have been lost. Messages may be duplicated or lost; the row decides.

The tasks (``tasks.py``) drive these transitions, so this module sends the scoring task by its
name (:data:`SCORE_TASK`) rather than importing them back.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from celery import signature
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from pvdefects.server.submissions.leaderboard import refresh_best
from pvdefects.server.submissions.models import FINISHED, State, Submission

log = logging.getLogger(__name__)

INFRASTRUCTURE_REASON = "Scoring failed on the server's side; this upload does not count against your limits."
SCORE_TASK = "pvdefects.score"  # tasks.score_submission


def send_scoring(submission_id: int) -> None:
    """Send the scoring task of one submission to the broker (a worker runs it)."""
    signature(SCORE_TASK, args=(submission_id,)).delay()


def enqueue(submission_id: int) -> None:
    """Mark the row queued and send its scoring task (call after the row's transaction commits)."""
    Submission.objects.filter(pk=submission_id, state__in=(State.UPLOADED, State.QUEUED)).update(
        state=State.QUEUED, enqueued_at=timezone.now()
    )
    try:
        send_scoring(submission_id)
    except Exception:  # the broker is down or the send failed: the row says so, the reaper sends it again
        Submission.objects.filter(pk=submission_id, state=State.QUEUED).update(enqueued_at=None)
        log.exception(
            "could not send the scoring task of submission %s; the reaper will retry", submission_id
        )


def enqueue_on_commit(submission_id: int) -> None:
    transaction.on_commit(lambda: enqueue(submission_id))


def claim(submission_id: int) -> int | None:
    """Take the row for one scoring attempt: its new fencing token, or None if it is not ours to score."""
    now = timezone.now()
    claimable = Q(state__in=(State.UPLOADED, State.QUEUED)) | Q(state=State.RUNNING, lease_expires_at__lt=now)
    with transaction.atomic():
        claimed = Submission.objects.filter(
            claimable, pk=submission_id, attempts__lt=settings.MAX_ATTEMPTS
        ).update(
            state=State.RUNNING,
            attempts=F("attempts") + 1,
            fencing_token=F("fencing_token") + 1,
            lease_expires_at=now + timedelta(seconds=settings.LEASE_SECONDS),
        )
        if not claimed:
            return None
        return Submission.objects.values_list("fencing_token", flat=True).get(pk=submission_id)


def _holding(submission_id: int, token: int):
    return Submission.objects.filter(pk=submission_id, fencing_token=token, state=State.RUNNING)


def heartbeat(submission_id: int, token: int) -> bool:
    """Extend the lease; False if the attempt has lost the row (its result will be discarded)."""
    lease = timezone.now() + timedelta(seconds=settings.LEASE_SECONDS)
    return bool(_holding(submission_id, token).update(lease_expires_at=lease))


def finish(submission_id: int, token: int, state: State, **fields) -> bool:
    """Store an attempt's outcome if it still holds the row; False (and nothing stored) if it does not."""
    with transaction.atomic():
        stored = _holding(submission_id, token).update(
            state=state, lease_expires_at=None, finished_at=timezone.now(), **fields
        )
        if stored and state == State.SCORED:
            refresh_best(Submission.objects.get(pk=submission_id).team)
    if not stored:
        log.warning("discarded a late result of submission %s (fencing token %s)", submission_id, token)
    return bool(stored)


def _failed_on_our_side(internal_error: str, now: datetime) -> dict:
    """The fields of a row that failed for good after MAX_ATTEMPTS attempts, none of them its fault."""
    return dict(
        state=State.FAILED,
        lease_expires_at=None,
        finished_at=now,
        error_category="infrastructure",
        error_reason=INFRASTRUCTURE_REASON,
        internal_error=internal_error,
    )


def release(submission_id: int, token: int, internal_error: str) -> None:
    """An infrastructure failure: queue the row again, or fail it for good after MAX_ATTEMPTS attempts."""
    with transaction.atomic():
        row = _holding(submission_id, token)
        if row.filter(attempts__gte=settings.MAX_ATTEMPTS).update(
            **_failed_on_our_side(internal_error, timezone.now())
        ):
            return
        if row.update(state=State.QUEUED, lease_expires_at=None, internal_error=internal_error):
            enqueue_on_commit(submission_id)


def reap(now: datetime | None = None) -> dict[str, int]:
    """Re-queue expired leases (or fail them after MAX_ATTEMPTS) and re-send the tasks of long-queued
    rows (their message may be lost) and of queued rows whose send failed (``enqueued_at`` is None)."""
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0, "resent": 0}
    for submission_id, attempts in Submission.objects.filter(
        state=State.RUNNING, lease_expires_at__lt=now
    ).values_list("pk", "attempts"):
        expired = Submission.objects.filter(pk=submission_id, state=State.RUNNING, lease_expires_at__lt=now)
        if attempts >= settings.MAX_ATTEMPTS:
            counts["failed"] += expired.update(
                **_failed_on_our_side("the worker's lease expired on the last attempt (worker lost?)", now)
            )
        elif expired.update(state=State.QUEUED, lease_expires_at=None, fencing_token=F("fencing_token") + 1):
            counts["requeued"] += 1
            enqueue(submission_id)
    cutoff = now - timedelta(seconds=settings.REQUEUE_AFTER_SECONDS)
    waiting = Q(state__in=(State.UPLOADED, State.QUEUED)) & (
        Q(enqueued_at__lt=cutoff) | Q(enqueued_at__isnull=True, created__lt=cutoff)
    ) | Q(state=State.QUEUED, enqueued_at__isnull=True)  # queued, but its send failed: at once
    for submission_id in Submission.objects.filter(waiting).values_list("pk", flat=True):
        counts["resent"] += 1
        enqueue(submission_id)
    if any(counts.values()):
        log.info("reaper: %s", counts)
    return counts


def cancel(submission: Submission) -> bool:
    """An organiser's cancellation of an unfinished submission (a running attempt's result is dropped)."""
    return bool(
        Submission.objects.filter(pk=submission.pk)
        .exclude(state__in=FINISHED)
        .update(state=State.CANCELLED, lease_expires_at=None, finished_at=timezone.now())
    )


def rescore(submission: Submission) -> None:
    """Score a submission again from scratch (an organiser's action, e.g. after fixing the test set)."""
    with transaction.atomic():
        Submission.objects.filter(pk=submission.pk).update(
            state=State.QUEUED,
            attempts=0,
            fencing_token=F("fencing_token") + 1,  # a running attempt can no longer store its result
            lease_expires_at=None,
            finished_at=None,
            error_category="",
            error_reason="",
            internal_error="",
            public_mean_f1=None,
            public_metrics=None,
        )
        refresh_best(submission.team)
        enqueue_on_commit(submission.pk)


class Heartbeat:
    """Renews a claimed row's lease from a background thread while the sandbox runs.

    It renews for at most the sandbox's wall-clock limit plus one lease: a worker stuck in our own
    code after that stops renewing, its lease runs out and the reaper hands the row to another.
    """

    def __init__(self, submission_id: int, token: int) -> None:
        self.submission_id, self.token = submission_id, token
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name=f"heartbeat-{submission_id}")

    def _beat(self) -> None:
        give_up = time.monotonic() + settings.SANDBOX_WALL_SECONDS + settings.LEASE_SECONDS
        try:
            while not self._stop.wait(max(settings.LEASE_SECONDS / 4, 0.5)):
                if time.monotonic() > give_up:
                    log.warning(
                        "submission %s: running past every limit; the lease is left to expire",
                        self.submission_id,
                    )
                    return
                close_old_connections()
                if not heartbeat(self.submission_id, self.token):
                    log.warning(
                        "submission %s: lease lost; this attempt's result will be dropped", self.submission_id
                    )
                    return
        finally:
            connection.close()

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
