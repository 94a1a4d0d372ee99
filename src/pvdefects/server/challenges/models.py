"""A challenge: its dates and limits, its test sets, and the stages of its final ranking."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import markdown
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe


class Challenge(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown, written by the organisers.")
    start = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField()
    max_team_size = models.PositiveSmallIntegerField(default=2, validators=[MinValueValidator(1)])
    daily_upload_limit = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1)])
    daily_reset_hour_utc = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(23)],
        help_text="Daily upload counts restart at this UTC hour.",
    )
    total_upload_limit = models.PositiveIntegerField(null=True, blank=True)
    final_selections = models.PositiveSmallIntegerField(default=2, validators=[MinValueValidator(1)])
    # test sets: a labels CSV copied into the data folder, images under a root folder on the server
    public_labels = models.CharField(max_length=500)
    public_images_root = models.CharField(max_length=500)
    final_labels = models.CharField(max_length=500, blank=True)  # added only at finalisation
    final_images_root = models.CharField(max_length=500, blank=True)
    frozen_at = models.DateTimeField(null=True, blank=True)  # uploads and selections closed for good
    final_published_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    # Renewed whenever the public leaderboard can change (a score stored or withdrawn, a team saved, the
    # challenge saved): rendered boards are cached under it, so every process sees a change at once.
    # A fresh random value, not a counter: a save from a stale instance can never bring back an old key.
    board_version = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["-start"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.board_version = uuid.uuid4()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "board_version"}
        super().save(*args, **kwargs)

    @classmethod
    def board_changed(cls, challenge_id: int) -> None:
        """Invalidate the challenge's cached boards (call it in the transaction that changes the board)."""
        cls.objects.filter(pk=challenge_id).update(board_version=uuid.uuid4())

    def description_html(self) -> SafeString:
        """The Markdown description as HTML (organisers are trusted authors; participants write none)."""
        return mark_safe(markdown.markdown(self.description))

    @property
    def final_published(self) -> bool:
        return self.final_published_at is not None

    def day_start(self, now: datetime | None = None) -> datetime:
        """Start of the current upload day: the last ``daily_reset_hour_utc`` o'clock UTC up to ``now``."""
        now = (now or timezone.now()).astimezone(dt_timezone.utc)
        start = now.replace(hour=self.daily_reset_hour_utc, minute=0, second=0, microsecond=0)
        return start if start <= now else start - timedelta(days=1)
