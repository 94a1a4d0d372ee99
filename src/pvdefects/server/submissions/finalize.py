"""Finalisation: freeze, write the manifest of the zips to rank, then score them on the final test set.

The order is the guarantee: the SHA-256 of every zip is written to ``<data>/final/<slug>/manifest.json``
before the final labels are even read, so nobody (organisers included) can swap a zip after seeing
them. Each zip is scored by the same sandboxed scorer as during the challenge; the final board shows
the mean F1 with a bootstrap 95 % interval. It is visible only after :func:`publish`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from pvdefects.atomic import write_json
from pvdefects.errors import UserError
from pvdefects.evaluation.bootstrap import bootstrap_intervals
from pvdefects.evaluation.metrics import multilabel_metrics
from pvdefects.security.rejected import Rejected
from pvdefects.server.challenges.models import Challenge
from pvdefects.server.challenges.testsets import install_test_set
from pvdefects.server.submissions.feedback import describe_rejection
from pvdefects.server.submissions.models import State, Submission, rounded
from pvdefects.server.submissions.storage import file_sha256, upload_path


@dataclass
class Outcome:
    team: str
    submission_id: int
    mean_f1: float | None  # None: the model was refused on the final set
    interval: list[float] | None
    refusal: str | None


def to_rank(challenge: Challenge) -> list[Submission]:
    """Each team's selected submissions; a team that selected none: its best public submission."""
    chosen: list[Submission] = []
    for team in challenge.teams.select_related("best_submission").order_by("name"):
        selected = list(
            team.submissions.filter(selected=True, state=State.SCORED, disqualified=False).order_by("created")
        )
        chosen += selected or ([team.best_submission] if team.best_submission else [])
    return chosen


def write_manifest(challenge: Challenge, submissions: list[Submission]) -> Path:
    """The manifest: every zip to rank with its SHA-256, recomputed from the stored bytes."""
    entries = []
    for submission in submissions:
        digest = file_sha256(upload_path(submission.sha256))
        if digest != submission.sha256:
            raise UserError(
                f"stored upload of submission {submission.pk} does not match its SHA-256; stopping"
            )
        entries.append({"team": submission.team.name, "submission": submission.pk, "sha256": digest})
    folder = Path(settings.FINAL_DIR) / challenge.slug
    folder.mkdir(parents=True, exist_ok=True)
    content = {
        "challenge": challenge.slug,
        "frozen_at": challenge.frozen_at.isoformat(),
        "submissions": entries,
    }
    return write_json(folder / "manifest.json", content)


def finalize(
    challenge: Challenge, final_labels: str | Path, images_root: str | Path | None = None
) -> tuple[Path, list[Outcome]]:
    """Freeze ``challenge``, write the manifest, then score the chosen zips on the final test set."""
    # lazy: the image reader and the sandboxed scorer load only to finalise (the admin imports publish)
    from pvdefects.server.submissions.scoring import decisions_of, load_test_set

    if timezone.now() < challenge.deadline:
        raise UserError(
            f"challenge {challenge.slug}: the deadline ({challenge.deadline:%Y-%m-%d %H:%M} UTC) "
            "has not passed"
        )
    if challenge.final_published:
        raise UserError(f"challenge {challenge.slug}: the final ranking is published already")
    if challenge.frozen_at is None:
        challenge.frozen_at = timezone.now()
        challenge.save(update_fields=["frozen_at"])
    submissions = to_rank(challenge)
    manifest = write_manifest(challenge, submissions)
    challenge.final_labels, challenge.final_images_root = install_test_set(
        challenge.slug, "final", final_labels, images_root
    )
    challenge.save(update_fields=["final_labels", "final_images_root"])
    test_set = load_test_set(challenge.final_labels, challenge.final_images_root)
    outcomes = []
    for submission in submissions:
        path = upload_path(submission.sha256)
        try:
            decisions = decisions_of(path, test_set)
        except Rejected as rejection:
            _, reason = describe_rejection(str(rejection), path.name)
            Submission.objects.filter(pk=submission.pk).update(final_mean_f1=None, final_metrics=None)
            outcomes.append(Outcome(submission.team.name, submission.pk, None, None, reason))
            continue
        metrics = multilabel_metrics(test_set.labels, decisions, test_set.class_names)
        metrics["intervals"] = bootstrap_intervals(test_set.labels, decisions, test_set.class_names)
        mean_f1 = rounded(metrics["mean_f1"])
        Submission.objects.filter(pk=submission.pk).update(final_mean_f1=mean_f1, final_metrics=metrics)
        outcomes.append(
            Outcome(submission.team.name, submission.pk, mean_f1, metrics["intervals"]["mean_f1"], None)
        )
    return manifest, outcomes


def publish(challenge: Challenge) -> None:
    """Make the final board visible to everyone."""
    if not challenge.final_labels:
        raise UserError(f"challenge {challenge.slug}: finalize it before publishing")
    challenge.final_published_at = timezone.now()
    challenge.save(update_fields=["final_published_at"])
