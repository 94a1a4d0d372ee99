import stat
import zipfile

import pytest

from pvdefects.errors import UserError
from pvdefects.export import archive
from pvdefects.export.archive import safe_extract, zip_folder


def make_zip(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as handle:
        for name, data in members.items():
            handle.writestr(name, data)
    return path


def test_zip_folder_round_trip_keeps_relative_names(tmp_path):
    source = tmp_path / "source"
    (source / "variables").mkdir(parents=True)
    (source / "saved_model.pb").write_bytes(b"graph")
    (source / "variables" / "variables.index").write_bytes(b"index")
    zip_folder(source, tmp_path / "model.zip")
    assert sorted(zipfile.ZipFile(tmp_path / "model.zip").namelist()) == ["saved_model.pb", "variables/variables.index"]
    target = safe_extract(tmp_path / "model.zip", tmp_path / "out")
    assert (target / "variables" / "variables.index").read_bytes() == b"index"


@pytest.mark.parametrize(
    "name, reason",
    [("../escape.txt", "outside"), ("a/../../escape.txt", "outside"), ("/etc/escape.txt", "absolute"), ("C:/escape.txt", "absolute")],
)
def test_members_outside_the_target_are_refused_before_anything_is_written(tmp_path, name, reason):
    bad = make_zip(tmp_path / "bad.zip", {"saved_model.pb": b"graph", name: b"x"})
    with pytest.raises(UserError, match=reason):
        safe_extract(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert not (tmp_path / "escape.txt").exists()


def test_symbolic_links_are_refused(tmp_path):
    link = zipfile.ZipInfo("link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(tmp_path / "link.zip", "w") as handle:
        handle.writestr(link, "/etc/passwd")
    with pytest.raises(UserError, match="symbolic link"):
        safe_extract(tmp_path / "link.zip", tmp_path / "out")


def test_size_limit(tmp_path, monkeypatch):
    bomb = make_zip(tmp_path / "bomb.zip", {"big": b"\0" * 10_000})
    with pytest.raises(UserError, match="over the limit"):
        safe_extract(bomb, tmp_path / "out", max_bytes=9_999)
    monkeypatch.setattr(archive, "MAX_UNPACKED_BYTES", 100)
    with pytest.raises(UserError, match="over the limit"):
        safe_extract(bomb, tmp_path / "out")
    assert safe_extract(bomb, tmp_path / "ok", max_bytes=10_000).joinpath("big").stat().st_size == 10_000


def test_member_count_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_MEMBERS", 2)
    many = make_zip(tmp_path / "many.zip", {f"f{i}": b"" for i in range(3)})
    with pytest.raises(UserError, match="at most 2"):
        safe_extract(many, tmp_path / "out")


def test_not_a_zip_and_missing_file(tmp_path):
    (tmp_path / "fake.zip").write_text("not a zip")
    with pytest.raises(UserError, match="not a readable zip"):
        safe_extract(tmp_path / "fake.zip", tmp_path / "out")
    with pytest.raises(UserError, match="not found"):
        safe_extract(tmp_path / "absent.zip", tmp_path / "out")
