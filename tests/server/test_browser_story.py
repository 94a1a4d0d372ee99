"""The challenge as people meet it, in a real browser: Playwright drives Debian's chromium against
``pvdefects serve`` (its own web server and scoring worker) on a free port.

Two people register (through the link mailed to them) and form a team, a third is refused because
the team is full, one uploads a model that ``pvdefects train`` exported and watches it turn to scored
without reloading the page, the leaderboard shows the team; the organiser closes the challenge in the
admin, finalizes it on a second test set with the command line and publishes the final ranking.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from machine import chromium
from services import free_port, require_sandbox, wait_for_port
from story import PASSWORD, background, pvdefects_ok, server_environment

SLUG = "cells"
ORGANISER = "organiser@example.org"
SCORING_TIMEOUT_MS = 180_000  # a loaded 2-core machine: sandbox start, TensorFlow import, 12 cells


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium under Playwright; the story also needs the sandbox to score its upload."""
    require_sandbox()
    with chromium("the browser story") as browser:
        yield browser


def verification_link(mail_dir: Path, email: str) -> str:
    """The activation link in the newest message to ``email`` that Django's file backend wrote."""
    for message in sorted(mail_dir.glob("*.log"), key=lambda path: path.stat().st_mtime, reverse=True):
        text = message.read_text()
        if f"To: {email}" in text:
            return re.search(r"https?://\S+/accounts/verify/\S+/", text).group(0)
    raise AssertionError(f"no mail to {email} in {mail_dir}")


def register(page, name: str, mail_dir: Path) -> None:
    email = f"{name.lower()}@example.org"
    page.goto("/accounts/register/")
    page.fill("#id_email", email)
    page.fill("#id_display_name", name)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button:has-text('Register')")
    page.wait_for_selector(f"text={email}")  # "check your mail" page
    page.goto(verification_link(mail_dir, email))  # opens the account and logs in
    page.wait_for_selector(f"nav >> text={name}")


def log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]:has-text('Log in')")


def messages(page) -> str:
    return page.inner_text("ul.messages")


def test_two_people_team_up_upload_and_are_ranked(browser, tmp_path, tiny_model_zip, story_test_sets):
    data = tmp_path / "data"
    env = server_environment(data)
    dash = ["--data-dir", str(data)]
    public, final = story_test_sets["public"], story_test_sets["final"]
    pvdefects_ok(
        "server", "challenge", SLUG, "--test-labels", str(public), "--title", "Cells", *dash, env=env
    )
    pvdefects_ok("server", "createuser", ORGANISER, "--organiser", *dash, env=env, stdin=PASSWORD + "\n")

    port = free_port()
    serve = ["serve", *dash, "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    with background(*serve, env=env, log=tmp_path / "serve.log") as server:
        wait_for_port(port, timeout_s=120, process=server.process)
        base = f"http://127.0.0.1:{port}"
        try:
            story(browser, base, data, env, tiny_model_zip, final)
        except BaseException:
            print(server.output()[-5000:])  # shown by pytest when the story fails
            raise


def story(browser, base: str, data: Path, env: dict[str, str], model_zip: Path, final_labels: Path) -> None:
    ada, bob, cyd, organiser = (browser.new_context(base_url=base).new_page() for _ in range(4))
    for page, name in ((ada, "Ada"), (bob, "Bob"), (cyd, "Cyd")):
        register(page, name, data / "mail")

    # Ada creates a team; Bob joins with its invite code; Cyd is refused: the team is full (2 members)
    ada.goto(f"/c/{SLUG}/team/")
    ada.fill("#create-team #id_name", "Sharp Eyes")
    ada.click("#create-team button")
    code = ada.inner_text("#invite-code").strip()
    for page in (bob, cyd):
        page.goto(f"/c/{SLUG}/team/")
        page.fill("#join-team #id_code", code)
        page.click("#join-team button")
    assert "You joined team Sharp Eyes" in messages(bob)
    assert "Sharp Eyes is full" in messages(cyd)
    assert "Your team" in cyd.inner_text("h1")  # still in no team
    ada.reload()
    assert "2 of 2 members" in ada.inner_text("body")

    # Bob uploads; the list shows it queued, then scored, with no page load in between
    bob.goto(f"/c/{SLUG}/upload/")
    bob.set_input_files("input[name=model]", str(model_zip))
    bob.click("#upload-form button")
    bob.wait_for_url(f"**/c/{SLUG}/submissions/")
    row = bob.locator("#submissions tr[data-id]")
    assert row.count() == 1
    assert row.locator(".state").inner_text() in ("queued", "running")
    bob.evaluate("window.notReloaded = true")
    bob.wait_for_selector("#submissions .state-scored", timeout=SCORING_TIMEOUT_MS)
    assert bob.evaluate("window.notReloaded === true")
    score = row.locator(".score").inner_text()
    assert re.fullmatch(r"[01]\.\d{3}", score), score
    row.locator("form.select button").click()  # select it for the final ranking
    assert bob.locator("#submissions form.select button").inner_text() == "Unselect"

    # the public leaderboard, seen by someone of another team
    cyd.goto(f"/c/{SLUG}/leaderboard/")
    first = cyd.locator("#leaderboard tr").nth(1).locator("td")
    assert [first.nth(0).inner_text(), first.nth(1).inner_text(), first.nth(2).inner_text()] == [
        "1",
        "Sharp Eyes",
        score,
    ]
    cyd.goto(f"/c/{SLUG}/final/")
    assert "Sharp Eyes" not in cyd.content()  # no final board before publication

    # the organiser closes the challenge in the admin, finalizes on the second set, publishes
    log_in(organiser, ORGANISER)
    organiser.goto("/admin/challenges/challenge/")
    organiser.click(f"text={SLUG}")
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    organiser.fill("#id_deadline_0", past.strftime("%Y-%m-%d"))
    organiser.fill("#id_deadline_1", past.strftime("%H:%M:%S"))
    organiser.click("input[name=_save]")
    organiser.wait_for_selector("text=was changed successfully")
    finalized = pvdefects_ok(
        "server", "finalize", SLUG, "--final-labels", str(final_labels), "--data-dir", str(data), env=env
    )
    assert "Sharp Eyes" in finalized
    organiser.goto("/admin/challenges/challenge/")
    organiser.check("input[name=_selected_action]")
    organiser.select_option("select[name=action]", "publish_final")
    with organiser.expect_navigation():
        organiser.click("button[name=index]")
    assert "error" not in organiser.inner_text("body").lower()

    cyd.goto(f"/c/{SLUG}/final/")
    cells = cyd.locator("#final tr").nth(1).locator("td").all_inner_texts()
    assert cells[:2] == ["1", "Sharp Eyes"]
    assert re.fullmatch(r"[01]\.\d{3}", cells[2])
    assert re.fullmatch(r"[01]\.\d{3} to [01]\.\d{3}", cells[3])  # the bootstrap 95 % interval
    assert cells[-2:] == ["1", "0"]  # public rank, change
