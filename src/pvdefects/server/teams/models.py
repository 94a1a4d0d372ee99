"""Teams and memberships.

"One team per person and challenge" is a unique constraint on the membership, so two racing joins
cannot both succeed; the size limit is checked while the team row is locked (``select_for_update``
on PostgreSQL; on SQLite every write transaction starts with the database's write lock), so two
people taking the last place get exactly one of them.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from pvdefects.errors import UserError
from pvdefects.server.challenges.models import Challenge


def new_invite_code() -> str:
    return secrets.token_urlsafe(9)


class TeamError(UserError):
    """A refused team action, with the reason shown to the person."""


class Team(models.Model):
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=80)
    invite_code = models.CharField(max_length=32, unique=True, default=new_invite_code)
    is_baseline = models.BooleanField(default=False, help_text="Organisers' reference: shown, not ranked.")
    created = models.DateTimeField(default=timezone.now)
    best_submission = models.ForeignKey(
        "submissions.Submission", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # the leaderboard's row, kept up to date by submissions.leaderboard.refresh_best

    class Meta:
        constraints = [models.UniqueConstraint(fields=["challenge", "name"], name="team_name_unique")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def create(cls, challenge: Challenge, name: str, founder, is_baseline: bool = False) -> Team:
        """A new team with ``founder`` as its first member."""
        try:
            with transaction.atomic():
                team = cls.objects.create(challenge=challenge, name=name.strip(), is_baseline=is_baseline)
                Membership.objects.create(team=team, user=founder)
        except IntegrityError:
            if Membership.objects.filter(user=founder, challenge=challenge).exists():
                raise TeamError("You are already in a team for this challenge; leave it first.") from None
            raise TeamError(
                f"A team called {name.strip()!r} exists in this challenge; choose another name."
            ) from None
        return team

    @classmethod
    def join(cls, challenge: Challenge, code: str, user) -> Team:
        """Add ``user`` to the team with invite ``code``, if it has room and ``user`` has no team yet."""
        try:
            with transaction.atomic():
                team = (
                    cls.objects.select_for_update()
                    .filter(challenge=challenge, invite_code=code.strip())
                    .first()
                )
                if team is None:
                    raise TeamError(
                        "No team of this challenge has that invite code (it may have been rotated)."
                    )
                if team.memberships.count() >= challenge.max_team_size:
                    raise TeamError(f"Team {team.name} is full ({challenge.max_team_size} members).")
                Membership.objects.create(team=team, user=user)
        except IntegrityError:
            raise TeamError("You are already in a team for this challenge; leave it first.") from None
        return team

    def leave(self, user) -> None:
        """Remove ``user`` (the last one out deletes the team). Refused once the team has uploaded:
        leaving and starting afresh would reset its upload limits."""
        with transaction.atomic():
            if self.submissions.exists():
                raise TeamError(
                    "Your team has uploaded models, so its members are fixed; ask the organisers."
                )
            Membership.objects.filter(team=self, user=user).delete()
            if not self.memberships.exists():
                self.delete()

    def rotate_code(self) -> str:
        self.invite_code = new_invite_code()
        self.save(update_fields=["invite_code"])
        return self.invite_code


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="+")  # = team.challenge
    joined = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "challenge"], name="one_team_per_user")]

    def save(self, *args, **kwargs) -> None:
        self.challenge_id = self.team.challenge_id  # the constraint needs the challenge on this row
        super().save(*args, **kwargs)


def team_of(user, challenge: Challenge) -> Team | None:
    """``user``'s team in ``challenge``, or None (also for anonymous users)."""
    if not user.is_authenticated:
        return None
    return Team.objects.filter(challenge=challenge, memberships__user=user).first()
