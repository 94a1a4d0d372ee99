"""The public and final leaderboards.

Public: each team's best scored submission on the public test set, its mean F1 rounded to 3
decimals, ties to the earlier upload; organisers' baseline teams are shown at their place but get no
rank. The best submission is kept on the team row (``refresh_best``) so that a board of hundreds of
teams is one query. Final: each team's best final score among the submissions ranked at
finalisation, with its bootstrap interval and the change from its public rank.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass

from django.http import HttpResponse

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
    Team.objects.filter(pk=team.pk).update(best_submission=best_public(team))


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
    teams = (
        Team.objects.filter(challenge=challenge, best_submission__isnull=False)
        .select_related("best_submission")
        .order_by("-best_submission__public_mean_f1", "best_submission__created", "best_submission__pk")
    )
    return _ranked(
        [
            Row(
                rank=None,
                team=team.name,
                mean_f1=team.best_submission.public_mean_f1,
                classes={
                    name: rounded(values["f1"])
                    for name, values in team.best_submission.public_metrics["classes"].items()
                },
                submission_id=team.best_submission.pk,
                uploaded_at=team.best_submission.created.isoformat(),
                baseline=team.is_baseline,
            )
            for team in teams
        ]
    )


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


def csv_response(rows: list[Row], filename: str) -> HttpResponse:
    response = HttpResponse(as_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
