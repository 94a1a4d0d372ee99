"""The challenge server (docs/server.md): a Django project scoring uploaded ``model.zip`` files.

Only ``pvdefects.cli`` imports this package, and only inside the server commands, so that the
other commands start without Django. :func:`setup` configures Django for a data folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import django
from django.apps import apps

from pvdefects.server.tasks_app import app as celery_app  # tasks bind to this app, in web and worker

SETTINGS_MODULE = "pvdefects.server.settings"
__all__ = ["celery_app", "setup"]


def setup(data_dir: str | Path | None = None) -> None:
    """Point Django at ``data_dir`` (else ``PVDEFECTS_DATA_DIR`` or ./challenge-data) and set it up."""
    if data_dir is not None:
        os.environ["PVDEFECTS_DATA_DIR"] = str(Path(data_dir).resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    if not apps.ready:  # once per process (setup would configure logging again)
        django.setup()
