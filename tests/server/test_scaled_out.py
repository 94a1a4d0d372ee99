"""The server scaled out: web and workers as separate processes sharing PostgreSQL and Redis (started
for the test session by services.py), and a worker killed in the middle of scoring.

The killed worker's message stays unacknowledged in Redis (its visibility timeout is an hour), so
the recovery shown here is the server's own: the submission's lease runs out, the reaper (run by the
second worker's schedule) queues it again, and the second worker scores it as attempt 2. The team's
upload count sees one upload, however many attempts it took.

The same story runs on the embedded services too (SQLite, kombu's SQLAlchemy broker on SQLite, as
``pvdefects serve`` uses them): that broker marks a message invisible when a worker takes it and never
shows it again if the worker dies, so there the reaper is the only way back.
"""

from __future__ import annotations

import json
import os
import re
import signal
import urllib.request
from pathlib import Path

import psycopg
import pytest
from services import free_port, require_sandbox, wait_for_port
from story import (
    PASSWORD,
    alive,
    background,
    children,
    pvdefects,
    pvdefects_ok,
    sandboxes,
    scoring_workers,
    server_environment,
    wait_until,
)

SLUG = "scaled"
LEASE_SECONDS = 6  # heartbeat every 1.5 s; a dead worker's lease runs out within 6 s
SCORING_TIMEOUT_S = 240


@pytest.fixture(params=["postgresql+redis", "embedded"])
def services_environment(request) -> dict[str, str]:
    """DATABASE_URL and CELERY_BROKER_URL: a database of its own in the session's PostgreSQL cluster and
    the session's Redis; or none (the defaults: SQLite files in the data folder)."""
    if request.param == "embedded":
        yield {}
        return
    postgres_url, redis_url = request.getfixturevalue("postgres_url"), request.getfixturevalue("redis_url")
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("CREATE DATABASE scaled_out")
    yield {"DATABASE_URL": postgres_url.rsplit("/", 1)[0] + "/scaled_out", "CELERY_BROKER_URL": redis_url}
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("DROP DATABASE scaled_out WITH (FORCE)")


def status(base: str, submission_id: int, token: str) -> dict:
    request = urllib.request.Request(f"{base}/api/submissions/{submission_id}")
    request.add_header("Authorization", f"Token {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def submit(zip_path, base: str, token: str, env: dict[str, str]):
    return pvdefects(
        "submit", str(zip_path), "--server", base, "--challenge", SLUG, "--token", token, env=env
    )


def short_leases(data: Path, services: dict[str, str]) -> dict[str, str]:
    """A server environment whose leases run out soon after a worker dies, with a reaper every 2 s."""
    return server_environment(
        data, **services, PVDEFECTS_LEASE_SECONDS=str(LEASE_SECONDS), PVDEFECTS_REAPER_INTERVAL="2"
    )


def challenge_with_a_team(env: dict[str, str], public_labels: Path) -> str:
    """The challenge (2 uploads a day) and a team of two; the API token of one member."""
    pvdefects_ok(
        "server", "challenge", SLUG, "--test-labels", str(public_labels), "--daily-limit", "2", env=env
    )
    for person in ("ada", "bob"):
        pvdefects_ok("server", "createuser", f"{person}@example.org", env=env, stdin=PASSWORD + "\n")
    pvdefects_ok("server", "team", SLUG, "Far Apart", "--members", "ada@example.org,bob@example.org", env=env)
    return pvdefects_ok("server", "token", "bob@example.org", env=env).strip()


def uploaded_id(zip_path: Path, base: str, token: str, env: dict[str, str]) -> int:
    uploaded = submit(zip_path, base, token, env)
    assert uploaded.returncode == 0, uploaded.stderr
    return int(re.search(r"submission (\d+) uploaded", uploaded.stdout).group(1))


def test_a_worker_killed_mid_scoring_is_replaced_and_the_upload_counts_once(
    services_environment, tmp_path, tiny_model_zip, story_test_sets
):
    require_sandbox()
    env = short_leases(tmp_path / "shared-data", services_environment)  # uploads: shared by every process
    token = challenge_with_a_team(env, story_test_sets["public"])

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = ["serve", "--port", str(port), "--workers", "0"]  # the web process alone
    with background(*web, env=env, log=tmp_path / "web.log") as server:
        wait_for_port(port, timeout_s=120, process=server.process)
        submission_id = uploaded_id(tiny_model_zip, base, token, env)

        with background("worker", "--loglevel=info", env=env, log=tmp_path / "worker1.log") as first:
            wait_until(
                lambda: status(base, submission_id, token)["state"] == "running", SCORING_TIMEOUT_S, "a claim"
            )
            sandbox = wait_until(lambda: sandboxes(first.pid), SCORING_TIMEOUT_S, "the scoring sandbox")
            first.kill()  # SIGKILL to the worker's pid while its sandbox scores the model
            wait_until(lambda: not any(map(alive, sandbox)), 30, "the sandbox to die with its worker")
        killed = status(base, submission_id, token)
        assert (killed["state"], killed["attempts"]) == ("running", 1)

        with background(
            "worker", "--beat", "--loglevel=info", env=env, log=tmp_path / "worker2.log"
        ) as second:
            final = wait_until(
                lambda: (s := status(base, submission_id, token))["state"] not in ("queued", "running") and s,
                SCORING_TIMEOUT_S,
                "the second worker's score",
            )
            assert (final["state"], final["attempts"]) == ("scored", 2), second.output()[-3000:]
            assert 0 <= final["mean_f1"] <= 1
            # scored exactly once: one successful scoring run in all; a reaper run afterwards changes nothing
            reaped = second.output().count("pvdefects.reap[")
            wait_until(lambda: second.output().count("pvdefects.reap[") > reaped, 30, "a later reaper run")
            assert status(base, submission_id, token) == final
        logs = first.output() + second.output()
        scorings = re.findall(r"pvdefects\.score\[[^]]+\] succeeded in [\d.]+s: '(\w+)'", logs)
        assert [outcome for outcome in scorings if outcome != "not claimable"] == ["scored"], logs

        # the daily limit is 2: the retried upload used one, so exactly one more is accepted
        second_upload = submit(tiny_model_zip, base, token, env)
        assert second_upload.returncode == 0, second_upload.stderr
        refused = submit(tiny_model_zip, base, token, env)
        assert refused.returncode == 2 and "used its 2 uploads for today" in refused.stderr, refused.stderr


def test_serve_starts_a_killed_worker_again_and_the_upload_is_scored(
    tmp_path, tiny_model_zip, story_test_sets
):
    """``pvdefects serve`` on one machine: its worker is SIGKILLed mid-scoring; serve starts another
    (with the reaper's schedule), whose reaper re-queues the upload once its lease runs out."""
    require_sandbox()
    env = short_leases(tmp_path / "data", {})
    token = challenge_with_a_team(env, story_test_sets["public"])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with background(
        "serve", "--port", str(port), "--workers", "1", env=env, log=tmp_path / "serve.log"
    ) as server:
        wait_for_port(port, timeout_s=120, process=server.process)
        submission_id = uploaded_id(tiny_model_zip, base, token, env)
        wait_until(
            lambda: status(base, submission_id, token)["state"] == "running", SCORING_TIMEOUT_S, "a claim"
        )
        (worker,) = scoring_workers(server.pid)
        wait_until(lambda: sandboxes(worker), SCORING_TIMEOUT_S, "the scoring sandbox")
        left_behind = children(worker)  # the sandbox, and Celery's embedded beat (the reaper's schedule)
        os.kill(worker, signal.SIGKILL)
        wait_until(lambda: not any(map(alive, left_behind)), 30, "the worker's children to go with it")
        final = wait_until(
            lambda: (s := status(base, submission_id, token))["state"] not in ("queued", "running") and s,
            SCORING_TIMEOUT_S,
            "the restarted worker's score",
        )
        assert (final["state"], final["attempts"]) == ("scored", 2), server.output()[-3000:]
        assert f"scoring worker 0 (pid {worker}) exited with status -9; started it again" in server.output()
        (replacement,) = scoring_workers(server.pid)
        assert replacement != worker
