"""Security of the web side: other teams' submissions, unpublished final scores, CSRF, oversize uploads,
API tokens, the network allowlist."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone
from factories import PASSWORD, make_challenge, make_user

from pvdefects.server.accounts.models import ApiToken
from pvdefects.server.network import NetworkAllowlistMiddleware, RequestSizeLimitMiddleware, client_address
from pvdefects.server.submissions.leaderboard import refresh_best
from pvdefects.server.submissions.models import State, Submission
from pvdefects.server.teams.models import Team

pytestmark = pytest.mark.django_db

FINAL_SCORE = 0.777  # a value that appears nowhere else


@pytest.fixture
def two_teams():
    challenge = make_challenge()
    a, b = make_user("a"), make_user("b")
    ours, theirs = Team.create(challenge, "Ours", a), Team.create(challenge, "Theirs", b)
    metrics = {"classes": {"crack": {"f1": 0.5, "precision": 0.5, "recall": 0.5}}, "mean_f1": 0.5}
    final = {**metrics, "intervals": {"mean_f1": [0.7, 0.8]}}
    submissions = [
        Submission.objects.create(
            challenge=challenge,
            team=team,
            uploader=user,
            sha256=f"{i:064x}",
            size=1,
            state=State.SCORED,
            public_mean_f1=0.5,
            public_metrics=metrics,
            final_mean_f1=FINAL_SCORE,
            final_metrics=final,
            selected=True,
        )
        for i, (team, user) in enumerate(((ours, a), (theirs, b)))
    ]
    for team in (ours, theirs):
        refresh_best(team)
    return challenge, a, submissions


def test_another_teams_submission_is_404_over_html_and_json(client, two_teams):
    challenge, a, (mine, theirs) = two_teams
    client.login(username=a.email, password=PASSWORD)
    assert client.get(f"/c/cells/submissions/{mine.pk}/").status_code == 200
    assert client.get(f"/c/cells/submissions/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/submissions/{theirs.pk}").status_code == 404
    assert client.post(f"/c/cells/submissions/{theirs.pk}/select/").status_code == 404
    token = ApiToken.objects.issue(a)
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(f"/api/submissions/{mine.pk}").json()["id"] == mine.pk
    assert api.get(f"/api/submissions/{theirs.pk}").status_code == 404
    assert Client().get(f"/api/submissions/{mine.pk}").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Token wrong").get(f"/api/submissions/{mine.pk}").status_code == 401


def test_final_scores_appear_nowhere_before_publication(client, two_teams):
    challenge, a, (mine, _) = two_teams
    challenge.frozen_at = timezone.now()
    challenge.deadline = timezone.now() - timedelta(hours=1)
    challenge.final_labels = "/data/final-labels.csv"
    challenge.save()
    client.login(username=a.email, password=PASSWORD)
    token = ApiToken.objects.issue(a)
    pages = [
        client.get(url)
        for url in (
            "/",
            "/c/cells/",
            "/c/cells/leaderboard/",
            "/c/cells/leaderboard/?format=csv",
            "/c/cells/submissions/",
            f"/c/cells/submissions/{mine.pk}/",
            "/api/challenges/cells/leaderboard",
            f"/api/submissions/{mine.pk}",
        )
    ]
    pages.append(Client(HTTP_AUTHORIZATION=f"Token {token}").get(f"/api/submissions/{mine.pk}"))
    for response in pages:
        assert response.status_code == 200
        assert (
            str(FINAL_SCORE) not in response.content.decode()
            and "final_mean_f1" not in response.content.decode()
        )
    for url in ("/c/cells/final/", "/c/cells/final/?format=csv", "/api/challenges/cells/final-leaderboard"):
        assert client.get(url).status_code == 404
    challenge.final_published_at = timezone.now()
    challenge.save()
    assert str(FINAL_SCORE) in client.get("/c/cells/final/").content.decode()
    assert client.get(f"/api/submissions/{mine.pk}").json()["final_mean_f1"] == FINAL_SCORE


def test_every_post_without_a_csrf_token_is_refused(two_teams):
    challenge, a, (mine, _) = two_teams
    browser = Client(enforce_csrf_checks=True)
    assert browser.post("/accounts/login/", {"username": a.email, "password": PASSWORD}).status_code == 403
    browser.force_login(a)
    upload = io.BytesIO(b"zip")
    upload.name = "model.zip"
    posts = {
        "/accounts/register/": {"email": "x@example.org"},
        "/accounts/logout/": {},
        "/accounts/password_reset/": {"email": a.email},
        "/accounts/token/": {},
        "/c/cells/team/create/": {"name": "New"},
        "/c/cells/team/join/": {"code": "x"},
        "/c/cells/team/leave/": {},
        "/c/cells/team/rotate/": {},
        "/c/cells/upload/": {"model": upload},
        f"/c/cells/submissions/{mine.pk}/select/": {},
    }
    for url, data in posts.items():
        assert browser.post(url, data).status_code == 403, url
    assert Submission.objects.count() == 2 and not ApiToken.objects.exists()


def test_an_api_upload_needs_a_token_and_not_a_session(two_teams):
    challenge, a, _ = two_teams
    browser = Client()
    browser.force_login(a)
    upload = io.BytesIO(b"zip")
    upload.name = "model.zip"
    assert browser.post("/api/challenges/cells/submissions", {"model": upload}).status_code == 401
    token = ApiToken.objects.issue(a)
    upload.seek(0)
    response = Client(HTTP_AUTHORIZATION=f"Token {token}").post(
        "/api/challenges/cells/submissions", {"model": upload}
    )
    assert response.status_code == 201 and response.json()["team"] == "Ours"


def test_the_api_says_why_it_refuses_an_upload(two_teams, settings):
    challenge, a, _ = two_teams
    challenge.daily_upload_limit = 2  # the fixture's submission and one more
    challenge.save()
    api = Client(HTTP_AUTHORIZATION=f"Token {ApiToken.objects.issue(a)}")

    def post(content: bytes):
        upload = io.BytesIO(content)
        upload.name = "model.zip"
        return api.post("/api/challenges/cells/submissions", {"model": upload})

    assert post(b"one").status_code == 201
    refused = post(b"two")
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "Your team has used its 2 uploads for today; the count restarts at 00:00 UTC."
    }
    settings.MAX_UPLOAD_BYTES = 10
    assert post(b"x" * 100).status_code == 413
    assert api.post("/api/challenges/nope/submissions").status_code == 404


def test_an_oversize_upload_gets_413_without_its_body_being_read(client, two_teams, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    _, a, _ = two_teams
    client.login(username=a.email, password=PASSWORD)
    big = io.BytesIO(b"x" * 200_000)
    big.name = "model.zip"
    assert client.post("/c/cells/upload/", {"model": big}).status_code == 413
    slightly = io.BytesIO(b"x" * 1500)  # within the form's overhead, caught once parsed
    slightly.name = "model.zip"
    assert client.post("/c/cells/upload/", {"model": slightly}).status_code == 413
    assert Submission.objects.count() == 2

    class Unreadable(io.RawIOBase):
        def read(self, *args):
            raise AssertionError("the body was read")

    request = RequestFactory().post("/c/cells/upload/", data=b"", content_type="application/zip")
    request.META.update({"CONTENT_LENGTH": str(10**9), "wsgi.input": Unreadable()})
    response = RequestSizeLimitMiddleware(lambda r: pytest.fail("reached the view"))(request)
    assert response.status_code == 413 and b"at most" in response.content


def test_the_network_allowlist_refuses_other_networks_and_trusts_proxies_only_when_configured(settings):
    settings.ALLOWED_NETWORKS = ["10.0.0.0/8", "2001:db8::/32"]
    settings.TRUSTED_PROXIES = ["192.168.1.1"]
    factory = RequestFactory()

    def request(remote: str, forwarded: str | None = None):
        extra = {"REMOTE_ADDR": remote}
        if forwarded:
            extra["HTTP_X_FORWARDED_FOR"] = forwarded
        return factory.get("/", **extra)

    middleware = NetworkAllowlistMiddleware(lambda r: "passed")
    assert middleware(request("10.1.2.3")) == "passed"
    assert middleware(request("2001:db8::1")) == "passed"
    refused = middleware(request("8.8.8.8"))
    assert refused.status_code == 403 and "8.8.8.8" in refused.content.decode()
    assert "accepts connections only from the networks" in refused.content.decode()
    assert middleware(request("8.8.8.8", forwarded="10.1.2.3")).status_code == 403  # not a trusted proxy
    assert middleware(request("192.168.1.1", forwarded="10.1.2.3")) == "passed"
    # a client's own X-Forwarded-For entries sit left of what the proxy appended: not believed
    assert client_address(request("192.168.1.1", forwarded="10.1.2.3, 8.8.8.8")) == "8.8.8.8"
    assert middleware(request("192.168.1.1", forwarded="10.1.2.3, 8.8.8.8")).status_code == 403
    settings.ALLOWED_NETWORKS = []
    assert middleware(request("8.8.8.8")) == "passed"
