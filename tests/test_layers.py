"""The packages import in one direction: import-linter's layers contract in pyproject.toml holds.

The second test adds a back edge (evaluation importing inference, inside a function, the way
cycles used to hide) to a copy of the package and expects the same check to refuse it, so a
contract that no longer bites would be noticed too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACK_EDGE = (
    "\n\ndef _back_edge():\n    from pvdefects.inference.predictor import load_predictor  # noqa: F401\n"
)


def lint_imports(python_path: Path | None = None) -> subprocess.CompletedProcess:
    executable = Path(sys.executable).with_name("lint-imports")
    environment = dict(os.environ)
    if python_path is not None:  # ahead of the installed package
        environment["PYTHONPATH"] = os.pathsep.join([str(python_path), environment.get("PYTHONPATH", "")])
    return subprocess.run(
        [str(executable if executable.exists() else "lint-imports"), "--no-cache"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_packages_import_only_the_layers_below_them():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_back_edge_breaks_the_contract(tmp_path):
    shutil.copytree(
        ROOT / "src" / "pvdefects", tmp_path / "pvdefects", ignore=shutil.ignore_patterns("__pycache__")
    )
    with open(tmp_path / "pvdefects" / "evaluation" / "metrics.py", "a") as module:
        module.write(BACK_EDGE)
    result = lint_imports(python_path=tmp_path)
    assert result.returncode != 0
    assert "pvdefects.evaluation is not allowed to import pvdefects.inference" in result.stdout
