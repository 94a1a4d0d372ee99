"""Archive checks: every malformed or malicious zip is refused before anything lands outside the folder."""

from __future__ import annotations

import stat
import subprocess
import sys
import zipfile

import pytest
from submissions import zip_like_windows

from pvdefects.security.archive import ArchiveLimits, unpack_submission
from pvdefects.security.rejected import Rejected


def make_zip(path, members: dict[str, bytes], symlinks: tuple[str, ...] = ()):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return path


def rejection(tmp_path, zip_path, limits=ArchiveLimits()) -> str:
    destination = tmp_path / "unpacked"
    with pytest.raises(Rejected) as caught:
        unpack_submission(zip_path, destination, limits)
    assert not destination.exists(), "a rejected archive must leave no folder behind"
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_saved_model_at_the_root_or_one_folder_down_is_unpacked(tmp_path):
    flat = make_zip(tmp_path / "flat.zip", {"saved_model.pb": b"pb", "variables/variables.index": b"index"})
    model = unpack_submission(flat, tmp_path / "flat")
    assert (model / "saved_model.pb").read_bytes() == b"pb" and (
        model / "variables" / "variables.index"
    ).is_file()

    nested = make_zip(
        tmp_path / "nested.zip", {"export/saved_model.pb": b"pb", "export/variables/v": b"v", "README": b""}
    )
    model = unpack_submission(nested, tmp_path / "nested")
    assert sorted(p.relative_to(model).as_posix() for p in model.rglob("*")) == [
        "saved_model.pb",
        "variables",
        "variables/v",
    ]


@pytest.mark.parametrize(
    "members, symlinks, expected",
    [
        ({"saved_model.pb": b"", "../evil.txt": b"x"}, (), "'..'"),
        ({"saved_model.pb": b"", "variables/../../evil.txt": b"x"}, (), "'..'"),
        ({"saved_model.pb": b"", "/tmp/evil.txt": b"x"}, (), "absolute"),
        ({"saved_model.pb": b"", "C:/evil.txt": b"x"}, (), "absolute"),
        ({"saved_model.pb": b""}, ("variables",), "symbolic link"),
        ({"variables/variables.index": b""}, (), "no saved_model.pb"),
        ({"a/saved_model.pb": b"", "b/saved_model.pb": b""}, (), "several folders"),
        ({"deep/er/saved_model.pb": b""}, (), "no saved_model.pb"),
        (
            {"saved_model.pb": b"", "assets": b"file", "assets/x": b"inside"},
            (),
            "lies inside a member that is a file",
        ),
    ],
)
def test_hostile_member_names_are_refused(tmp_path, members, symlinks, expected):
    zip_path = make_zip(tmp_path / "model.zip", members, symlinks)
    assert expected in rejection(tmp_path, zip_path)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()


def test_duplicate_members_are_refused(tmp_path):
    zip_path = make_zip(tmp_path / "model.zip", {"saved_model.pb": b"1"})
    with zipfile.ZipFile(zip_path, "a") as archive, pytest.warns(UserWarning, match="Duplicate"):
        archive.writestr("saved_model.pb", b"2")
    assert "appears twice" in rejection(tmp_path, zip_path)


def test_a_zip_bomb_is_refused_from_its_header_before_unpacking(tmp_path):
    zip_path = make_zip(tmp_path / "bomb.zip", {"saved_model.pb": b"", "variables/zeros": bytes(20 << 20)})
    assert zip_path.stat().st_size < 100_000  # 20 MB of zeros compress to a few kB
    limits = ArchiveLimits(max_member_bytes=1 << 20, max_total_bytes=1 << 30)
    assert "unpacks to 20,971,520 bytes" in rejection(tmp_path, zip_path, limits)
    limits = ArchiveLimits(max_member_bytes=1 << 30, max_total_bytes=10 << 20)
    assert "allowed; submit only the SavedModel" in rejection(tmp_path, zip_path, limits)


def test_too_many_members_are_refused(tmp_path):
    zip_path = make_zip(
        tmp_path / "many.zip", {"saved_model.pb": b"", **{f"assets/{i}": b"" for i in range(20)}}
    )
    assert "21 members, more than the 10 allowed" in rejection(
        tmp_path, zip_path, ArchiveLimits(max_members=10)
    )


def test_not_a_zip_an_empty_zip_and_a_missing_file_are_refused(tmp_path):
    (tmp_path / "text.zip").write_text("saved_model.pb, honest")
    assert "not a readable zip archive" in rejection(tmp_path, tmp_path / "text.zip")
    make_zip(tmp_path / "empty.zip", {})
    assert "the zip is empty" in rejection(tmp_path, tmp_path / "empty.zip")
    assert "submission not found" in rejection(tmp_path, tmp_path / "absent.zip")


def test_a_corrupt_member_is_refused_and_nothing_is_left(tmp_path):
    zip_path = make_zip(tmp_path / "model.zip", {"saved_model.pb": b"x" * 1000})
    data = bytearray(zip_path.read_bytes())
    data[40:50] = b"\xff" * 10  # inside the deflated data of the only member
    zip_path.write_bytes(bytes(data))
    assert "not a readable zip archive" in rejection(tmp_path, zip_path)


SAVED_MODEL_FILES = {
    "saved_model.pb": b"pb",
    "fingerprint.pb": b"fp",
    "variables/variables.index": b"index",
    "variables/variables.data-00000-of-00001": b"data",
    "assets/metadata.json": b"{}",
}


@pytest.mark.parametrize("folder", ["", "model/"])
def test_a_zip_made_on_windows_unpacks_into_folders(tmp_path, folder):
    members = {folder + name: data for name, data in SAVED_MODEL_FILES.items()}
    zip_path = zip_like_windows(tmp_path / "model.zip", members)
    assert all("/" not in name for name in zipfile.ZipFile(zip_path).namelist())
    model = unpack_submission(zip_path, tmp_path / "unpacked")
    unpacked = {p.relative_to(model).as_posix(): p.read_bytes() for p in model.rglob("*") if p.is_file()}
    assert unpacked == SAVED_MODEL_FILES


@pytest.mark.parametrize(
    "hostile, expected",
    [
        ("..\\evil.txt", "'..'"),
        ("..\\..\\evil.txt", "'..'"),
        ("variables\\..\\..\\evil.txt", "'..'"),
        ("variables/..\\..\\evil.txt", "'..'"),
        ("\\evil.txt", "absolute"),
        ("\\\\server\\share\\evil.txt", "absolute"),
        ("C:\\evil.txt", "absolute"),
        ("variables\\.\\evil.txt", "'.'"),
    ],
)
def test_windows_separators_are_checked_like_slashes(tmp_path, hostile, expected):
    zip_path = make_zip(tmp_path / "model.zip", {"saved_model.pb": b"", hostile: b"x"})
    assert expected in rejection(tmp_path, zip_path)
    assert not list(tmp_path.parent.rglob("evil.txt"))


def test_the_same_member_with_either_separator_is_a_duplicate(tmp_path):
    zip_path = make_zip(
        tmp_path / "model.zip", {"saved_model.pb": b"", "variables/x": b"1", "variables\\x": b"2"}
    )
    assert "'variables/x' appears twice" in rejection(tmp_path, zip_path)
    nested = make_zip(
        tmp_path / "nested.zip", {"saved_model.pb": b"", "assets": b"file", "assets\\x": b"inside"}
    )
    assert "lies inside a member that is a file" in rejection(tmp_path, nested)


def test_size_limits_hold_for_windows_names(tmp_path):
    zip_path = zip_like_windows(
        tmp_path / "bomb.zip", {"saved_model.pb": b"", "variables/zeros": bytes(2 << 20)}
    )
    limits = ArchiveLimits(max_member_bytes=1 << 20, max_total_bytes=1 << 30)
    assert "'variables\\\\zeros' unpacks to 2,097,152 bytes" in rejection(tmp_path, zip_path, limits)


def test_the_advice_in_rejections_builds_an_accepted_zip(tmp_path):
    """The command the messages suggest (Python's own zip tool) works on every system."""
    empty = make_zip(tmp_path / "empty.zip", {})
    advice = rejection(tmp_path, empty).split("e.g. ", 1)[1]
    assert advice == "python -m zipfile -c model.zip model_folder"
    folder = tmp_path / "model_folder"
    for name, data in SAVED_MODEL_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    arguments = advice.split()[1:]
    subprocess.run([sys.executable, *arguments], cwd=tmp_path, check=True)
    model = unpack_submission(tmp_path / "model.zip", tmp_path / "unpacked")
    assert {p.relative_to(model).as_posix() for p in model.rglob("*") if p.is_file()} == set(
        SAVED_MODEL_FILES
    )
