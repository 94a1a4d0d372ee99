"""The list of challenges and a challenge's page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from pvdefects.server.challenges.models import Challenge
from pvdefects.server.submissions.uploads import refusal, uploads_left_today
from pvdefects.server.teams.models import team_of


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "challenges/home.html", {"challenges": Challenge.objects.all()})


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = get_object_or_404(Challenge, slug=slug)
    team = team_of(request.user, challenge)
    context = {
        "challenge": challenge,
        "team": team,
        "upload_refusal": refusal(challenge, team) if request.user.is_authenticated else None,
        "uploads_left": uploads_left_today(challenge, team) if team else None,
    }
    return render(request, "challenges/detail.html", context)
