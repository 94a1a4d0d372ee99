"""Pages: upload, the team's submissions (live status), the select toggle, the leaderboards."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from pvdefects.server.challenges.models import Challenge
from pvdefects.server.network import too_large
from pvdefects.server.submissions import leaderboard
from pvdefects.server.submissions.models import State, Submission
from pvdefects.server.submissions.uploads import UploadRefused, accept_upload, uploads_left_today
from pvdefects.server.teams.models import Team, team_of


class UploadForm(forms.Form):
    model = forms.FileField(label="model.zip")


def receive_upload(request: HttpRequest, challenge: Challenge) -> Submission:
    """The submission made of the request's ``model`` file (shared by the page and the API).

    Raises UploadRefused; the caller has checked the size.
    """
    upload = request.FILES.get("model")
    if upload is None:
        raise UploadRefused("Choose a model.zip to upload.")
    return accept_upload(challenge, team_of(request.user, challenge), request.user, upload.chunks())


def oversize(request: HttpRequest) -> bool:
    upload = request.FILES.get("model")
    return upload is not None and upload.size > settings.MAX_UPLOAD_BYTES


@login_required
def upload(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = get_object_or_404(Challenge, slug=slug)
    team = team_of(request.user, challenge)
    status = 200
    if request.method == "POST":
        if oversize(request):
            return too_large()
        try:
            submission = receive_upload(request, challenge)
        except UploadRefused as refusal:
            messages.error(request, str(refusal))
            status = 403
        else:
            messages.success(request, f"Upload #{submission.pk} received; it is queued for scoring.")
            return redirect("submissions", slug=slug)
    context = {
        "challenge": challenge,
        "team": team,
        "form": UploadForm(),
        "max_mib": f"{settings.MAX_UPLOAD_BYTES / (1 << 20):g}",
        "uploads_left": uploads_left_today(challenge, team) if team else None,
    }
    return render(request, "submissions/upload.html", context, status=status)


def team_submission(user, submission_id: int) -> Submission:
    """The submission if ``user`` is in its team; 404 otherwise (another team's look the same as none)."""
    submission = (
        Submission.objects.select_related("challenge", "team")
        .filter(pk=submission_id, team__memberships__user=user)
        .first()
    )
    if submission is None:
        raise Http404("No such submission in your team.")
    return submission


@login_required
def submission_list(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = get_object_or_404(Challenge, slug=slug)
    team = team_of(request.user, challenge)
    rows = team.submissions.select_related("uploader") if team else Submission.objects.none()
    context = {
        "challenge": challenge,
        "team": team,
        "submissions": rows,
        "can_select": challenge.frozen_at is None,
        "unfinished": [State.UPLOADED, State.QUEUED, State.RUNNING],
    }
    return render(request, "submissions/list.html", context)


@login_required
def submission_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    submission = team_submission(request.user, pk)
    if submission.challenge.slug != slug:
        raise Http404("No such submission in your team.")
    return render(request, "submissions/detail.html", {"challenge": submission.challenge, "s": submission})


@login_required
@require_POST
def toggle_selection(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Select a scored submission for the final ranking, or unselect it (up to the challenge's number)."""
    submission = team_submission(request.user, pk)
    challenge = submission.challenge
    with transaction.atomic():
        Team.objects.select_for_update().filter(pk=submission.team_id).first()
        submission.refresh_from_db()
        chosen = submission.team.submissions.filter(selected=True).count()
        if challenge.frozen_at is not None:
            messages.error(request, "The challenge is frozen: selections can no longer change.")
        elif submission.selected:
            Submission.objects.filter(pk=pk).update(selected=False)
        elif submission.state != State.SCORED:
            messages.error(request, "Only a scored submission can be selected.")
        elif chosen >= challenge.final_selections:
            messages.error(
                request, f"Your team has selected {challenge.final_selections}; unselect one first."
            )
        else:
            Submission.objects.filter(pk=pk).update(selected=True)
    return redirect("submissions", slug=slug)


def _board(
    request: HttpRequest, challenge: Challenge, rows: list[leaderboard.Row], name: str
) -> HttpResponse:
    """The final board as a page, or as CSV with ``?format=csv``."""
    if request.GET.get("format") == "csv":
        return leaderboard.csv_response(leaderboard.as_csv(rows), f"{challenge.slug}-{name}.csv")
    context = {"challenge": challenge, "rows": rows, "class_names": list(rows[0].classes) if rows else []}
    return render(request, f"submissions/{name}.html", context)


def leaderboard_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The public board as a page, or as CSV with ``?format=csv``; the table itself comes from the cache."""
    challenge = get_object_or_404(Challenge, slug=slug)
    if request.GET.get("format") == "csv":
        return leaderboard.csv_response(
            leaderboard.public_rendering(challenge, "csv"), f"{challenge.slug}-leaderboard.csv"
        )
    if request.user.is_authenticated or messages.get_messages(request):
        return _leaderboard_page(request, challenge)  # their own menu and messages around the shared table
    # Everyone else gets the same bytes: the whole page is cached (it must use no CSRF token: tested).
    return HttpResponse(
        leaderboard.cached(challenge, "anonymous-page", lambda: _leaderboard_page(request, challenge).text)
    )


def _leaderboard_page(request: HttpRequest, challenge: Challenge) -> HttpResponse:
    table = mark_safe(leaderboard.public_rendering(challenge, "html"))  # rendered with autoescape
    return render(request, "submissions/leaderboard.html", {"challenge": challenge, "table": table})


def published_final_board(challenge: Challenge) -> list[leaderboard.Row]:
    """The final board; 404 until the organisers publish it (final scores appear nowhere before)."""
    if not challenge.final_published:
        raise Http404("The final ranking is not published yet.")
    return leaderboard.final_board(challenge)


def final_page(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = get_object_or_404(Challenge, slug=slug)
    return _board(request, challenge, published_final_board(challenge), "final")


def leaderboard_json(challenge: Challenge, rows: list[leaderboard.Row]) -> JsonResponse:
    return JsonResponse({"challenge": challenge.slug, "rows": leaderboard.as_json(rows)})
