"""The public and final leaderboards.

Public: each team's best scored submission on the public test set, its mean F1 rounded to 3
decimals, ties to the earlier upload; organisers' baseline teams are shown at their place but get no
rank. The best submission is kept on the team row (``refresh_best``) so that a board of hundreds of
teams is one query. Final: each team's best final score among the submissions ranked at
finalisation, with its bootstrap interval and the change from its public rank.

The public board is read far more often than it changes, so its renderings (page table, JSON, CSV)
are kept in Django's cache (per process, in memory) under the challenge's ``board_version``, which
every change renews in the database in the same transaction: a score shows at once in every process.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.template.loader import render_to_string

from pvdefects.server.challenges.models import Challenge
from pvdefects.server.submissions.models import State, Submission, rounded
from pvdefects.server.teams.models import Team


def best_public(team: Team) -> Submission | None:
    """The team's best scored, not disqualified submission (ties: the earlier upload)."""
    return (
        Submission.objects.filter(team=team, state=State.SCORED, disqualified=False)
        .order_by("-public_mean_f1", "created", "pk")
        .first()
    )


def refresh_best(team: Team) -> None:
    """Put the team's best submission on its row and invalidate the challenge's cached boards."""
    Team.objects.filter(pk=team.pk).update(best_submission=best_public(team))
    Challenge.board_changed(team.challenge_id)


@receiver(post_save, sender=Team)
@receiver(post_delete, sender=Team)
@receiver(post_delete, sender=Submission)  # a deleted best submission leaves its team's row empty
def _board_changed(sender, instance: Team | Submission, **kwargs) -> None:
    Challenge.board_changed(instance.challenge_id)


@dataclass
class Row:
    rank: int | None  # None: a baseline, shown unranked
    team: str
    mean_f1: float
    classes: dict[str, float]  # per-class F1, 3 decimals
    submission_id: int
    uploaded_at: str
    baseline: bool
    interval: list[float] | None = None  # final board: bootstrap 95 % interval of the mean F1
    public_rank: int | None = None  # final board
    rank_change: int | None = None  # final board: positive = moved up


def _ranked(rows: list[Row]) -> list[Row]:
    rank = 0
    for row in rows:
        if not row.baseline:
            rank += 1
            row.rank = rank
    return rows


def public_board(challenge: Challenge) -> list[Row]:
    """The public ranking, read in one query from the teams' rows (no model instances built)."""
    best = "best_submission__"
    teams = (
        Team.objects.filter(challenge=challenge, best_submission__isnull=False)
        .order_by(f"-{best}public_mean_f1", f"{best}created", f"{best}pk")
        .values_list(
            "name",
            "is_baseline",
            f"{best}pk",
            f"{best}public_mean_f1",
            f"{best}public_metrics",
            f"{best}created",
        )
    )
    return _ranked(
        [
            Row(
                rank=None,
                team=name,
                mean_f1=mean_f1,
                classes={name: rounded(values["f1"]) for name, values in metrics["classes"].items()},
                submission_id=submission_id,
                uploaded_at=created.isoformat(),
                baseline=baseline,
            )
            for name, baseline, submission_id, mean_f1, metrics, created in teams
        ]
    )


def _html_table(challenge: Challenge, rows: list[Row]) -> str:
    """The page's table, numbers formatted here once (the template only places strings)."""
    shown = [
        {
            "rank": row.rank or "baseline",
            "team": row.team,
            "baseline": row.baseline,
            "numbers": [_number(row.mean_f1), *(_number(value) for value in row.classes.values())],
            "uploaded_at": row.uploaded_at[:19],
        }
        for row in rows
    ]
    class_names = list(rows[0].classes) if rows else []
    return render_to_string("submissions/leaderboard_table.html", {"rows": shown, "class_names": class_names})


RENDERINGS = {
    "html": _html_table,
    "json": lambda challenge, rows: json.dumps({"challenge": challenge.slug, "rows": as_json(rows)}),
    "csv": lambda challenge, rows: as_csv(rows),
}


def public_rendering(challenge: Challenge, kind: str) -> str:
    """The public board as ``kind`` (html: the page's table; json; csv), from the cache when unchanged.

    ``challenge`` must be read before the board (as a view does): a rendering then never predates
    the version it is stored under. Raises KeyError for an unknown kind.
    """
    return cached(challenge, kind, lambda: RENDERINGS[kind](challenge, public_board(challenge)))


def cached(challenge: Challenge, kind: str, render: Callable[[], str]) -> str:
    """``render()``'s text, kept until the challenge's public board changes (same rule as above)."""
    key = f"leaderboard:{challenge.pk}:{challenge.board_version}:{kind}"
    text = cache.get(key)
    if text is None:
        text = render()
        cache.set(key, text)
    return text


def final_board(challenge: Challenge) -> list[Row]:
    """The final ranking (whether or not it is published: callers check ``challenge.final_published``)."""
    best: dict[int, Submission] = {}
    for submission in (
        Submission.objects.filter(challenge=challenge, final_mean_f1__isnull=False, disqualified=False)
        .select_related("team")
        .order_by("-final_mean_f1", "created", "pk")
    ):
        best.setdefault(submission.team_id, submission)
    public_ranks = {row.team: row.rank for row in public_board(challenge)}
    rows = _ranked(
        [
            Row(
                rank=None,
                team=submission.team.name,
                mean_f1=submission.final_mean_f1,
                classes={name: rounded(m["f1"]) for name, m in submission.final_metrics["classes"].items()},
                submission_id=submission.pk,
                uploaded_at=submission.created.isoformat(),
                baseline=submission.team.is_baseline,
                interval=[rounded(bound) for bound in submission.final_metrics["intervals"]["mean_f1"]],
            )
            for submission in best.values()
        ]
    )
    for row in rows:
        row.public_rank = public_ranks.get(row.team)
        if row.rank is not None and row.public_rank is not None:
            row.rank_change = row.public_rank - row.rank
    return rows


def as_json(rows: list[Row]) -> list[dict]:
    return [asdict(row) for row in rows]


def _cell(text: str) -> str:
    """A team name as a CSV cell that spreadsheets will not run as a formula (OWASP CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def as_csv(rows: list[Row]) -> str:
    """A line per row: rank (empty: baseline), team, mean F1, per-class F1, upload time (+ final columns)."""
    class_names = list(rows[0].classes) if rows else []
    final = bool(rows) and rows[0].interval is not None
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["rank", "team", "mean_f1", *[f"f1_{name}" for name in class_names], "uploaded_at"]
    writer.writerow(header + (["ci95_low", "ci95_high", "public_rank", "rank_change"] if final else []))
    for row in rows:
        line = [
            row.rank or "",
            _cell(row.team),
            _number(row.mean_f1),
            *[_number(row.classes[n]) for n in class_names],
        ]
        line.append(row.uploaded_at)
        if final:
            line += [_number(bound) for bound in row.interval]
            line += ["" if value is None else value for value in (row.public_rank, row.rank_change)]
        writer.writerow(line)
    return out.getvalue()


def csv_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
