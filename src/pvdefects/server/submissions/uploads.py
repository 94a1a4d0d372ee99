"""Accepting an upload: the challenge must be open and the team within its limits, checked race-free.

Uploads that failed on our side or were cancelled do not count. The team row is locked while
counting (``select_for_update``; SQLite's write transactions are serialised anyway), so two uploads
racing for a team's last slot get exactly one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from pvdefects.errors import UserError
from pvdefects.server.challenges.models import Challenge
from pvdefects.server.submissions.lifecycle import enqueue_on_commit
from pvdefects.server.submissions.models import NOT_COUNTED, Submission
from pvdefects.server.submissions.storage import store
from pvdefects.server.teams.models import Team


class UploadRefused(UserError):
    """The upload was not accepted (closed challenge, no team, limit reached); the message says why."""


def _counted(team: Team):
    """The team's submissions that count against its limits."""
    return Submission.objects.filter(team=team).exclude(state__in=NOT_COUNTED)


def _used_today(challenge: Challenge, team: Team, now: datetime) -> int:
    return _counted(team).filter(created__gte=challenge.day_start(now)).count()


def refusal(challenge: Challenge, team: Team | None, now: datetime | None = None) -> str | None:
    """Why ``team`` may not upload to ``challenge`` now, or None if it may."""
    now = now or timezone.now()
    if team is None:
        return "Create or join a team first (a one-person team is fine)."
    if challenge.frozen_at is not None or now >= challenge.deadline:
        return "The challenge is closed: its deadline has passed."
    if now < challenge.start:
        return f"The challenge opens at {challenge.start:%Y-%m-%d %H:%M} UTC."
    if team.is_baseline:
        return None
    if _used_today(challenge, team, now) >= challenge.daily_upload_limit:
        return (
            f"Your team has used its {challenge.daily_upload_limit} uploads for today; the count restarts at "
            f"{challenge.daily_reset_hour_utc:02d}:00 UTC."
        )
    if challenge.total_upload_limit is not None and _counted(team).count() >= challenge.total_upload_limit:
        return f"Your team has used all {challenge.total_upload_limit} uploads of this challenge."
    return None


def uploads_left_today(challenge: Challenge, team: Team, now: datetime | None = None) -> int:
    return max(challenge.daily_upload_limit - _used_today(challenge, team, now or timezone.now()), 0)


def accept_upload(challenge: Challenge, team: Team | None, uploader, chunks: Iterable[bytes]) -> Submission:
    """Store the zip and record the submission; its scoring task is sent once the record commits.

    Raises UploadRefused (nothing recorded) when the team may not upload.
    """
    reason = refusal(challenge, team)  # before storing anything
    if reason:
        raise UploadRefused(reason)
    sha256, size = store(chunks)
    with transaction.atomic():
        Team.objects.select_for_update().filter(pk=team.pk).first()  # serialise this team's uploads
        reason = refusal(challenge, team)
        if reason:
            raise UploadRefused(reason)
        submission = Submission.objects.create(
            challenge=challenge, team=team, uploader=uploader, sha256=sha256, size=size
        )
        enqueue_on_commit(submission.pk)
    return submission
