"""A submission: one uploaded ``model.zip``, its state, attempts, lease, scores and final scores.

The row is the truth about a scoring job, whatever the queue says (``lifecycle.py``):

    uploaded -> queued -> running -> scored | rejected (the participant's fault)
                             |    -> failed (ours, after MAX_ATTEMPTS attempts)
                             +--> queued again (lease expired, or an infrastructure error)
    any state before scored/rejected/failed -> cancelled (by an organiser)
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from pvdefects.server.challenges.models import Challenge
from pvdefects.server.teams.models import Team


class State(models.TextChoices):
    UPLOADED = "uploaded"
    QUEUED = "queued"
    RUNNING = "running"
    SCORED = "scored"
    REJECTED = "rejected"
    FAILED = "failed"
    CANCELLED = "cancelled"


def rounded(value: float | None) -> float | None:
    """A score as shown and ranked: 3 decimals (None stays None: an undefined F1, see evaluation.metrics)."""
    return None if value is None else round(value, 3)


FINISHED = (State.SCORED, State.REJECTED, State.FAILED, State.CANCELLED)
NOT_COUNTED = (State.FAILED, State.CANCELLED)  # our failures never use up a team's uploads


class Submission(models.Model):
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="submissions")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="submissions")
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(max_length=64, db_index=True)  # the stored file: uploads/sha256[:2]/sha256.zip
    size = models.PositiveBigIntegerField()
    created = models.DateTimeField(default=timezone.now, db_index=True)

    state = models.CharField(max_length=12, choices=State.choices, default=State.UPLOADED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    fencing_token = models.PositiveIntegerField(default=0)  # +1 at each claim; stale results are dropped
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_category = models.CharField(max_length=20, blank=True)
    error_reason = models.CharField(max_length=500, blank=True)  # sanitised, shown to the team
    internal_error = models.TextField(blank=True)  # organisers only: what went wrong on our side

    public_mean_f1 = models.FloatField(null=True, blank=True, db_index=True)  # rounded to 3 decimals
    public_metrics = models.JSONField(null=True, blank=True)
    selected = models.BooleanField(default=False, help_text="Chosen by the team for the final ranking.")
    disqualified = models.BooleanField(default=False)
    final_mean_f1 = models.FloatField(null=True, blank=True)
    final_metrics = models.JSONField(null=True, blank=True)  # metrics and bootstrap intervals

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["team", "created"]), models.Index(fields=["state", "enqueued_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.team} {self.state}"

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    def public_view(self, final_published: bool) -> dict:
        """What the team may see of this submission (final scores only once they are published)."""
        view = {
            "id": self.pk,
            "challenge": self.challenge.slug,
            "team": self.team.name,
            "uploaded_at": self.created.isoformat(),
            "sha256": self.sha256,
            "state": self.state,
            "attempts": self.attempts,
            "selected": self.selected,
            "error_category": self.error_category or None,
            "error_reason": self.error_reason or None,
            "mean_f1": self.public_mean_f1,
            "classes": _class_summary(self.public_metrics),
        }
        if final_published:
            view["final_mean_f1"] = self.final_mean_f1
        return view


def _class_summary(metrics: dict | None) -> dict | None:
    if not metrics:
        return None
    return {
        name: {key: rounded(values[key]) for key in ("f1", "precision", "recall")}
        for name, values in metrics["classes"].items()
    }
