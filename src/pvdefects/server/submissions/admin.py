"""Organisers' admin for submissions: the queue with attempts, rescore, cancel, disqualify."""

from __future__ import annotations

from django.contrib import admin

from pvdefects.server.submissions.leaderboard import refresh_best
from pvdefects.server.submissions.lifecycle import cancel, rescore
from pvdefects.server.submissions.models import Submission


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "challenge",
        "team",
        "created",
        "state",
        "attempts",
        "lease_expires_at",
        "public_mean_f1",
        "final_mean_f1",
        "selected",
        "disqualified",
    )
    list_filter = ("challenge", "state", "disqualified", "selected")
    search_fields = ("team__name", "sha256", "uploader__email")
    readonly_fields = [field.name for field in Submission._meta.fields]
    actions = ["rescore_selected", "cancel_selected", "disqualify", "requalify"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Rescore")
    def rescore_selected(self, request, queryset) -> None:
        for submission in queryset:
            rescore(submission)
        self.message_user(request, f"{queryset.count()} submissions queued for rescoring.")

    @admin.action(description="Cancel (if not finished)")
    def cancel_selected(self, request, queryset) -> None:
        cancelled = sum(cancel(submission) for submission in queryset)
        self.message_user(request, f"{cancelled} submissions cancelled.")

    def _set_disqualified(self, queryset, value: bool) -> None:
        queryset.update(disqualified=value)
        for submission in queryset.select_related("team"):
            refresh_best(submission.team)

    @admin.action(description="Disqualify (off both leaderboards)")
    def disqualify(self, request, queryset) -> None:
        self._set_disqualified(queryset, True)

    @admin.action(description="Requalify")
    def requalify(self, request, queryset) -> None:
        self._set_disqualified(queryset, False)
