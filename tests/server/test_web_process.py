"""The web process never imports TensorFlow: only the sandboxed child of a worker runs models."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import sys
from pvdefects.server import setup
setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
import pvdefects.server.urls, pvdefects.server.wsgi
assert Client().get("/").status_code == 200 and Client().get("/admin/login/").status_code == 200
heavy = sorted(name for name in ("tensorflow", "keras") if name in sys.modules)
print(",".join(heavy) or "none")
"""


def test_the_web_process_loads_no_tensorflow(tmp_path):
    environment = {**os.environ, "PVDEFECTS_DATA_DIR": str(tmp_path), "PVDEFECTS_ALLOWED_HOSTS": "testserver"}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "none"
