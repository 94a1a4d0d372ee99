"""``pvdefects submit``: upload a model.zip to a challenge server through its JSON API (no Django here)."""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Annotated

import typer

from pvdefects.errors import UserError

FINISHED = ("scored", "rejected", "failed", "cancelled")
EXIT_CODES = {"scored": 0, "rejected": 2}  # failed (the server's fault) or cancelled: 1


def _request(url: str, token: str, body: bytes | None = None, content_type: str | None = None) -> dict:
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
    request.add_header("Authorization", f"Token {token}")
    request.add_header("Accept", "application/json")
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            reason = json.loads(error.read()).get("error", error.reason)
        except ValueError:
            reason = error.reason
        raise UserError(f"{url}: the server answered {error.code}: {reason}") from None
    except urllib.error.URLError as error:
        raise UserError(f"{url}: cannot reach the server ({error.reason})") from None


def _multipart(model: Path) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="model"; filename="{model.name}"\r\n'
        "Content-Type: application/zip\r\n\r\n"
    ).encode()
    return (
        head + model.read_bytes() + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


def _summary(status: dict) -> str:
    line = f"submission {status['id']}: {status['state']}"
    if status.get("mean_f1") is not None:
        classes = ", ".join(
            f"{name} {values['f1']:.3f}" for name, values in (status.get("classes") or {}).items()
        )
        line += f", mean F1 {status['mean_f1']:.3f} ({classes})"
    if status.get("error_category"):
        line += f": {status['error_category']}: {status['error_reason']}"
    return line


def submit(
    model: Annotated[
        Path,
        typer.Argument(
            help="The model.zip written by pvdefects export.", metavar="MODEL", show_default=False
        ),
    ],
    server: Annotated[
        str, typer.Option(help="The challenge server's URL, e.g. https://challenge.example.org")
    ],
    challenge: Annotated[str, typer.Option(help="The challenge's short name (slug).")],
    token: Annotated[
        str, typer.Option(help="Your API token (the server's 'API token' page).", envvar="PVDEFECTS_TOKEN")
    ],
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="Wait for the score; exit 0 scored, 2 rejected, 1 failed on the server or cancelled.",
        ),
    ] = False,
    max_wait: Annotated[float, typer.Option(help="With --wait: give up after this many seconds.")] = 3600.0,
) -> None:
    """Upload a model; print its submission id (and, with --wait, its final state and scores).

    Example:

        pvdefects submit model.zip --server https://challenge.example.org --challenge cells-2026 --wait
    """
    if not model.is_file():
        raise UserError(f"{model}: file not found")
    body, content_type = _multipart(model)
    base = server.rstrip("/")
    status = _request(f"{base}/api/challenges/{challenge}/submissions", token, body, content_type)
    typer.echo(f"submission {status['id']} uploaded ({status['state']})")
    if not wait:
        return
    deadline = time.monotonic() + max_wait
    while status["state"] not in FINISHED:
        if time.monotonic() > deadline:
            raise UserError(
                f"submission {status['id']} still {status['state']} after {max_wait:g} s; check it later"
            )
        time.sleep(2)
        status = _request(f"{base}/api/submissions/{status['id']}", token)
    typer.echo(_summary(status))
    sys.exit(EXIT_CODES.get(status["state"], 1))
