"""The packages import in one direction: import-linter's layers contract in pyproject.toml holds.

The second test adds a back edge (evaluation importing inference, inside a function, the way
cycles used to hide) to a copy of the package and expects the same check to refuse it, so a
contract that no longer bites would be noticed too. The third keeps imports inside functions to
those that save start-up time and say so.
"""

from __future__ import annotations

import ast
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


def unexplained_local_imports(path: Path) -> list[str]:
    """Imports inside functions of ``path`` without a comment on their line or on the lines of
    imports and comments just above, other than ``TYPE_CHECKING`` ones and optional imports
    guarded by ``except ImportError``."""
    lines = path.read_text().splitlines()
    tree = ast.parse("\n".join(lines))
    exempt = set()
    for node in ast.walk(tree):
        guarded = isinstance(node, ast.Try) and any(
            isinstance(handler.type, ast.Name) and handler.type.id == "ImportError"
            for handler in node.handlers
        )
        if guarded or (isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")):
            exempt |= {id(child) for child in ast.walk(node)}
    functions = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    local = {id(node): node for function in functions for node in ast.walk(function)}
    found = []
    for node in sorted(local.values(), key=lambda node: getattr(node, "lineno", 0)):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in exempt:
            block = node.lineno - 1  # this import and the imports and comments right above it
            while block > 0 and lines[block - 1].strip().startswith(("import ", "from ", "#")):
                block -= 1
            if not any("#" in line for line in lines[block : node.end_lineno]):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    return found


def test_imports_inside_functions_save_start_up_time_and_say_so():
    """A function-local import hides an edge from the reader (and used to hide cycles): it is kept
    only where it keeps a module cheap to import, with a comment saying so. The command modules
    import what they run inside their functions as a rule, stated in pvdefects/cli/__init__.py."""
    package = ROOT / "src" / "pvdefects"
    found = [
        problem
        for path in sorted(package.rglob("*.py"))
        if path.relative_to(package).parts[0] != "cli"
        for problem in unexplained_local_imports(path)
    ]
    assert not found, "\n".join(found)
