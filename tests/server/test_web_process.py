"""The web side: its process never imports TensorFlow (only the sandboxed child of a worker runs models);
``pvdefects serve``'s web processes serve a fresh leaderboard and refuse oversize uploads unread."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request

from services import free_port, wait_for_port
from story import background, pvdefects_ok, server_environment

SLUG = "cells"

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


def get_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read().decode()


def oversize_post(port: int) -> tuple[bytes, bool]:
    """POST headers declaring a 1 GB upload, then its first bytes only once the answer is in; the answer's
    status line, and whether the server hung up before taking 16 MiB of the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(
            f"POST /c/{SLUG}/upload/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {10**9}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\n\r\n".encode()
        )
        status_line = connection.recv(4096).split(b"\r\n", 1)[0]
        try:
            for _ in range(256):
                connection.sendall(b"x" * (64 << 10))
            return status_line, connection.recv(4096) == b""
        except ConnectionError:
            return status_line, True


def test_serve_keeps_the_board_fresh_in_every_web_process_and_refuses_an_oversize_upload_unread(
    tmp_path, story_test_sets
):
    """``pvdefects serve`` with two web processes: each caches the leaderboard page, and a change made
    by another process (a rename) shows in the next answer of either (new connections are spread over
    them by the kernel); a body declared over the upload limit is answered 413 before it is sent and
    the connection is closed instead of the body being read."""
    env = server_environment(tmp_path / "data")
    labels = str(story_test_sets["public"])
    pvdefects_ok("server", "challenge", SLUG, "--test-labels", labels, "--title", "Before", env=env)
    port = free_port()
    serve = ["serve", "--port", str(port), "--workers", "0", "--web-processes", "2", "--threads", "2"]
    with background(*serve, env=env, log=tmp_path / "serve.log") as server:
        wait_for_port(port, timeout_s=120, process=server.process)
        page = f"http://127.0.0.1:{port}/c/{SLUG}/leaderboard/"
        assert all("Before" in get_text(page) for _ in range(20))
        pvdefects_ok("server", "challenge", SLUG, "--test-labels", labels, "--title", "After", env=env)
        assert not any("Before" in get_text(page) for _ in range(20))
        status_line, hung_up = oversize_post(port)
        assert status_line.startswith(b"HTTP/1.1 413 ") and hung_up
        assert "(data: " in server.output() and "; 2 web processes, 0 scoring workers)" in server.output()
