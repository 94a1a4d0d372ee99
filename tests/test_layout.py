"""What each command writes where is said once, in pvdefects/layout.py."""

from __future__ import annotations

import ast
from pathlib import Path

from pvdefects import layout
from pvdefects.layout import CrossValFolder, RunFolder, StudyFolder

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "pvdefects"


def file_names() -> set[str]:
    """Every file and folder name of the run, cross-validation and study folders and the defaults."""
    names = {str(path) for path in (layout.RUNS_DIR, layout.STUDIES_DIR, layout.PREDICTIONS)}
    names |= {str(layout.EVALUATION), str(layout.EXPLANATIONS)}
    for folder in (RunFolder, CrossValFolder, StudyFolder):
        root = Path("root")
        for name, value in vars(folder).items():
            if isinstance(value, property):
                names.update(getattr(folder(root), name).relative_to(root).parts)
    return names


def test_the_folders_name_their_files():
    assert {"model.keras", "config.json", "model.zip", "oof_predictions.csv", "study.db"} <= file_names()


def test_no_other_module_spells_a_file_name_of_the_layout():
    """A path built from the bare name (``run / "model.keras"``) instead of ``RunFolder(run).model``
    fails here. The server keeps its own data folder (server/settings.py), so it is not checked."""
    names = file_names()
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "layout.py" and "server" not in path.relative_to(PACKAGE).parts
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and node.value in names
    ]
    assert not found, "\n".join(found)


def test_repeats_are_found_in_order(tmp_path):
    cv = CrossValFolder(tmp_path)
    assert cv.repeats() == []
    for r in (10, 2, 0, 1):
        cv.repeat(r).root.mkdir()
    assert cv.repeats() == [cv.repeat(r) for r in (0, 1, 2, 10)]
