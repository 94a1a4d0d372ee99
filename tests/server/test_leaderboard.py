"""The public leaderboard's cache: a board is rendered once per change, and every change shows at once."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client, RequestFactory
from factories import PASSWORD, make_challenge, make_user

from pvdefects.server.challenges.models import Challenge
from pvdefects.server.submissions import lifecycle
from pvdefects.server.submissions.models import State, Submission
from pvdefects.server.submissions.views import leaderboard_page
from pvdefects.server.teams.models import Team

pytestmark = pytest.mark.django_db


def score(team: Team, user, mean_f1: float) -> Submission:
    """An upload scored the way a worker stores a score (claim, then finish)."""
    submission = Submission.objects.create(
        challenge=team.challenge, team=team, uploader=user, sha256=uuid.uuid4().hex * 2, size=1
    )
    token = lifecycle.claim(submission.pk)
    metrics = {"classes": {"crack": {"f1": mean_f1}, "inactive": {"f1": None}}, "mean_f1": mean_f1}
    assert lifecycle.finish(
        submission.pk, token, State.SCORED, public_mean_f1=mean_f1, public_metrics=metrics
    )
    return submission


def boards(client: Client) -> dict[str, list]:
    """The board's teams and mean F1 as the JSON API, the CSV and the page show them."""
    rows = client.get("/api/challenges/cells/leaderboard").json()["rows"]
    table = list(csv.reader(io.StringIO(client.get("/c/cells/leaderboard/?format=csv").content.decode())))
    page = client.get("/c/cells/leaderboard/").content.decode()
    return {
        "json": [(row["team"], row["mean_f1"]) for row in rows],
        "csv": [(line[1], line[2]) for line in table[1:]],
        "page": [name for name in ("Alpha", "Beta", "Gamma") if f"<td>{name}</td>" in page],
    }


def test_a_cached_board_changes_at_once_when_a_score_arrives_or_is_withdrawn(client):
    challenge = make_challenge()
    alice, bob = make_user("alice"), make_user("bob")
    alpha, beta = Team.create(challenge, "Alpha", alice), Team.create(challenge, "Beta", bob)
    score(alpha, alice, 0.5)
    assert (
        boards(client)
        == boards(client)
        == {"json": [("Alpha", 0.5)], "csv": [("Alpha", "0.500")], "page": ["Alpha"]}
    )

    better = score(beta, bob, 0.75)  # the worker's path, the boards already cached
    assert boards(client) == {
        "json": [("Beta", 0.75), ("Alpha", 0.5)],
        "csv": [("Beta", "0.750"), ("Alpha", "0.500")],
        "page": ["Alpha", "Beta"],
    }
    page = client.get("/c/cells/leaderboard/").content.decode()
    assert page.index("<td>Beta</td>") < page.index("<td>Alpha</td>")
    assert '<td class="num">0.750</td><td class="num">0.750</td><td class="num"></td>' in page  # None: empty

    make_user("org", is_staff=True, is_superuser=True)
    organiser = Client()
    organiser.login(username="org@example.org", password=PASSWORD)
    organiser.post(
        "/admin/submissions/submission/", {"action": "disqualify", "_selected_action": [better.pk]}
    )
    assert boards(client)["json"] == [("Alpha", 0.5)]

    renamed = Team.objects.get(pk=alpha.pk)
    renamed.name = "Gamma"
    renamed.save()  # as the admin's change form does
    assert boards(client)["json"] == [("Gamma", 0.5)]

    lifecycle.rescore(Submission.objects.get(team=alpha))  # its score is withdrawn until scored again
    assert boards(client) == {"json": [], "csv": [], "page": []}


def test_saving_the_challenge_renews_its_board_version_and_its_cached_page(client):
    challenge = make_challenge(title="Cells 2026")
    assert "Cells 2026" in client.get("/c/cells/leaderboard/").content.decode()
    stale = Challenge.objects.get(pk=challenge.pk)
    before = challenge.board_version
    Challenge.board_changed(challenge.pk)
    stale.title = "Renamed"
    stale.save(update_fields=["title"])  # from an instance older than the last change
    versions = {before, Challenge.objects.get(pk=challenge.pk).board_version}
    assert len(versions) == 2 and stale.board_version == Challenge.objects.get(pk=challenge.pk).board_version
    assert "Leaderboard: Renamed" in client.get("/c/cells/leaderboard/").content.decode()


def test_a_repeated_board_request_is_one_query_and_the_cached_table_is_user_independent(
    client, django_assert_num_queries
):
    challenge = make_challenge()
    users = [make_user(name) for name in ("alice", "bob")]
    score(Team.create(challenge, "<b>Alpha</b>", users[0]), users[0], 0.5)
    urls = ("/c/cells/leaderboard/", "/c/cells/leaderboard/?format=csv", "/api/challenges/cells/leaderboard")
    for url in urls:
        client.get(url)  # rendered and cached
    for url in urls:
        with django_assert_num_queries(1):  # the challenge row (with its board version); no board query
            assert client.get(url).status_code == 200
    page = client.get("/c/cells/leaderboard/").content.decode()
    assert "&lt;b&gt;Alpha&lt;/b&gt;" in page and "<b>Alpha" not in page  # escaped, though cached
    assert "csrf" not in page.lower() and "Log in" in page  # the page shared by all visitors has no token

    client.login(username="bob@example.org", password=PASSWORD)
    with django_assert_num_queries(3):  # session, user, challenge
        page = client.get("/c/cells/leaderboard/").content.decode()
    assert (
        "Bob" in page and "&lt;b&gt;Alpha&lt;/b&gt;" in page
    )  # the person's own menu around the shared table


def test_a_visitor_with_a_message_gets_it_though_the_page_is_cached(client):
    make_challenge()
    assert "Hello visitor" not in client.get("/c/cells/leaderboard/").content.decode()  # now cached
    request = RequestFactory().get("/c/cells/leaderboard/")
    request.user, request._messages = AnonymousUser(), CookieStorage(request)
    messages.info(request, "Hello visitor")
    assert "Hello visitor" in leaderboard_page(request, "cells").content.decode()
    assert "Hello visitor" not in client.get("/c/cells/leaderboard/").content.decode()
