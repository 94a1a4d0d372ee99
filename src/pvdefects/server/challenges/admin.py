"""Organisers' admin for challenges: rescore every submission, publish the final ranking, export."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponse

from pvdefects.errors import UserError
from pvdefects.server.challenges.models import Challenge
from pvdefects.server.submissions import leaderboard
from pvdefects.server.submissions.finalize import publish
from pvdefects.server.submissions.lifecycle import rescore


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    list_display = ("slug", "title", "start", "deadline", "frozen_at", "final_published_at")
    readonly_fields = (
        "public_labels",
        "public_images_root",
        "final_labels",
        "final_images_root",
        "frozen_at",
    )
    prepopulated_fields = {"slug": ("title",)}
    actions = ["rescore_all", "publish_final", "export_leaderboard"]

    @admin.action(description="Rescore every scored, rejected or failed submission")
    def rescore_all(self, request, queryset) -> None:
        count = 0
        for challenge in queryset:
            for submission in challenge.submissions.filter(state__in=("scored", "rejected", "failed")):
                rescore(submission)
                count += 1
        self.message_user(request, f"{count} submissions queued for rescoring.")

    @admin.action(description="Publish the final ranking")
    def publish_final(self, request, queryset) -> None:
        for challenge in queryset:
            try:
                publish(challenge)
            except UserError as error:
                self.message_user(request, str(error), messages.ERROR)

    @admin.action(description="Export the public leaderboard (CSV; one challenge)")
    def export_leaderboard(self, request, queryset) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Select one challenge to export.", messages.ERROR)
            return None
        challenge = queryset.get()
        return leaderboard.csv_response(
            leaderboard.public_rendering(challenge, "csv"), f"{challenge.slug}-leaderboard.csv"
        )
