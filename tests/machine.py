"""What tests need from the machine beyond Python packages: where it is absent, :func:`unavailable`
skips the test on a developer's machine and fails it in CI (``CI`` set), which installs everything
(.ci/run); :func:`chromium` is Debian's chromium under Playwright, for the tests that open pages in a
real browser (the run report, the server's browser story), nothing downloaded.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",  # containers often have a small /dev/shm
]


def unavailable(reason: str) -> None:
    """Skip the calling test for ``reason`` (something absent), but fail in CI, which installs it all."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must provide it (.ci/run installs it)", pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def chromium(purpose: str) -> Iterator:
    """A headless Playwright ``Browser`` on Debian's chromium, closed at the end; ``purpose`` names the
    test in the skip (or CI failure) where chromium is absent."""
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"{purpose} needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
