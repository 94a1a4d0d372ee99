"""The Celery app that runs scoring jobs (``celery -A pvdefects.server.tasks_app worker``).

A job is acknowledged only when it has finished (``acks_late``) and is handed back when its worker
dies (``reject_on_worker_lost``); each worker takes one job at a time (prefetch 1). None of this is
trusted alone: the submission row is the truth, and the reaper (beat schedule) re-queues whatever a
lost message or a dead worker left behind (``submissions/lifecycle.py``).
"""

from __future__ import annotations

import os

from celery import Celery
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pvdefects.server.settings")

app = Celery("pvdefects")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    imports=("pvdefects.server.submissions.tasks",),
)


@app.on_after_finalize.connect
def _schedule_reaper(sender: Celery, **_) -> None:
    sender.add_periodic_task(
        float(settings.REAPER_INTERVAL_SECONDS), sender.signature("pvdefects.reap"), name="reaper"
    )
