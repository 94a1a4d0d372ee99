from django.contrib import admin

from pvdefects.server.teams.models import Membership, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ("user", "joined")
    readonly_fields = ("joined",)
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "challenge", "is_baseline", "created")
    list_filter = ("challenge", "is_baseline")
    search_fields = ("name", "memberships__user__email")
    readonly_fields = ("invite_code", "best_submission")
    inlines = [MembershipInline]
