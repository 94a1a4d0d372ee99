"""Celery tasks: score one submission (idempotent: a duplicate or late message finds nothing to claim)
and the periodic reaper."""

from __future__ import annotations

import logging

from celery import shared_task

from pvdefects.security.rejected import Rejected
from pvdefects.server.submissions import lifecycle
from pvdefects.server.submissions.feedback import describe_rejection
from pvdefects.server.submissions.models import State, Submission, rounded
from pvdefects.server.submissions.storage import upload_path

log = logging.getLogger(__name__)


@shared_task(name=lifecycle.SCORE_TASK, acks_late=True, reject_on_worker_lost=True)
def score_submission(submission_id: int) -> str:
    """Claim the submission, score it in the sandbox on the public test set and store the outcome."""
    from pvdefects.server.submissions.scoring import metrics_of  # NumPy and the scorer: workers only

    token = lifecycle.claim(submission_id)
    if token is None:
        return "not claimable"
    submission = Submission.objects.select_related("challenge").get(pk=submission_id)
    challenge, path = submission.challenge, upload_path(submission.sha256)
    try:
        with lifecycle.Heartbeat(submission_id, token):
            metrics = metrics_of(path, challenge.public_labels, challenge.public_images_root)
    except Rejected as rejection:
        category, reason = describe_rejection(str(rejection), path.name)
        lifecycle.finish(submission_id, token, State.REJECTED, error_category=category, error_reason=reason)
        return "rejected"
    except Exception as error:  # ours: the sandbox, the disk, the test set; retried, never counted
        log.exception("scoring submission %s failed on our side", submission_id)
        lifecycle.release(submission_id, token, f"{type(error).__name__}: {error}")
        return "released"
    lifecycle.finish(
        submission_id,
        token,
        State.SCORED,
        public_mean_f1=rounded(metrics["mean_f1"]),
        public_metrics=metrics,
        error_category="",
        error_reason="",
    )
    return "scored"


@shared_task(name="pvdefects.reap")
def reap() -> dict[str, int]:
    return lifecycle.reap()
