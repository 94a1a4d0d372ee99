"""The JSON API under /api/: submit (token), a submission's status (token or session), the leaderboards
(public).

Writes authenticate by token only (``Authorization: Token <key>``) and are therefore exempt from
CSRF checks: a browser never attaches that header on its own, so another site cannot forge it. A
session cookie is accepted for reads only (the live status of the submissions page).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from pvdefects.server.accounts.models import ApiToken
from pvdefects.server.challenges.models import Challenge
from pvdefects.server.submissions import leaderboard
from pvdefects.server.submissions.uploads import UploadRefused
from pvdefects.server.submissions.views import (
    leaderboard_json,
    oversize,
    published_final_board,
    receive_upload,
    team_submission,
)


def token_user(request: HttpRequest):
    scheme, _, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return ApiToken.objects.user_for(key.strip()) if scheme.lower() == "token" and key.strip() else None


def _error(message: str, status: int) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = "Token"
    return response


@csrf_exempt
@require_POST
def submit(request: HttpRequest, slug: str) -> JsonResponse:
    user = token_user(request)
    if user is None:
        return _error("send a valid API token: 'Authorization: Token <key>'", 401)
    request.user = user
    challenge = get_object_or_404(Challenge, slug=slug)
    if oversize(request):
        return _error("the file is larger than the upload limit", 413)
    try:
        submission = receive_upload(request, challenge)
    except UploadRefused as refusal:
        return _error(str(refusal), 403)
    submission.refresh_from_db()  # queued by now: its transaction has committed
    view = submission.public_view(final_published=False)
    view["status_url"] = request.build_absolute_uri(reverse("api-submission", args=[submission.pk]))
    return JsonResponse(view, status=201)


@require_GET
def submission_status(request: HttpRequest, pk: int) -> JsonResponse:
    user = token_user(request) or (request.user if request.user.is_authenticated else None)
    if user is None:
        return _error("send a valid API token: 'Authorization: Token <key>'", 401)
    submission = team_submission(user, pk)
    return JsonResponse(submission.public_view(submission.challenge.final_published))


@require_GET
def public_leaderboard(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = get_object_or_404(Challenge, slug=slug)
    return HttpResponse(leaderboard.public_rendering(challenge, "json"), content_type="application/json")


@require_GET
def final_leaderboard(request: HttpRequest, slug: str) -> JsonResponse:
    challenge = get_object_or_404(Challenge, slug=slug)
    return leaderboard_json(challenge, published_final_board(challenge))
