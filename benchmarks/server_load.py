"""The challenge server under load, on one machine as ``pvdefects serve`` runs it; writes the
"server-load" section of docs/server.md.

    python benchmarks/server_load.py [--labels ../shared/data/solar-cells/labels.csv] [--cells 400]
        [--teams 200] [--submissions 10000] [--connections 50] [--duration 30] [--throughput-uploads 6]
        [--latency-uploads 10]

Three measurements against one ``pvdefects serve --workers 1`` (SQLite database, kombu's SQLAlchemy
broker on SQLite, one solo scoring worker, gunicorn with its default web processes, one per core, of 8
threads each) on a fresh data folder:

1. leaderboard page latency: ``--teams`` teams with ``--submissions`` scored submissions in all are
   written straight into the database, then ``wrk`` (Debian's) requests ``/c/<slug>/leaderboard/``
   over ``--connections`` keep-alive connections on loopback for ``--duration`` seconds;
2. scoring throughput of one worker: ``--throughput-uploads`` uploads of an untrained resnet18
   model.zip (224 px, as ``pvdefects export`` writes it) through the JSON API, scored on the first
   ``--cells`` rows of the shared labels; the rate is taken between the first and the last
   finish, so the worker's start and its one-off decoding of the test set are left out;
3. upload-to-scored time on an idle server: ``--latency-uploads`` uploads one after another, each
   timed from the start of the POST until the API reports it scored (polled every 0.25 s).

The shared labels are read where they are (images through the elpv-dataset package), never copied.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from docs_section import write_section  # noqa: E402

from pvdefects.cli.serve_command import default_web_processes  # noqa: E402

SHARED_LABELS = ROOT.parent / "shared" / "data" / "solar-cells" / "labels.csv"
SERVER_MD = ROOT / "docs" / "server.md"
SLUG = "bench"
CLASSES = ["crack", "inactive"]
# wrk prints only fixed percentiles; this script makes it print the ones we report (latency in µs)
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f requests=%d duration_s=%.2f "
    .. "non2xx=%d socket_errors=%d\\n", latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.requests, summary.duration / 1e6, e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


def parse_wrk(output: str) -> dict[str, float]:
    """The ``RESULT key=value ...`` line that WRK_SCRIPT prints, as numbers; ValueError if absent."""
    match = re.search(r"^RESULT (.*)$", output, re.M)
    if match is None:
        raise ValueError(f"no RESULT line in wrk's output:\n{output}")
    return {key: float(value) for key, value in (item.split("=") for item in match.group(1).split())}


def nearest_rank(values: list[float], percent: float) -> float:
    """The ``percent`` percentile by the nearest-rank rule: an observed value (of 10, p95 is the largest)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(percent / 100 * len(ordered)), 1) - 1]


def per_minute(finish_times: list[float]) -> float:
    """Jobs per minute between the first and the last of ``finish_times`` (seconds; at least two)."""
    ordered = sorted(finish_times)
    return 60 * (len(ordered) - 1) / (ordered[-1] - ordered[0])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed(teams: int, submissions: int, rng: random.Random) -> None:
    """``teams`` two-person teams and ``submissions`` scored submissions spread over them and 14 days."""
    from django.db import transaction
    from django.utils import timezone

    from pvdefects.server.accounts.models import User
    from pvdefects.server.challenges.models import Challenge
    from pvdefects.server.submissions.leaderboard import refresh_best
    from pvdefects.server.submissions.models import State, Submission
    from pvdefects.server.teams.models import Membership, Team

    challenge = Challenge.objects.get(slug=SLUG)
    now = timezone.now()
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(email=f"p{i}@example.org", display_name=f"Participant {i}", password="!")
            for i in range(2 * teams)
        )
        made = Team.objects.bulk_create(Team(challenge=challenge, name=f"Team {i:03d}") for i in range(teams))
        Membership.objects.bulk_create(
            Membership(team=team, user=users[2 * i + k], challenge=challenge)
            for i, team in enumerate(made)
            for k in (0, 1)
        )
        rows = []
        for i in range(submissions):
            f1 = {name: rng.uniform(0.3, 0.9) for name in CLASSES}
            classes = {
                name: {"f1": value, "precision": value, "recall": value, "tp": 1, "fp": 1, "fn": 1, "tn": 1}
                for name, value in f1.items()
            }
            mean = sum(f1.values()) / len(f1)
            rows.append(
                Submission(
                    challenge=challenge,
                    team=made[i % teams],
                    uploader=users[2 * (i % teams)],
                    sha256=f"{rng.getrandbits(256):064x}",
                    size=18_000_000,
                    created=now - timedelta(seconds=rng.uniform(0, 14 * 86400)),
                    state=State.SCORED,
                    attempts=1,
                    fencing_token=1,
                    finished_at=now,
                    public_mean_f1=round(mean, 3),
                    public_metrics={"classes": classes, "mean_f1": mean, "mean_f1_over": CLASSES},
                )
            )
        Submission.objects.bulk_create(rows, batch_size=1000)
        for team in made:
            refresh_best(team)


def board_render_ms(challenge_pk: int) -> float:
    """Server time to rebuild the public board after a change: query plus page table, JSON and CSV."""
    from pvdefects.server.challenges.models import Challenge
    from pvdefects.server.submissions.leaderboard import public_rendering

    public_rendering(Challenge.objects.get(pk=challenge_pk), "html")  # loads the templates once
    Challenge.board_changed(challenge_pk)
    challenge = Challenge.objects.get(pk=challenge_pk)
    started = time.perf_counter()
    for kind in ("html", "json", "csv"):
        public_rendering(challenge, kind)
    return 1000 * (time.perf_counter() - started)


def run_wrk(folder: Path, url: str, connections: int, seconds: int) -> tuple[str, dict[str, float]]:
    """Load ``url`` with wrk (``percentiles.lua`` in ``folder``); the command line and its figures."""
    command = (
        f"wrk -t{min(2, connections)} -c{connections} -d{seconds}s --timeout 10s --latency "
        f"-s percentiles.lua {url}"
    )
    result = subprocess.run(command.split(), cwd=folder, capture_output=True, text=True, check=True)
    return command, parse_wrk(result.stdout)


def resnet18_zip(folder: Path) -> Path:
    """An untrained resnet18 (224 px) exported as ``pvdefects export`` writes it (speed needs no training)."""
    import keras

    from pvdefects.export.savedmodel import export_classifier
    from pvdefects.models import create_model
    from pvdefects.models.saving import ModelMetadata

    keras.utils.set_random_seed(0)
    model = create_model("resnet18", len(CLASSES), input_size=224)
    (folder / "resnet18").mkdir()
    return export_classifier(
        model, ModelMetadata(CLASSES, [0.5, 0.5], "resnet18", 224), folder / "resnet18" / "model.zip"
    )


def api(url: str, token: str, zip_path: Path | None = None) -> dict:
    """GET a status, or POST ``zip_path`` as the ``model`` field; the JSON answer."""
    request = urllib.request.Request(url)
    request.add_header("Authorization", f"Token {token}")
    if zip_path is not None:
        boundary = uuid.uuid4().hex
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="model"; filename="model.zip"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        request.data = head + zip_path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def wait_scored(base: str, submission_id: int, token: str, timeout_s: float = 900) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = api(f"{base}/api/submissions/{submission_id}", token)
        if status["state"] not in ("uploaded", "queued", "running"):
            if status["state"] != "scored":
                raise RuntimeError(f"submission {submission_id} ended {status['state']}: {status}")
            return status
        time.sleep(0.25)
    raise RuntimeError(f"submission {submission_id} not scored after {timeout_s:.0f} s")


@contextlib.contextmanager
def serving(data: Path, port: int, log: Path):
    """``pvdefects serve --workers 1`` on ``port``; stopped with its worker on leaving."""
    env = os.environ | {"PVDEFECTS_DATA_DIR": str(data), "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-m", "pvdefects.cli.main", "serve", "--port", str(port), "--workers", "1"]
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pvdefects serve did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labels", type=Path, default=SHARED_LABELS)
    parser.add_argument("--cells", type=int, default=400)
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=int, default=30, help="wrk run, seconds")
    parser.add_argument("--throughput-uploads", type=int, default=6)
    parser.add_argument("--latency-uploads", type=int, default=10)
    parser.add_argument(
        "--docs", type=Path, default=SERVER_MD, help="Markdown file to write the section into"
    )
    args = parser.parse_args()
    if not args.labels.exists():
        sys.exit(f"skipped: {args.labels} is absent (the shared crack/inactive labels); pass --labels")
    for program, package in (("wrk", "wrk"), ("bwrap", "bubblewrap")):
        if shutil.which(program) is None:
            sys.exit(f"skipped: {program} is not installed (apt-get install {package})")

    with tempfile.TemporaryDirectory(prefix="pvdefects-server-load-") as folder:
        folder = Path(folder)
        data = folder / "data"
        os.environ["PVDEFECTS_DATA_DIR"] = str(data)
        from django.core.management import call_command

        from pvdefects.server import setup

        setup(data)
        call_command("migrate", interactive=False, verbosity=0)
        from django.db import connection
        from django.utils import timezone

        from pvdefects.server.accounts.models import ApiToken, User
        from pvdefects.server.challenges.models import Challenge
        from pvdefects.server.challenges.testsets import install_test_set
        from pvdefects.server.submissions.models import Submission
        from pvdefects.server.teams.models import Team

        rows = args.labels.read_text(encoding="utf-8-sig").splitlines()[: args.cells + 1]
        subset = folder / "labels.csv"
        subset.write_text(
            "\n".join(rows) + "\n"
        )  # a row subset in a temporary folder, never in the repository
        labels, images = install_test_set(SLUG, "public", subset, None)
        challenge = Challenge.objects.create(
            slug=SLUG,
            title="Load benchmark",
            deadline=timezone.now() + timedelta(days=7),
            daily_upload_limit=1000,
            public_labels=labels,
            public_images_root=images,
        )
        started = time.perf_counter()
        seed(args.teams, args.submissions, random.Random(0))
        seeding_s = time.perf_counter() - started
        render_ms = board_render_ms(challenge.pk)
        participant = User.objects.create_user(
            "bench@example.org", "a long benchmark password", display_name="Bench"
        )
        Team.create(challenge, "Benchmarkers", participant)
        token = ApiToken.objects.issue(participant)
        zip_path = resnet18_zip(folder)
        zip_mb = zip_path.stat().st_size / 1e6
        connection.close()

        with serving(data, free_port(), folder / "serve.log") as base:
            page = f"{base}/c/{SLUG}/leaderboard/"
            assert urllib.request.urlopen(page, timeout=60).status == 200  # warm: templates, connections
            (folder / "percentiles.lua").write_text(WRK_SCRIPT)
            _, alone = run_wrk(folder, page, connections=1, seconds=10)
            wrk_command, load = run_wrk(folder, page, args.connections, args.duration)

            ids = [
                api(f"{base}/api/challenges/{SLUG}/submissions", token, zip_path)["id"]
                for _ in range(args.throughput_uploads)
            ]
            for submission_id in ids:
                wait_scored(base, submission_id, token)
            finished = Submission.objects.filter(pk__in=ids).values_list("finished_at", flat=True)
            rate = per_minute([moment.timestamp() for moment in finished])

            waits = []
            for _ in range(args.latency_uploads):
                begun = time.perf_counter()
                wait_scored(
                    base, api(f"{base}/api/challenges/{SLUG}/submissions", token, zip_path)["id"], token
                )
                waits.append(time.perf_counter() - begun)

    report(args, alone, load, rate, waits, seeding_s, zip_mb, wrk_command, render_ms)


def report(
    args,
    alone: dict,
    load: dict,
    rate: float,
    waits: list[float],
    seeding_s: float,
    zip_mb: float,
    wrk_command: str,
    render_ms: float,
) -> None:
    p95_wait = nearest_rank(waits, 95)
    verdict = lambda ok: "met" if ok else "missed"
    options = (
        f"--cells {args.cells} --teams {args.teams} --submissions {args.submissions} --connections "
        f"{args.connections} --duration {args.duration} --throughput-uploads {args.throughput_uploads} "
        f"--latency-uploads {args.latency_uploads}"
    )
    lines = [
        "## Benchmark: the server under load (`benchmarks/server_load.py`)",
        "",
        f"Command: `python benchmarks/server_load.py {options}` on {platform.machine()} CPU, "
        f"{os.cpu_count()} cores shared by wrk, the web server, the worker and other jobs of the machine. "
        "One `pvdefects serve --workers 1` on a fresh data folder: SQLite, kombu's SQLAlchemy broker on "
        f"SQLite, one solo scoring worker, gunicorn with {default_web_processes()} web processes (one per "
        f"core, the default) of 8 threads each. Seeding {args.teams} teams and "
        f"{args.submissions} scored submissions took {seeding_s:.0f} s.",
        "",
        "| measure | result | target |",
        "| --- | --- | --- |",
        f"| leaderboard page (`/c/<slug>/leaderboard/`), {args.connections} connections, {args.duration} s: "
        f"p50 / p95 / p99 latency | {load['p50_ms']:.0f} / {load['p95_ms']:.0f} / {load['p99_ms']:.0f} ms "
        f"({load['requests'] / load['duration_s']:.0f} requests/s, {load['non2xx']:.0f} non-2xx, "
        f"{load['socket_errors']:.0f} socket errors) | p95 <= 100 ms: {verdict(load['p95_ms'] <= 100)} |",
        f"| the same page, one connection alone, 10 s: p50 / p95 latency | {alone['p50_ms']:.0f} / "
        f"{alone['p95_ms']:.0f} ms ({alone['requests'] / alone['duration_s']:.0f} requests/s) | |",
        f"| scoring throughput of one worker: untrained resnet18 model.zip (224 px, {zip_mb:.0f} MB), "
        f"{args.cells}-cell test set, {args.throughput_uploads} uploads queued at once | {rate:.1f} "
        f"submissions/minute | >= 3: {verdict(rate >= 3)} |",
        f"| upload-to-scored on the idle server, same zip, {len(waits)} uploads one after another: median / "
        f"p95 (nearest rank) | {nearest_rank(waits, 50):.1f} / {p95_wait:.1f} s | p95 <= 30 s: "
        f"{verdict(p95_wait <= 30)} |",
        "",
        f"Alone, one page costs about {alone['p50_ms']:.0f} ms of server time; with {args.connections} "
        f"connections requests wait for each other: {args.connections} / "
        f"{load['requests'] / load['duration_s']:.0f} requests/s = "
        f"{1000 * args.connections * load['duration_s'] / load['requests']:.0f} ms per request on average "
        "(Little's law), so the latency at load follows from the cost of one page and the cores there are.",
        "wrk asks as a visitor who is not logged in, so after the first request each page comes whole from "
        "the web process's cache (keyed by the challenge's board version, renewed by every change of the "
        "board); a change costs one rebuild per process and format when next asked: query, page table, "
        f"JSON and CSV took {render_ms:.0f} ms together here, in process, for {args.teams} teams.",
        "",
        "wrk command (run in the benchmark's temporary folder, which holds `percentiles.lua`): "
        f"`{wrk_command}`. The scoring rate is (uploads - 1) over the time between the first and the last "
        "finish, so it leaves out the worker's first decoding of the test set; upload-to-scored includes "
        "the upload, the broker's 1 s polling, the sandbox start and the TensorFlow import in the sandbox.",
    ]
    write_section("server-load", "\n".join(lines), args.docs)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
