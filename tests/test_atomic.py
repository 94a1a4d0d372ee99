"""Files are written whole or not at all."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from pvdefects.atomic import filling, replacing, write_json, write_text

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "pvdefects"
RENAMES = {("os", "replace"), ("os", "rename"), ("shutil", "move")}


def test_a_write_replaces_the_file_and_leaves_nothing_beside_it(tmp_path):
    target = tmp_path / "metrics.json"
    target.write_text("old")
    write_json(target, {"mean_f1": 0.5})
    assert json.loads(target.read_text()) == {"mean_f1": 0.5} and target.read_text().endswith("}\n")
    assert [path.name for path in tmp_path.iterdir()] == ["metrics.json"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_partial_one(tmp_path):
    target = write_text(tmp_path / "trials.csv", "old\n")
    with pytest.raises(RuntimeError), replacing(target) as partial:
        partial.write_text("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old\n"
    assert [path.name for path in tmp_path.iterdir()] == ["trials.csv"]


def test_the_temporary_name_keeps_the_suffix_writers_choose_formats_by(tmp_path):
    with replacing(tmp_path / "model.keras", ".keras") as partial:
        assert partial.parent == tmp_path and partial.name.endswith(".keras")
        partial.write_bytes(b"zip")
    assert (tmp_path / "model.keras").read_bytes() == b"zip"


def test_files_for_a_folder_arrive_together_or_not_at_all(tmp_path):
    folder = tmp_path / "heatmaps"
    with pytest.raises(RuntimeError), filling(folder) as scratch:
        (scratch / "a.png").write_bytes(b"a")
        raise RuntimeError("the second image is unreadable")
    assert [path.name for path in tmp_path.iterdir()] == []
    with filling(folder) as scratch:
        assert scratch.parent == tmp_path
        (scratch / "a.png").write_bytes(b"a")
        (scratch / "scores.csv").write_text("filename\n")
        assert not folder.exists()
    assert sorted(path.name for path in folder.iterdir()) == ["a.png", "scores.csv"]
    assert [path.name for path in tmp_path.iterdir()] == ["heatmaps"]


# the uploads' store names each file by the SHA-256 of its bytes, known only once they are written
CONTENT_ADDRESSED = Path("server") / "submissions" / "storage.py"


def test_no_other_module_renames_files_into_place():
    """Write-beside-then-rename lives in pvdefects/atomic.py; a copy elsewhere fails here."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE) in (Path("atomic.py"), CONTENT_ADDRESSED):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            function = node.func if isinstance(node, ast.Call) else None
            if isinstance(function, ast.Attribute) and (
                function.attr == "rename"
                or (isinstance(function.value, ast.Name) and (function.value.id, function.attr) in RENAMES)
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not found, found
