"""The organisers' side: the admin and its actions, and the `pvdefects server` and `submit` commands."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from factories import PASSWORD, make_challenge, make_user, write_test_set
from typer.testing import CliRunner

from pvdefects.cli.main import app
from pvdefects.errors import UserError
from pvdefects.security import score as score_module
from pvdefects.server.accounts.models import User
from pvdefects.server.challenges.models import Challenge
from pvdefects.server.submissions.models import State, Submission
from pvdefects.server.submissions.uploads import accept_upload
from pvdefects.server.teams.models import Team

pytestmark = pytest.mark.django_db


def run(*arguments: str, stdin: str | None = None):
    return CliRunner().invoke(app, list(arguments), input=stdin)


def refusal(result) -> str:
    """The one line `pvdefects` prints (exit status 2) for the UserError a command raised."""
    assert isinstance(result.exception, UserError), result.output
    return str(result.exception)


def test_the_admin_is_for_organisers_and_rescores(client, sent_tasks):
    challenge = make_challenge()
    user = make_user("a")
    team = Team.create(challenge, "Cracks", user)
    submission = Submission.objects.create(
        challenge=challenge, team=team, uploader=user, sha256="0" * 64, size=1, state=State.FAILED, attempts=3
    )
    client.login(username=user.email, password=PASSWORD)
    assert client.get("/admin/submissions/submission/").status_code == 302  # to the admin's login
    make_user("org", is_staff=True, is_superuser=True)
    client.login(username="org@example.org", password=PASSWORD)
    for url in (
        "/admin/",
        "/admin/submissions/submission/",
        "/admin/challenges/challenge/",
        "/admin/teams/team/",
        f"/admin/challenges/challenge/{challenge.pk}/change/",
        f"/admin/teams/team/{team.pk}/change/",
        f"/admin/submissions/submission/{submission.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
    response = client.post(
        "/admin/submissions/submission/", {"action": "rescore_selected", "_selected_action": [submission.pk]}
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert (submission.state, submission.attempts) == (State.QUEUED, 0)
    Submission.objects.filter(pk=submission.pk).update(state=State.REJECTED)
    client.post("/admin/challenges/challenge/", {"action": "rescore_all", "_selected_action": [challenge.pk]})
    assert Submission.objects.get(pk=submission.pk).state == State.QUEUED and sent_tasks == []  # on commit
    export = client.post(
        "/admin/challenges/challenge/", {"action": "export_leaderboard", "_selected_action": [challenge.pk]}
    )
    assert export["Content-Disposition"] == 'attachment; filename="cells-leaderboard.csv"'
    assert export.content.decode().startswith("rank,team,mean_f1")


def test_the_server_commands_set_up_a_challenge(tmp_path):
    labels = write_test_set(tmp_path / "public")
    assert (
        run(
            "server", "createuser", "Org@Example.org", "--organiser", stdin="a long password here\n"
        ).exit_code
        == 0
    )
    assert User.objects.get(email="org@example.org").is_staff
    weak = run("server", "createuser", "p@example.org", stdin="123\n")
    assert "This password is too short" in refusal(weak)
    assert run("server", "createuser", "p@example.org", stdin="another long password\n").exit_code == 0
    result = run(
        "server", "challenge", "cells", "--test-labels", str(labels), "--deadline", "2099-01-01T12:00"
    )
    assert result.exit_code == 0, result.output
    challenge = Challenge.objects.get(slug="cells")
    assert challenge.deadline.isoformat() == "2099-01-01T12:00:00+00:00"
    assert challenge.public_labels.endswith("testsets/cells/public-labels.csv")
    result = run("server", "team", "cells", "Cracks", "--members", "p@example.org,org@example.org")
    assert result.exit_code == 0, result.output
    assert Team.objects.get(name="Cracks").memberships.count() == 2
    token = run("server", "token", "p@example.org").output.strip()
    assert User.objects.get(api_token__isnull=False).email == "p@example.org" and len(token) > 30
    early = run("server", "finalize", "cells", "--final-labels", str(labels))
    assert "has not passed" in refusal(early)
    no_inactive = tmp_path / "public" / "no-inactive.csv"
    no_inactive.write_text("filename;crack;inactive\ncell0.png;1;0\ncell1.png;0;0\n")
    assert "no cell is labelled inactive" in refusal(
        run("server", "challenge", "x", "--test-labels", str(no_inactive))
    )
    missing = run("server", "challenge", "other", "--test-labels", str(tmp_path / "none.csv"))
    assert "none.csv: labels file not found" in refusal(missing)


@pytest.mark.django_db(transaction=True)
def test_infrastructure_failures_are_retried_three_times_and_never_counted(
    eager_scoring, monkeypatch, tmp_path
):
    monkeypatch.setattr(score_module, "bubblewrap", lambda: None)  # the sandbox is missing: our fault
    challenge = make_challenge(labels=write_test_set(tmp_path / "public"), daily_upload_limit=1)
    user = make_user("a")
    team = Team.create(challenge, "Cracks", user)
    submission = accept_upload(challenge, team, user, [b"model"])
    submission.refresh_from_db()
    assert (submission.state, submission.attempts, submission.error_category) == (
        State.FAILED,
        3,
        "infrastructure",
    )
    assert "bubblewrap" in submission.internal_error and "bubblewrap" not in submission.error_reason
    monkeypatch.undo()
    assert accept_upload(challenge, team, user, [b"again"])  # the failed upload did not use the day's slot


@pytest.mark.django_db(transaction=True)
def test_submit_uploads_and_waits_for_the_outcome(live_server, eager_scoring, tmp_path):
    challenge = make_challenge(labels=write_test_set(tmp_path / "public"))
    challenge.deadline = timezone.now() + timedelta(days=1)
    challenge.save()
    user = make_user("a")
    Team.create(challenge, "Cracks", user)
    token = run("server", "token", user.email).output.strip()
    (tmp_path / "model.zip").write_bytes(b"not a zip")
    common = ["--server", live_server.url, "--challenge", "cells", "--token", token]
    result = run("submit", str(tmp_path / "model.zip"), *common, "--wait")
    assert result.exit_code == 2, result.output
    number = Submission.objects.get().pk
    assert f"submission {number} uploaded" in result.output
    assert f"submission {number}: rejected: archive: not a readable zip archive" in result.output
    refused = run("submit", str(tmp_path / "model.zip"), *common[:-1], "wrong")
    assert "the server answered 401: send a valid API token" in refusal(refused)
