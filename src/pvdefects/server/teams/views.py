"""The team page: create, join by code, leave, rotate the invite code."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from pvdefects.server.challenges.models import Challenge
from pvdefects.server.teams.models import Team, TeamError, team_of


class CreateForm(forms.Form):
    name = forms.CharField(max_length=80, label="Team name")


class JoinForm(forms.Form):
    code = forms.CharField(max_length=32, label="Invite code")


@login_required
def team_page(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = get_object_or_404(Challenge, slug=slug)
    team = team_of(request.user, challenge)
    context = {"challenge": challenge, "team": team, "create_form": CreateForm(), "join_form": JoinForm()}
    if team is not None:
        context["members"] = team.memberships.select_related("user").order_by("joined")
    return render(request, "teams/team.html", context)


@login_required
@require_POST
def team_action(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    challenge = get_object_or_404(Challenge, slug=slug)
    team = team_of(request.user, challenge)
    try:
        if challenge.frozen_at is not None:
            raise TeamError("The challenge is frozen: teams can no longer change.")
        if action == "create":
            form = CreateForm(request.POST)
            if not form.is_valid():
                raise TeamError("Give the team a name (at most 80 characters).")
            Team.create(challenge, form.cleaned_data["name"], request.user)
            messages.success(request, "Team created: share its invite code with your team-mate.")
        elif action == "join":
            form = JoinForm(request.POST)
            if not form.is_valid():
                raise TeamError("Enter an invite code.")
            joined = Team.join(challenge, form.cleaned_data["code"], request.user)
            messages.success(request, f"You joined team {joined.name}.")
        elif team is None:
            raise TeamError("You are not in a team of this challenge.")
        elif action == "leave":
            team.leave(request.user)
            messages.success(request, f"You left team {team.name}.")
        else:  # rotate
            team.rotate_code()
            messages.success(request, "New invite code made; the old one no longer works.")
    except TeamError as error:
        messages.error(request, str(error))
    return redirect("team", slug=slug)
