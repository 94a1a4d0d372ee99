"""The tree stays linted and formatted: ruff, configured in pyproject.toml (line length 110).

Run by the suite so that CI fails on a long line or an unformatted file, not only a reviewer.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("src", "tests", "benchmarks")


def ruff(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *arguments, *CHECKED], cwd=ROOT, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    "arguments", [("check", "--no-fix", "--output-format", "concise"), ("format", "--check")]
)
def test_ruff(arguments: tuple[str, ...]) -> None:
    result = ruff(*arguments)
    assert result.returncode == 0, f"ruff {' '.join(arguments)} failed:\n{result.stdout}{result.stderr}"
