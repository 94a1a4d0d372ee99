"""Pages through Django's test client: register and verify, teams, upload, submissions, leaderboards."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from factories import PASSWORD, make_challenge, make_user

from pvdefects.server.submissions.leaderboard import refresh_best
from pvdefects.server.submissions.models import State, Submission
from pvdefects.server.teams.models import Team

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _memory_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_registration_needs_the_mailed_link_before_login(client):
    form = {
        "email": "Ada@Example.org",
        "display_name": "Ada",
        "student_id": "s123",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    response = client.post("/accounts/register/", form)
    assert response.status_code == 200 and "Check your e-mail" in response.content.decode()
    assert not client.login(username="ada@example.org", password=PASSWORD)  # inactive until verified
    link = re.search(r"http://testserver(/accounts/verify/\S+/)", mail.outbox[0].body).group(1)
    assert client.get(link).status_code == 302
    assert client.get("/").context["user"].email == "ada@example.org"
    client.logout()
    assert client.login(username="ada@example.org", password=PASSWORD)
    assert client.get("/accounts/verify/MQ/wrong-token/").status_code == 400


def test_without_verification_a_new_account_is_logged_in_at_once(client, settings):
    settings.EMAIL_VERIFICATION = "off"
    form = {"email": "bo@example.org", "display_name": "Bo", "password1": PASSWORD, "password2": PASSWORD}
    assert client.post("/accounts/register/", form).status_code == 302
    assert client.get("/").context["user"].display_name == "Bo" and not mail.outbox


def test_password_reset_mails_a_working_link(client):
    make_user("ada")
    client.post("/accounts/password_reset/", {"email": "ada@example.org"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url  # Django swaps the token for a session and redirects
    new = "another long password 7"
    assert client.post(form_url, {"new_password1": new, "new_password2": new}).status_code == 302
    assert client.login(username="ada@example.org", password=new)


def test_the_team_page_creates_joins_refuses_a_full_team_and_rotates(client):
    challenge = make_challenge(max_team_size=2)
    for name in ("a", "b", "c"):
        make_user(name)
    client.login(username="a@example.org", password=PASSWORD)
    client.post("/c/cells/team/create/", {"name": "Cracks"})
    code = Team.objects.get(name="Cracks").invite_code
    assert code in client.get("/c/cells/team/").content.decode()
    client.login(username="b@example.org", password=PASSWORD)
    client.post("/c/cells/team/join/", {"code": code})
    client.login(username="c@example.org", password=PASSWORD)
    page = client.post("/c/cells/team/join/", {"code": code}, follow=True).content.decode()
    assert "Team Cracks is full (2 members)" in page
    assert Team.objects.get().memberships.count() == 2
    client.login(username="a@example.org", password=PASSWORD)
    client.post("/c/cells/team/rotate/")
    assert Team.objects.get().invite_code != code
    assert challenge.teams.count() == 1


def test_uploads_are_listed_with_their_state_and_can_be_selected(client):
    challenge = make_challenge(final_selections=1)
    user = make_user("a")
    Team.create(challenge, "Cracks", user)
    client.login(username=user.email, password=PASSWORD)
    for content in (b"first", b"second"):
        file = io.BytesIO(content)
        file.name = "model.zip"
        assert client.post("/c/cells/upload/", {"model": file}).status_code == 302
    first, second = Submission.objects.order_by("pk")
    Submission.objects.filter(pk__in=[first.pk, second.pk]).update(state=State.SCORED, public_mean_f1=0.5)
    page = client.get("/c/cells/submissions/").content.decode()
    assert page.count('class="state state-scored"') == 2 and "/api/submissions/" in page
    client.post(f"/c/cells/submissions/{first.pk}/select/")
    page = client.post(f"/c/cells/submissions/{second.pk}/select/", follow=True).content.decode()
    assert "Your team has selected 1; unselect one first." in page
    assert list(Submission.objects.filter(selected=True)) == [first]


def scored(team, user, mean_f1: float, minutes_ago: int, **fields) -> Submission:
    metrics = {"classes": {"crack": {"f1": mean_f1, "precision": 1.0, "recall": 1.0}}, "mean_f1": mean_f1}
    submission = Submission.objects.create(
        challenge=team.challenge,
        team=team,
        uploader=user,
        sha256=f"{minutes_ago:064x}",
        size=1,
        state=State.SCORED,
        public_mean_f1=round(mean_f1, 3),
        public_metrics=metrics,
        **fields,
    )
    Submission.objects.filter(pk=submission.pk).update(
        created=submission.created - timedelta(minutes=minutes_ago)
    )
    refresh_best(team)
    return submission


def test_the_leaderboard_ranks_best_per_team_ties_to_the_earlier_upload_baselines_unranked(client):
    challenge = make_challenge()
    users = [make_user(name) for name in ("a", "b", "c", "d")]
    early = Team.create(challenge, "Early", users[0])
    late = Team.create(challenge, "=Late", users[1])  # a name a spreadsheet would run as a formula
    best = Team.create(challenge, "Best", users[2])
    baseline = Team.create(challenge, "Reference", users[3], is_baseline=True)
    scored(early, users[0], 0.70, minutes_ago=30)
    scored(early, users[0], 0.6, minutes_ago=20)
    scored(late, users[1], 0.70004, minutes_ago=10)  # equal at 3 decimals, later: ranked after Early
    scored(best, users[2], 0.91, minutes_ago=5)
    scored(best, users[2], 0.99, minutes_ago=4, disqualified=True)
    scored(baseline, users[3], 0.8, minutes_ago=40)
    rows = client.get("/api/challenges/cells/leaderboard").json()["rows"]
    assert [(row["rank"], row["team"], row["mean_f1"]) for row in rows] == [
        (1, "Best", 0.91),
        (None, "Reference", 0.8),
        (2, "Early", 0.7),
        (3, "=Late", 0.7),
    ]
    table = list(csv.reader(io.StringIO(client.get("/c/cells/leaderboard/?format=csv").content.decode())))
    assert table[0] == ["rank", "team", "mean_f1", "f1_crack", "uploaded_at"]
    assert [line[:3] for line in table[1:]] == [
        ["1", "Best", "0.910"],
        ["", "Reference", "0.800"],
        ["2", "Early", "0.700"],
        ["3", "'=Late", "0.700"],
    ]
    page = client.get("/c/cells/leaderboard/").content.decode()
    assert page.index("Best") < page.index("Reference") < page.index("Early") < page.index("=Late")
    assert "baseline" in page
