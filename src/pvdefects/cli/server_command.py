"""``pvdefects server ...``: the organisers' commands (people, challenges, teams, tokens, finalisation)."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated

import typer

from pvdefects.cli.arguments import ImagesRoot
from pvdefects.cli.server_setup import DataDir, django_for
from pvdefects.errors import UserError

app = typer.Typer(
    help="Run challenges: accounts, challenges, teams, API tokens, finalisation.\n\nExample:\n\n"
    "    pvdefects server challenge cells-2026 --test-labels public/labels.csv --deadline 2026-06-30T23:59",
    no_args_is_help=True,
)


def _when(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option}: {text!r} is not a date and time like 2026-06-30T23:59") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _user(email: str):
    from pvdefects.server.accounts.models import User

    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise UserError(
            f"no account with e-mail {email}; create it with: pvdefects server createuser {email}"
        )
    return user


def _challenge(slug: str):
    from pvdefects.server.challenges.models import Challenge

    challenge = Challenge.objects.filter(slug=slug).first()
    if challenge is None:
        raise UserError(
            f"no challenge {slug!r}; create it with: pvdefects server challenge {slug} --test-labels CSV"
        )
    return challenge


@app.command()
def createuser(
    email: Annotated[str, typer.Argument(help="The person's e-mail address (their login).")],
    organiser: Annotated[
        bool, typer.Option("--organiser", help="May use the admin and run challenges.")
    ] = False,
    name: Annotated[str | None, typer.Option(help="Display name (default: the e-mail's local part).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create an active account; its password is the first line of standard input.

    Example:

        echo 's3cret-passw0rd' | pvdefects server createuser ada@example.org --organiser
    """
    password = sys.stdin.readline().rstrip("\n")
    django_for(data_dir)
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from pvdefects.server.accounts.models import User

    try:
        validate_email(email)
        validate_password(password)
    except ValidationError as error:
        raise UserError(f"{email}: {' '.join(error.messages)}") from None
    if User.objects.filter(email=email.lower()).exists():
        raise UserError(f"an account with e-mail {email} exists already")
    user = User.objects.create_user(
        email, password, display_name=name or email.split("@")[0], is_staff=organiser, is_superuser=organiser
    )
    typer.echo(f"created {'organiser' if organiser else 'participant'} {user.email}")


@app.command()
def challenge(
    slug: Annotated[str, typer.Argument(help="Short name used in URLs, e.g. cells-2026.")],
    test_labels: Annotated[Path, typer.Option(help="Public test set: labels CSV (course format).")],
    images_root: ImagesRoot = None,
    title: Annotated[str | None, typer.Option(help="Title (default: the slug).")] = None,
    description: Annotated[
        Path | None, typer.Option(help="Markdown file with the challenge's description.")
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="Opening, ISO date/time (UTC if no zone); default now.")
    ] = None,
    deadline: Annotated[
        str | None, typer.Option(help="Deadline, ISO date/time; default 4 weeks from now.")
    ] = None,
    max_team_size: Annotated[int, typer.Option(min=1)] = 2,
    daily_limit: Annotated[int, typer.Option(min=1, help="Uploads per team and day.")] = 5,
    reset_hour: Annotated[int, typer.Option(min=0, max=23, help="UTC hour the daily count restarts.")] = 0,
    total_limit: Annotated[int | None, typer.Option(min=1, help="Uploads per team in all.")] = None,
    final_selections: Annotated[
        int, typer.Option(min=1, help="Submissions a team selects for the final.")
    ] = 2,
    data_dir: DataDir = None,
) -> None:
    """Create a challenge, or update its settings and public test set.

    Example:

        pvdefects server challenge cells-2026 --test-labels public/labels.csv --deadline 2026-12-31
    """
    django_for(data_dir)
    from pvdefects.server.challenges.models import Challenge
    from pvdefects.server.challenges.testsets import install_test_set

    now = datetime.now(timezone.utc)
    labels, root = install_test_set(slug, "public", test_labels, images_root)
    fields = {
        "title": title or slug,
        "start": _when(start, "--start") or now,
        "deadline": _when(deadline, "--deadline") or now + timedelta(weeks=4),
        "max_team_size": max_team_size,
        "daily_upload_limit": daily_limit,
        "daily_reset_hour_utc": reset_hour,
        "total_upload_limit": total_limit,
        "final_selections": final_selections,
        "public_labels": labels,
        "public_images_root": root,
    }
    if description is not None:
        fields["description"] = description.read_text(encoding="utf-8")
    if fields["deadline"] <= fields["start"]:
        raise UserError(f"challenge {slug}: the deadline must come after the start")
    _, created = Challenge.objects.update_or_create(slug=slug, defaults=fields)
    typer.echo(
        f"{'created' if created else 'updated'} challenge {slug} "
        f"(deadline {fields['deadline']:%Y-%m-%d %H:%M} UTC)"
    )


@app.command()
def token(email: Annotated[str, typer.Argument()], data_dir: DataDir = None) -> None:
    """Print a new API token for the account (the old one stops working).

    Example:

        pvdefects server token ada@example.org
    """
    django_for(data_dir)
    from pvdefects.server.accounts.models import ApiToken

    typer.echo(ApiToken.objects.issue(_user(email)))


@app.command()
def team(
    slug: Annotated[str, typer.Argument(help="The challenge.")],
    name: Annotated[str, typer.Argument(help="The team's name.")],
    members: Annotated[
        list[str], typer.Option("--members", help="Member e-mails (repeat, or comma-separated).")
    ],
    baseline: Annotated[bool, typer.Option(help="An organisers' reference team: shown, not ranked.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Form a team for participants (or a baseline team), all members at once.

    Example:

        pvdefects server team cells-2026 lab-a --members ada@example.org,bob@example.org
    """
    django_for(data_dir)
    from django.db import transaction

    from pvdefects.server.teams.models import Team

    emails = [email.strip() for item in members for email in item.split(",") if email.strip()]
    challenge = _challenge(slug)
    people = [_user(email) for email in emails]
    with transaction.atomic():  # all members or none
        created = Team.create(challenge, name, people[0], is_baseline=baseline)
        for person in people[1:]:
            Team.join(challenge, created.invite_code, person)
    typer.echo(f"team {created.name} in {slug}: {', '.join(emails)} (invite code {created.invite_code})")


@app.command()
def finalize(
    slug: Annotated[str, typer.Argument(help="The challenge, after its deadline.")],
    final_labels: Annotated[Path, typer.Option(help="The final, hidden test set: labels CSV.")],
    images_root: ImagesRoot = None,
    data_dir: DataDir = None,
) -> None:
    """Freeze uploads, write the manifest of the zips to rank, score them on the final set (unpublished).

    Example:

        pvdefects server finalize cells-2026 --final-labels final/labels.csv
    """
    django_for(data_dir)
    from pvdefects.server.submissions.finalize import finalize as run_finalisation

    manifest, outcomes = run_finalisation(_challenge(slug), final_labels, images_root)
    typer.echo(f"manifest of {len(outcomes)} submissions: {manifest}")
    for outcome in outcomes:
        if outcome.mean_f1 is None:
            typer.echo(f"  {outcome.team} #{outcome.submission_id}: refused ({outcome.refusal})")
        else:
            low, high = outcome.interval
            typer.echo(
                f"  {outcome.team} #{outcome.submission_id}: mean F1 {outcome.mean_f1:.3f} "
                f"[{low:.3f}, {high:.3f}]"
            )
    typer.echo(f"publish the final ranking with: pvdefects server publish {slug}")


@app.command()
def publish(slug: Annotated[str, typer.Argument()], data_dir: DataDir = None) -> None:
    """Make the final ranking public.

    Example:

        pvdefects server publish cells-2026
    """
    django_for(data_dir)
    from pvdefects.server.submissions.finalize import publish as publish_final

    publish_final(_challenge(slug))
    typer.echo(f"final ranking of {slug} published")
