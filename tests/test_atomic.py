"""Files are written whole or not at all."""

from __future__ import annotations

import json

import pytest

from pvdefects.atomic import replacing, write_json, write_text


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
