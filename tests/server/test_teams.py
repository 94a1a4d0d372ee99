"""Teams: create, join by code, the size limit, one team per person and challenge, leave, rotate."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from factories import make_challenge, make_user

from pvdefects.server.teams.models import Membership, Team, TeamError

pytestmark = pytest.mark.django_db


def test_join_by_code_until_the_team_is_full():
    challenge = make_challenge(max_team_size=2)
    a, b, c = make_user("a"), make_user("b"), make_user("c")
    team = Team.create(challenge, "Cracks", a)
    assert Team.join(challenge, team.invite_code, b) == team
    with pytest.raises(TeamError, match="full"):
        Team.join(challenge, team.invite_code, c)
    assert set(team.memberships.values_list("user__email", flat=True)) == {a.email, b.email}


def test_one_team_per_person_and_challenge_is_a_database_constraint():
    challenge = make_challenge()
    a = make_user("a")
    Team.create(challenge, "First", a)
    with pytest.raises(TeamError, match="already in a team"):
        Team.create(challenge, "Second", a)
    third = Team.objects.create(challenge=challenge, name="Third")
    with pytest.raises(IntegrityError), transaction.atomic():  # code bypassing the checks cannot either
        Membership.objects.create(team=third, user=a)
    other = make_challenge(slug="other")
    assert Team.create(other, "First", a).challenge == other  # another challenge: another team


def test_a_rotated_code_no_longer_admits():
    challenge = make_challenge()
    team = Team.create(challenge, "Cracks", make_user("a"))
    old = team.invite_code
    assert team.rotate_code() != old
    with pytest.raises(TeamError, match="No team of this challenge has that invite code"):
        Team.join(challenge, old, make_user("b"))


def test_leaving_deletes_an_empty_team_but_not_one_that_uploaded(stored_zip):
    challenge = make_challenge()
    a = make_user("a")
    team = Team.create(challenge, "Cracks", a)
    team.leave(a)
    assert not Team.objects.filter(pk=team.pk).exists()
    team = Team.create(challenge, "Cracks", a)
    stored_zip(challenge, team, a)
    with pytest.raises(TeamError, match="uploaded"):
        team.leave(a)


@pytest.mark.django_db(transaction=True)
def test_concurrent_joins_of_the_last_slot_admit_exactly_one():
    challenge = make_challenge(max_team_size=2)
    team = Team.create(challenge, "Cracks", make_user("founder"))
    joiners = [make_user(f"joiner{i}") for i in range(6)]
    barrier = threading.Barrier(len(joiners))
    outcomes: list[str] = []

    def join(user) -> None:
        barrier.wait()
        try:
            Team.join(challenge, team.invite_code, user)
            outcomes.append("joined")
        except TeamError as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=join, args=(user,)) for user in joiners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("joined") == 1, outcomes
    assert all("full" in outcome for outcome in outcomes if outcome != "joined")
    assert team.memberships.count() == 2
